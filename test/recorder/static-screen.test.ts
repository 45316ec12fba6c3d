/** A screen that changes rarely: the recorder writes only the frames the server delivers, at their times. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CaptureClient, Recorder } from '../../src/clients';
import { Fixture, settle } from '../support/fixture';
import { solidImage } from '../support/images';
import { probe, temporaryDirectory } from './helpers';

describe('Recorder on a static screen', function () {
  this.timeout(30_000);

  it('writes one sample per change and keeps the gaps and the duration real', async () => {
    const fixture = await Fixture.start({ image: solidImage(64, 48, [255, 0, 0]) });
    const client = new CaptureClient({ address: fixture.server.address });
    const out = await temporaryDirectory();
    try {
      const timestampsUs: number[] = [];
      const recorder = new Recorder(client, { outDir: out.path, onFrame: ({ timestampUs }) => timestampsUs.push(timestampUs) });
      const controller = new AbortController();
      const running = recorder.run({ signal: controller.signal });
      await settle(200);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      await settle(700);
      await fixture.newFrame(solidImage(64, 48, [0, 0, 255]));
      await settle(500);
      controller.abort();
      const summary = await running;

      assert.equal(summary.framesDelivered, 2);
      assert.equal(summary.framesWritten, 2);
      const video = await probe(summary.path);
      assert.deepEqual([video.width, video.height], [64, 48]);
      assert.equal(video.ptsS.length, 2);
      assert.equal(video.ptsS[0], 0);
      // The second change came about 750 ms after the first, and the file says when exactly.
      assert.ok(Math.abs(video.ptsS[1] * 1e6 - timestampsUs[1]) <= 1000);
      assert.ok(timestampsUs[1] > 700_000 && timestampsUs[1] < 1_500_000, `second frame at ${timestampsUs[1]} us`);
      // Nothing changed for the last ~500 ms, yet the file lasts until the stop.
      assert.ok(video.durationS - video.ptsS[1] > 0.45, `duration ${video.durationS} s, last frame at ${video.ptsS[1]} s`);
      assert.ok(Math.abs(video.durationS * 1e6 - summary.durationUs) <= 1000);
    } finally {
      client.close();
      await fixture.stop();
      await out.remove();
    }
  });

  it('puts changes on disk once the screen has stood still for a fragment length, keeping exact times', async () => {
    const fixture = await Fixture.start({ image: solidImage(64, 48, [255, 0, 0]) });
    const client = new CaptureClient({ address: fixture.server.address });
    const out = await temporaryDirectory();
    try {
      const timestampsUs: number[] = [];
      const recorder = new Recorder(client, {
        outDir: out.path,
        fragmentDurationMs: 200,
        onFrame: ({ timestampUs }) => timestampsUs.push(timestampUs),
      });
      const controller = new AbortController();
      const running = recorder.run({ signal: controller.signal });
      await settle(200);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      await settle(100);
      await fixture.newFrame(solidImage(64, 48, [0, 0, 255]));
      // Still for three fragment lengths: both changes are in the file while it is being recorded.
      await settle(600);
      const during = await probe(join(out.path, 'display.mp4'));
      assert.equal(during.ptsS.length, 2);
      assert.ok(during.durationS - during.ptsS[1] >= 0.2, `on disk until ${during.durationS} s, last change at ${during.ptsS[1]} s`);
      await fixture.newFrame(solidImage(64, 48, [255, 255, 255]));
      await settle(300);
      controller.abort();
      const summary = await running;

      assert.equal(summary.framesWritten, 3);
      const video = await probe(summary.path);
      assert.equal(video.ptsS.length, 3);
      video.ptsS.forEach((pts, i) => assert.ok(Math.abs(pts * 1e6 - timestampsUs[i]) <= 1000, `pts ${i}: ${pts} s vs ${timestampsUs[i]} us`));
      // The change after the pause starts a fragment with a keyframe.
      assert.equal(video.isKeyframe[2], true);
      assert.ok(Math.abs(video.durationS * 1e6 - summary.durationUs) <= 1000);
    } finally {
      client.close();
      await fixture.stop();
      await out.remove();
    }
  });

  it('starts the file when the recording starts, not when the frame the server hands over was latched', async () => {
    const fixture = await Fixture.start({ image: solidImage(64, 48, [255, 0, 0]) });
    await fixture.newFrame(solidImage(64, 48, [255, 0, 0]));
    // The screen then stands still: the recorder's first frame will be this old.
    await settle(1000);
    const client = new CaptureClient({ address: fixture.server.address });
    const out = await temporaryDirectory();
    try {
      const timestampsUs: number[] = [];
      const recorder = new Recorder(client, { outDir: out.path, onFrame: ({ timestampUs }) => timestampsUs.push(timestampUs) });
      const controller = new AbortController();
      const running = recorder.run({ signal: controller.signal });
      await settle(300);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      await settle(400);
      controller.abort();
      const summary = await running;

      assert.equal(summary.framesWritten, 2);
      const video = await probe(summary.path);
      // The change came some 300 ms into the recording (plus the session's setup), not 1.3 s.
      assert.ok(timestampsUs[1] > 250_000 && timestampsUs[1] < 900_000, `second frame at ${timestampsUs[1]} us`);
      // The file lasts as long as the recorder ran, first frame to stop.
      assert.ok(Math.abs(video.durationS * 1000 - summary.elapsedMs) <= 20, `duration ${video.durationS} s, recorded ${summary.elapsedMs} ms`);
    } finally {
      client.close();
      await fixture.stop();
      await out.remove();
    }
  });
});
