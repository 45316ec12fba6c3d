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
import { allOpaque, countDifferences, psnr } from '../../support/spice/compare';
import { delay, OwnedProcess, run, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { dumpRoot, grabRoot, xwdToRgba } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const STREAM_CREATE = 122;
const STREAM_DATA = 123;
const STREAM_DATA_SIZED = 316;
const STREAM_CLIP = 124;
const STREAM_DESTROY = 125;
const STREAM_DESTROY_ALL = 126;
/** Where the animation window sits. */
const VIDEO = { x: 200, y: 150, width: 256, height: 192 };
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
      // An endless animation of one picture: the server streams the window, and xwd -root taken
      // at any moment shows exactly what the stream encodes.
      const picture = join(dir, 'video.png');
      await run('convert', ['-size', `${VIDEO.width}x${VIDEO.height}`, '-seed', '3', 'plasma:fractal', picture]);
      animation = new OwnedProcess('animate', ['-geometry', `+${VIDEO.x}+${VIDEO.y}`, '-delay', '4', '-loop', '0', picture, picture], {
        env: server.env,
      });
      const display = source.displayChannels()[0];
      const count = (...types: number[]) => types.reduce((sum, type) => sum + (display.messageCounts[type] ?? 0), 0);
      await waitFor(() => (count(STREAM_CREATE) > 0 ? true : undefined), 30_000, 'STREAM_CREATE');
      const codecs = () => Object.keys(display.streamCodecCounts).map(Number);
      assert.deepEqual(codecs(), [codec], `the stream's codec is ${name}`);
      await waitFor(() => (count(STREAM_DATA, STREAM_DATA_SIZED) > 10 ? true : undefined), 30_000, 'stream frames');
      // An xterm over a corner of the video: the stream must be clipped around it.
      cover = new OwnedProcess('xterm', ['-geometry', '20x5+300+250', '-e', 'sleep', '600'], { env: server.env });
      await waitFor(() => (count(STREAM_CLIP) > 0 ? true : undefined), 30_000, 'STREAM_CLIP');

      // Compare while the stream plays: frames arrived around the moment and no stream ended.
      let last = { video: 0, screen: 0 };
      const deadline = Date.now() + 30_000;
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
          if (last.video >= MIN_VIDEO_DB && last.screen >= MIN_VIDEO_DB) break;
        }
        await delay(200);
      }
      assert.ok(Number.isFinite(last.video), 'the video area is lossy: it was drawn from stream frames');
      assert.ok(last.video >= MIN_VIDEO_DB, `PSNR ${last.video.toFixed(1)} dB over the video area against xwd -root`);
      assert.ok(last.screen >= MIN_VIDEO_DB, `PSNR ${last.screen.toFixed(1)} dB over the screen against xwd -root`);
      assert.ok(allOpaque(source.surface()!));
      assert.deepEqual(codecs(), [codec], `every stream is ${name}: ${JSON.stringify(display.streamCodecCounts)}`);

      // The video stops: the server ends the stream and repaints its area losslessly.
      animation.child.kill('SIGSTOP');
      const ended = count(STREAM_DESTROY, STREAM_DESTROY_ALL);
      await waitFor(() => (count(STREAM_DESTROY, STREAM_DESTROY_ALL) > ended ? true : undefined), 30_000, 'the stream ended');
      let differences = -1;
      await waitFor(
        async () => {
          const root = await grabRoot(server!.env);
          differences = source!.isLatchable() ? countDifferences(source!.surface()!, root.rgba, root.width, root.height) : -1;
          return differences === 0 ? true : undefined;
        },
        30_000,
        'the picture equal to xwd -root',
        300,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${differences} pixels differ`);
      });
      assert.equal(source.connections, 1, 'the session was never dropped');
      assert.deepEqual(warnings, []);
    });
  }
});
