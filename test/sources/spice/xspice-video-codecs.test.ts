/**
 * H.264 and VP8 streams from spice-server's GStreamer encoders (SpiceVideoCodecs forcing one):
 * the stream comes in the codec asked for, its frames, clipped around an xterm over the video,
 * match `xwd -root` within a lossy bound while the video plays, and the picture is exact again
 * once it stops.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { allOpaque } from '../../support/spice/compare';
import { OwnedProcess, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { exactAfterStream, psnrWhilePlaying, startVideo, streamMessages } from '../../support/spice/video-streams';
import { Xspice } from '../../support/spice/xspice';

/** Where the animation window sits. */
/**
 * The bound over the video area while it plays. Measured here: H.264 36 dB (x264 at
 * spice-server's qp 15-35, 4:4:4), VP8 32 dB (4:2:0 halves the chroma of a plasma picture full
 * of colour edges, and libvpx at the server's starting bitrate quantises harder). Both are
 * lossy codecs run for bandwidth, so 30 dB ("visibly the same picture") is the bound, as for
 * JPEG images in xspice-lossy.test.ts; an upside-down frame, a frame at the wrong place or
 * swapped colour planes fall far below it.
 */
const MIN_VIDEO_DB = 30;

const cases = [
  { name: 'H.264', option: 'gstreamer:h264', codec: 3 },
  { name: 'VP8', option: 'gstreamer:vp8', codec: 2 },
];

describe('SPICE source against Xspice: H.264 and VP8 streams', function () {
  this.timeout(150_000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  let scene: Scene | undefined;
  let animation: OwnedProcess | undefined;
  let cover: OwnedProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-video-'));

  afterEach(async () => {
    await source?.stop();
    if (animation?.running) animation.child.kill('SIGCONT');
    await animation?.stop();
    await cover?.stop();
    await scene?.stop();
    await server?.stop();
    [source, animation, cover, scene, server] = [undefined, undefined, undefined, undefined, undefined];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const { name, option, codec } of cases) {
    it(`${name} (SpiceVideoCodecs ${option}): streamed in ${name}, within ${MIN_VIDEO_DB} dB of xwd -root while playing, exact after`, async () => {
      server = await Xspice.start({ compression: 'auto_glz', streaming: 'all', videoCodecs: option });
      const warnings: string[] = [];
      const logger = createLogger('t', { level: 'warn', sink: (line) => warnings.push(line) });
      source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger });
      await source.start(new RecordingSink());
      await waitFor(() => source!.surface(), 20_000, 'the primary surface');
      scene = new Scene(server.env, dir);
      await scene.draw({ photo: false, xterm: false });
      animation = await startVideo(server, dir);
      const display = source.displayChannels()[0];
      const messages = streamMessages(display);
      await waitFor(() => (messages.created() > 0 ? true : undefined), 30_000, 'STREAM_CREATE');
      const codecs = () => Object.keys(display.streamCodecCounts).map(Number);
      assert.deepEqual(codecs(), [codec], `the stream's codec is ${name}`);
      await waitFor(() => (messages.frames() > 10 ? true : undefined), 30_000, 'stream frames');
      // An xterm over a corner of the video: the stream must be clipped around it.
      cover = new OwnedProcess('xterm', ['-geometry', '20x5+300+250', '-e', 'sleep', '600'], { env: server.env });
      await waitFor(() => (messages.clips() > 0 ? true : undefined), 30_000, 'STREAM_CLIP');

      const last = await psnrWhilePlaying(source, server, MIN_VIDEO_DB);
      assert.ok(last.video > 0 && Number.isFinite(last.video), 'the video area is lossy: it was drawn from stream frames');
      assert.ok(last.video >= MIN_VIDEO_DB, `PSNR ${last.video.toFixed(1)} dB over the video area against xwd -root`);
      assert.ok(last.screen >= MIN_VIDEO_DB, `PSNR ${last.screen.toFixed(1)} dB over the screen against xwd -root`);
      assert.ok(allOpaque(source.surface()!));
      assert.deepEqual(codecs(), [codec], `every stream is ${name}: ${JSON.stringify(display.streamCodecCounts)}`);

      // The video stops: the server ends the stream and repaints its area losslessly.
      await exactAfterStream(source, server, animation);
      assert.equal(source.connections, 1, 'the session was never dropped');
      assert.deepEqual(warnings, []);
    });
  }
});
