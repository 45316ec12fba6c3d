import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { allOpaque, psnr } from '../../support/spice/compare';
import { delay, OwnedProcess, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { grabRoot } from '../../support/spice/xwd';
import { psnrWhilePlaying, startVideo, streamMessages } from '../../support/spice/video-streams';
import { Xspice } from '../../support/spice/xspice';

const logger = createLogger('spice-test', { level: 'silent' });
const JPEG = 105;
const JPEG_ALPHA = 108;
const ZLIB_GLZ_RGB = 107;
/** Where the MJPEG test's animation window sits. */

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
    animation = await startVideo(server, dir);
    const messages = streamMessages(source.displayChannels()[0]);
    await waitFor(() => (messages.created() > 0 ? true : undefined), 30000, 'STREAM_CREATE');
    await waitFor(() => (messages.frames() > 5 ? true : undefined), 30000, 'stream frames');
    // An xterm over a corner of the video: the stream must be clipped around it.
    cover = new OwnedProcess('xterm', ['-geometry', '20x5+300+250', '-e', 'sleep', '600'], { env: server.env });
    await waitFor(() => (messages.clips() > 0 ? true : undefined), 30000, 'STREAM_CLIP');
    const last = await psnrWhilePlaying(source, server, 25);
    assert.ok(last.video > 0 && Number.isFinite(last.video), 'the video area is lossy: it was drawn from MJPEG frames');
    assert.ok(last.video >= 25, `PSNR ${last.video.toFixed(1)} dB over the video area against xwd -root`);
    assert.ok(last.screen >= 25, `PSNR ${last.screen.toFixed(1)} dB over the screen against xwd -root`);
    assert.ok(allOpaque(source.surface()!));
  });
});
