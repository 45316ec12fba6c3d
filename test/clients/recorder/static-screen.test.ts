/** A screen that changes rarely: the recorder writes only the frames the server delivers, at their times. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CaptureClient, Recorder, type RecorderOptions } from '../../../src/clients';
import { Fixture, settle } from '../../support/fixture';
import { solidImage } from '../../support/images';
import { decodeI420, probe, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';

/** A still red screen: what every test here starts from. */
const RED = solidImage(64, 48, [255, 0, 0]);

/** What a test gets: the served screen, a recorder into a fresh directory, and where its frames went. */
interface Stage {
  fixture: Fixture;
  outDir: string;
  /** Per frame the recorder wrote, its sample index and its timestamp in the file. */
  indices: number[];
  timestampsUs: number[];
  recorder(options?: Partial<RecorderOptions>): Recorder;
}

/**
 * Runs `test` on a red screen that the server latched `now` (just before the recording), `a second
 * ago`, or `never` (its first frame comes with the recording's session), and stops everything after.
 */
async function onRedScreen(latched: 'now' | 'a second ago' | 'never', test: (stage: Stage) => Promise<void>): Promise<void> {
  const fixture = await Fixture.start({ image: RED });
  if (latched !== 'never') await fixture.newFrame(RED);
  if (latched === 'a second ago') await settle(1000);
  const client = new CaptureClient({ address: fixture.server.address });
  const out = await temporaryDirectory();
  const indices: number[] = [];
  const timestampsUs: number[] = [];
  const onFrame: RecorderOptions['onFrame'] = ({ index, timestampUs }) => {
    indices.push(index);
    timestampsUs.push(timestampUs);
  };
  try {
    await test({
      fixture,
      outDir: out.path,
      indices,
      timestampsUs,
      recorder: (options = {}) => new Recorder(client, { ...options, outDir: out.path, onFrame }),
    });
  } finally {
    client.close();
    await fixture.stop();
    await out.remove();
  }
}

