import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../src/sources/spice';
import { createLogger } from '../../src/util/logger';
import { allOpaque, psnr } from './helpers/compare';
import { delay, OwnedProcess, run, waitFor } from './helpers/processes';
import { RecordingSink } from './helpers/recording-sink';
import { Scene } from './helpers/scene';
import { grabRoot } from './helpers/xwd';
import { Xspice } from './helpers/xspice';

const logger = createLogger('spice-test', { level: 'silent' });
const JPEG = 105;
const JPEG_ALPHA = 108;
const ZLIB_GLZ_RGB = 107;
const STREAM_CREATE = 122;
const STREAM_DATA = 123;
const STREAM_DATA_SIZED = 316;

/** Waits until the surface is within `minDb` of `xwd -root`; returns the last PSNR measured. */
async function settlePsnr(source: SpiceDisplaySource, server: Xspice, minDb: number, timeoutMs = 20000): Promise<number> {
  let last = 0;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const surface = source.surface();
    if (surface && source.isLatchable()) {
      const root = await grabRoot(server.env);
      last = psnr(surface, root.rgba, root.width, root.height);
      if (last >= minDb) return last;
    }
    await delay(300);
  }
  return last;
}

describe('SPICE source against Xspice: lossy paths', function () {
  this.timeout(120000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  let scene: Scene | undefined;
  let animation: OwnedProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-lossy-'));

  afterEach(async () => {
    await source?.stop();
    await animation?.stop();
    await scene?.stop();
    await server?.stop();
    source = undefined;
    animation = undefined;
    scene = undefined;
    server = undefined;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('JPEG and ZLIB_GLZ_RGB images (WAN compression forced on) stay within 30 dB of xwd -root', async () => {
    server = await Xspice.start({ compression: 'auto_glz', jpegWan: 'always', zlibGlzWan: 'always' });
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger });
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    scene = new Scene(server.env, dir);
    await scene.draw();
    const db = await settlePsnr(source, server, 30);
    assert.ok(db >= 30, `PSNR ${db.toFixed(1)} dB against xwd -root`);
    assert.ok(allOpaque(source.surface()!));
    const counts = source.displayChannels()[0].images.counts;
    // The photo arrives as JPEG or, since ImageMagick's window image carries alpha, JPEG_ALPHA.
    assert.ok((counts[JPEG] ?? 0) + (counts[JPEG_ALPHA] ?? 0) > 0, `JPEG images were decoded (${JSON.stringify(counts)})`);
    assert.ok((counts[ZLIB_GLZ_RGB] ?? 0) > 0, `ZLIB_GLZ_RGB images were decoded (${JSON.stringify(counts)})`);
  });

  it('MJPEG streams (SpiceStreamingVideo all, an animation) stay within 25 dB of xwd -root', async () => {
    server = await Xspice.start({ compression: 'auto_glz', streaming: 'all' });
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger });
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    scene = new Scene(server.env, dir);
    await scene.draw({ photo: false, xterm: false });
    const frames: string[] = [];
    for (let i = 0; i < 12; i++) {
      const frame = join(dir, `frame${i}.png`);
      await run('convert', ['-size', '256x192', '-seed', String(i + 1), 'plasma:fractal', frame]);
      frames.push(frame);
    }
    // Ten loops at 25 frames per second, then animate keeps showing its last frame.
    animation = new OwnedProcess('animate', ['-geometry', '+200+150', '-delay', '4', '-loop', '10', ...frames], { env: server.env });
    const display = source.displayChannels()[0];
    await waitFor(() => ((display.messageCounts[STREAM_CREATE] ?? 0) > 0 ? true : undefined), 30000, 'STREAM_CREATE');
    await waitFor(
      () => ((display.messageCounts[STREAM_DATA] ?? 0) + (display.messageCounts[STREAM_DATA_SIZED] ?? 0) > 5 ? true : undefined),
      30000,
      'stream frames',
    );
    const db = await settlePsnr(source, server, 25, 30000);
    assert.ok(db >= 25, `PSNR ${db.toFixed(1)} dB against xwd -root`);
    assert.ok(allOpaque(source.surface()!));
  });
});
