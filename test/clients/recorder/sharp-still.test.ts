/**
 * A screen that stops moving is sharp in the recording: once no frame has come for a moment, the
 * recorder codes the last picture again at high quality. The built-in desktop with nothing moving
 * but its clock (which changes once a second), recorded at a very low bitrate: every sharp pass
 * must match the picture it re-codes, a moment after that picture arrived, as a keyframe.
 */
import assert from 'node:assert/strict';
import { CaptureClient, Recorder } from '../../../src/clients';
import { CaptureServer } from '../../../src/server';
import { SyntheticDesktop } from '../../../src/sources';
import { quietLogger } from '../../support/fixture';
import { decodeI420, packedCopy, probe, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';

const WIDTH = 1280;
const HEIGHT = 720;
/** What a still screen's picture must reach in the file. */
const SHARP_PSNR_DB = 42;

describe('Recorder on a screen that stops moving', function () {
  this.timeout(60_000);

  it('codes the still picture again sharp, without disturbing the timestamps', async () => {
    // One animation step a second: a window that does not move is still redrawn (as damage) at
    // every step, so at the default 60 steps a second frames would never stop coming.
    const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT, typingRate: 0, windowSpeed: 0, animationFps: 1 });
    const server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: 60, logger: quietLogger });
    const client = new CaptureClient({ address: server.address });
    const out = await temporaryDirectory();
    try {
      const pictures = new Map<number, { timestampUs: number; rgba: Buffer }>();
      const recorder = new Recorder(client, {
        outDir: out.path,
        // Far below what a 720p desktop needs: whatever rate control does, the sharp pass is coded at its own quality.
        bitrateBps: 100_000,
        onFrame: ({ index, timestampUs, frame }) =>
          pictures.set(index, { timestampUs, rgba: packedCopy(frame.pixels, WIDTH, HEIGHT, frame.stride) }),
      });
      const summary = await recorder.run({ durationMs: 3500 });

      const video = await probe(summary.path);
      assert.equal(video.ptsS.length, summary.framesWritten + summary.framesAgain);
      assert.ok(
        summary.framesAgain >= 2,
        `${summary.framesWritten} frames at ${[...pictures.values()].map((p) => p.timestampUs).join(', ')} us, ${summary.framesAgain} sharp passes in 3.5 s of a desktop whose clock ticks once a second`,
      );
      const frames = await decodeI420(summary.path, WIDTH, HEIGHT);
      assert.equal(frames.length, video.ptsS.length);
      const report: string[] = [];
      let latest: { timestampUs: number; i420: Buffer } | undefined;
      let sharpPasses = 0;
      for (let sample = 0; sample < frames.length; sample++) {
        const picture = pictures.get(sample);
        if (picture !== undefined) {
          // A frame from the server, at its capture time.
          assert.ok(Math.abs(video.ptsS[sample] * 1e6 - picture.timestampUs) <= 1000, `sample ${sample} at ${video.ptsS[sample]} s`);
          latest = { timestampUs: picture.timestampUs, i420: await rgbaToI420(picture.rgba, WIDTH, HEIGHT) };
          report.push(`frame ${sample}: ${psnr(frames[sample], latest.i420).toFixed(1)} dB`);
          continue;
        }
        // A sharp pass: the same picture, a moment after it stopped changing, as a keyframe.
        assert.ok(latest !== undefined, `sample ${sample} re-codes a picture`);
        const db = psnr(frames[sample], latest.i420);
        report.push(`sharp ${sample}: ${db.toFixed(1)} dB`);
        const stillForS = video.ptsS[sample] - latest.timestampUs / 1e6;
        assert.ok(stillForS >= 0.35 && stillForS < 1, `sharp pass ${stillForS.toFixed(3)} s after its picture`);
        assert.equal(video.isKeyframe[sample], true);
        assert.ok(db >= SHARP_PSNR_DB, report.join(', '));
        sharpPasses++;
      }
      assert.equal(sharpPasses, summary.framesAgain);
    } finally {
      client.close();
      await server.stop(500);
      await out.remove();
    }
  });
});
