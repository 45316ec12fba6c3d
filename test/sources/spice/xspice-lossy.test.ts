import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { allOpaque, psnr } from '../../support/spice/compare';
import { delay, OwnedProcess, run, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { dumpRoot, grabRoot, xwdToRgba } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const logger = createLogger('spice-test', { level: 'silent' });
const JPEG = 105;
const JPEG_ALPHA = 108;
const ZLIB_GLZ_RGB = 107;
const STREAM_CREATE = 122;
const STREAM_DATA = 123;
const STREAM_DATA_SIZED = 316;
const STREAM_CLIP = 124;
const STREAM_DESTROY = 125;
const STREAM_DESTROY_ALL = 126;
/** Where the MJPEG test's animation window sits. */
const VIDEO = { x: 200, y: 150, width: 256, height: 192 };

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
  let cover: OwnedProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-lossy-'));

  afterEach(async () => {
    await source?.stop();
    await animation?.stop();
    await cover?.stop();
    await scene?.stop();
    await server?.stop();
    source = undefined;
    animation = undefined;
    cover = undefined;
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

  it('MJPEG streams (SpiceStreamingVideo all, a running animation under an xterm) stay within 25 dB of xwd -root while the stream plays', async () => {
    server = await Xspice.start({ compression: 'auto_glz', streaming: 'all' });
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger });
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    scene = new Scene(server.env, dir);
    await scene.draw({ photo: false, xterm: false });
    // The same picture in every frame of an endless animation: the server keeps streaming it as
    // MJPEG, while xwd -root, taken at any moment, shows exactly what the stream encodes.
    const picture = join(dir, 'video.png');
    await run('convert', ['-size', `${VIDEO.width}x${VIDEO.height}`, '-seed', '3', 'plasma:fractal', picture]);
    animation = new OwnedProcess('animate', ['-geometry', `+${VIDEO.x}+${VIDEO.y}`, '-delay', '4', '-loop', '0', picture, picture], {
      env: server.env,
    });
    const display = source.displayChannels()[0];
    const count = (...types: number[]) => types.reduce((sum, type) => sum + (display.messageCounts[type] ?? 0), 0);
    await waitFor(() => (count(STREAM_CREATE) > 0 ? true : undefined), 30000, 'STREAM_CREATE');
    await waitFor(() => (count(STREAM_DATA, STREAM_DATA_SIZED) > 5 ? true : undefined), 30000, 'stream frames');
    // An xterm over a corner of the video: the stream must be clipped around it.
    cover = new OwnedProcess('xterm', ['-geometry', '20x5+300+250', '-e', 'sleep', '600'], { env: server.env });
    await waitFor(() => (count(STREAM_CLIP) > 0 ? true : undefined), 30000, 'STREAM_CLIP');

    // Compare only while the stream plays: frames arrived around the moment and no stream ended,
    // so the video area holds MJPEG frames, not the lossless repaint that follows a stream's end.
    let last = { video: 0, screen: 0 };
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      const [frames, ended] = [count(STREAM_DATA, STREAM_DATA_SIZED), count(STREAM_DESTROY, STREAM_DESTROY_ALL)];
      const xwd = await dumpRoot(server.env);
      const surface = source.surface()!;
      const snapshot = source.isLatchable() ? { ...surface, pixels: Buffer.from(surface.pixels) } : undefined;
      if (snapshot && count(STREAM_DESTROY, STREAM_DESTROY_ALL) === ended && count(STREAM_DATA, STREAM_DATA_SIZED) > frames) {
        const root = await xwdToRgba(xwd);
        last = {
          video: psnr(snapshot, root.rgba, root.width, root.height, 4, VIDEO),
          screen: psnr(snapshot, root.rgba, root.width, root.height),
        };
        if (last.video >= 25 && last.screen >= 25) {
          assert.ok(Number.isFinite(last.video), 'the video area is lossy: it was drawn from MJPEG frames');
          break;
        }
      }
      await delay(200);
    }
    assert.ok(last.video >= 25, `PSNR ${last.video.toFixed(1)} dB over the video area against xwd -root`);
    assert.ok(last.screen >= 25, `PSNR ${last.screen.toFixed(1)} dB over the screen against xwd -root`);
    assert.ok(allOpaque(source.surface()!));
  });
});