describe('Recorder on a static screen', function () {
  this.timeout(30_000);

  it('writes one sample per change and keeps the gaps and the duration real', async () => {
    // The screen shows red when the recording starts.
    await onRedScreen('now', async ({ fixture, indices, timestampsUs, recorder: newRecorder }) => {
      const recorder = newRecorder();
      const controller = new AbortController();
      const running = recorder.run({ signal: controller.signal });
      await settle(200);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      await settle(700);
      await fixture.newFrame(solidImage(64, 48, [0, 0, 255]));
      await settle(500);
      controller.abort();
      const summary = await running;

      assert.equal(summary.framesDelivered, 3);
      assert.equal(summary.framesWritten, 3);
      const video = await probe(summary.path);
      assert.deepEqual([video.width, video.height], [64, 48]);
      // Each change, and a sharp pass over each picture that stood still long enough.
      assert.equal(video.ptsS.length, summary.framesWritten + summary.framesAgain);
      assert.ok(summary.framesAgain >= 1 && summary.framesAgain <= 2, `${summary.framesAgain} sharp passes`);
      assert.equal(video.ptsS[0], 0);
      // The second change came about 750 ms after the first (on the 60 Hz grid: within a period),
      // and the file says when exactly.
      indices.forEach((sample, i) => assert.ok(Math.abs(video.ptsS[sample] * 1e6 - timestampsUs[i]) <= 1000, `sample ${sample}`));
      const gapUs = timestampsUs[2] - timestampsUs[1];
      assert.ok(gapUs > 680_000 && gapUs < 1_500_000, `second change ${gapUs} us after the first`);
      // Nothing changed for the last ~500 ms, yet the file lasts until the stop.
      assert.ok(
        video.durationS - video.ptsS[indices[2]] > 0.45,
        `duration ${video.durationS} s, last frame at ${video.ptsS[indices[2]]} s`,
      );
      assert.ok(Math.abs(video.durationS * 1e6 - summary.durationUs) <= 1000);
    });
  });

  it('puts changes on disk once the screen has stood still for a fragment length, keeping exact times', async () => {
    await onRedScreen('never', async ({ fixture, outDir, indices, timestampsUs, recorder: newRecorder }) => {
      const recorder = newRecorder({ fragmentDurationMs: 200 });
      const controller = new AbortController();
      const running = recorder.run({ signal: controller.signal });
      await settle(200);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      await settle(100);
      await fixture.newFrame(solidImage(64, 48, [0, 0, 255]));
      // Still for three fragment lengths: both changes are in the file while it is being recorded.
      await settle(600);
      const during = await probe(join(outDir, 'display.mp4'));
      const changesSoFar = indices.length;
      assert.ok(
        during.ptsS.length >= indices[changesSoFar - 1] + 1,
        `${during.ptsS.length} samples on disk, changes up to sample ${indices[changesSoFar - 1]}`,
      );
      const lastChangeS = during.ptsS[indices[changesSoFar - 1]];
      assert.ok(during.durationS - lastChangeS >= 0.2, `on disk until ${during.durationS} s, last change at ${lastChangeS} s`);
      await fixture.newFrame(solidImage(64, 48, [255, 255, 255]));
      await settle(300);
      controller.abort();
      const summary = await running;

      assert.equal(summary.framesWritten, 3);
      const video = await probe(summary.path);
      assert.equal(video.ptsS.length, summary.framesWritten + summary.framesAgain);
      indices.forEach((sample, i) =>
        assert.ok(
          Math.abs(video.ptsS[sample] * 1e6 - timestampsUs[i]) <= 1000,
          `pts ${sample}: ${video.ptsS[sample]} s vs ${timestampsUs[i]} us`,
        ),
      );
      // The change after the pause starts a fragment with a keyframe.
      assert.equal(video.isKeyframe[indices[2]], true);
      assert.ok(Math.abs(video.durationS * 1e6 - summary.durationUs) <= 1000);
    });
  });

  it('starts the file when the recording starts, not when the frame the server hands over was latched', async () => {
    // The screen then stands still: the recorder's first frame will be this old.
    await onRedScreen('a second ago', async ({ fixture, timestampsUs, recorder: newRecorder }) => {
      const recorder = newRecorder();
      const controller = new AbortController();
      const running = recorder.run({ signal: controller.signal });
      await settle(300);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      await settle(400);
      controller.abort();
      const summary = await running;

      assert.equal(summary.framesWritten, 2);
      const video = await probe(summary.path);
      // The change came some 300 ms into the recording (less the session's setup), not 1.3 s.
      assert.ok(timestampsUs[1] > 100_000 && timestampsUs[1] < 900_000, `second frame at ${timestampsUs[1]} us`);
      // The file lasts as long as the recorder ran, first frame to stop.
      assert.ok(
        Math.abs(video.durationS * 1000 - summary.elapsedMs) <= 20,
        `duration ${video.durationS} s, recorded ${summary.elapsedMs} ms`,
      );
    });
  });

  it('keeps time when the screen stands still for seconds after the start, and honours the duration', async () => {
    // The frame the recorder gets first is a second old when it starts.
    await onRedScreen('a second ago', async ({ fixture, indices, timestampsUs, recorder: newRecorder }) => {
      const recorder = newRecorder();
      const running = recorder.run({ durationMs: 5000 });
      // Still for 3 s, longer than a fragment: the file is flushed meanwhile.
      await settle(3000);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      const summary = await running;

      assert.equal(summary.framesWritten, 2, `${summary.framesSkipped} skipped`);
      const video = await probe(summary.path);
      assert.equal(video.ptsS.length, summary.framesWritten + summary.framesAgain);
      // The still screen shows from time 0 until the change, some 3 s in (less the session's setup).
      assert.equal(video.ptsS[0], 0);
      const changeS = video.ptsS[indices[1]];
      assert.ok(changeS > 2.5 && changeS < 3.5, `change at ${changeS} s`);
      assert.ok(Math.abs(changeS * 1e6 - timestampsUs[1]) <= 1000);
      // Between them, only the sharp pass over the red picture.
      assert.ok(indices[1] <= 2, `change is sample ${indices[1]}`);
      // As long as the recording ran: the 5 s asked for, within 2 %.
      assert.ok(Math.abs(video.durationS - 5) <= 0.1, `duration ${video.durationS} s`);
      assert.ok(
        Math.abs(video.durationS * 1000 - summary.elapsedMs) <= 0.02 * summary.elapsedMs,
        `duration ${video.durationS} s, recorded ${summary.elapsedMs} ms`,
      );
      const frames = await decodeI420(summary.path, 64, 48);
      const red = await rgbaToI420(RED.pixels, 64, 48);
      const green = await rgbaToI420(solidImage(64, 48, [0, 255, 0]).pixels, 64, 48);
      assert.ok(psnr(frames[0], red) > 40, 'the first frame is the still red screen');
      assert.ok(psnr(frames[indices[1]], green) > 40, 'the change is the green screen');
    });
  });
});
