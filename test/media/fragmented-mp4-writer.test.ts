import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink } from '../../src/media/file-sink';
import { FragmentedMp4Writer, type FragmentedMp4WriterOptions } from '../../src/media/mp4';
import { decodeErrors, framePictureHashes, probeDecodedFrames, probeFile, probeFrames } from '../support/media/ffprobe';
import { encodeTestVideo, type H264Fixture } from '../support/media/h264-fixture';
import { parseMp4, topLevelBoxes } from '../support/media/mp4-structure';
import { muxFixture } from '../support/media/mux';
import { irregularTimestamps } from '../support/media/sample-timing';

const FRAMES = 150;
/** Timestamps converted to 90 kHz ticks independently of the writer. */
const ticks90k = (us: number) => Math.round((us * 90_000) / 1e6);
const rejectsField = (promise: Promise<unknown>, field: string) =>
  assert.rejects(promise, (error: Error) => error instanceof TypeError && error.message.startsWith(field));

describe('FragmentedMp4Writer', function () {
  this.timeout(60_000);
  let directory: string;
  let fixture: H264Fixture;
  let fileCounter = 0;
  const nextPath = () => join(directory, `out-${++fileCounter}.mp4`);

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'screencap-mp4-'));
    fixture = await encodeTestVideo(directory, { width: 320, height: 240, frames: FRAMES, gop: 15 });
    assert.equal(fixture.accessUnits.length, FRAMES);
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const baseOptions = (): FragmentedMp4WriterOptions => ({
    width: fixture.width,
    height: fixture.height,
    sps: fixture.sps,
    pps: fixture.pps,
  });

  describe('output read back by ffprobe and ffmpeg', () => {
    const timestamps = irregularTimestamps(FRAMES);
    const stopTimeUs = timestamps[FRAMES - 1] + 25_000;
    let path: string;

    before(async () => {
      path = nextPath();
      await muxFixture(path, fixture, timestamps, stopTimeUs);
    });

    it('is H.264 of the configured size with one decoded frame per sample', async () => {
      const { streams, format } = await probeFile(path);
      assert.equal(streams.length, 1);
      const [stream] = streams;
      assert.equal(stream.codec_name, 'h264');
      assert.equal(stream.codec_tag_string, 'avc1');
      assert.equal(stream.profile, 'Constrained Baseline');
      assert.equal(stream.width, 320);
      assert.equal(stream.height, 240);
      assert.equal(stream.nb_read_frames, String(FRAMES));
      assert.match(format.format_name, /mp4/);
    });

    it('presents every frame at the timestamp it was given, within 1 ms', async () => {
      const frames = await probeFrames(path);
      assert.equal(frames.length, FRAMES);
      frames.forEach((frame, index) => {
        const errorUs = Math.abs(Number(frame.pts_time) * 1e6 - timestamps[index]);
        assert.ok(errorUs <= 1000, `frame ${index}: pts ${frame.pts_time} s, given ${timestamps[index]} us`);
        assert.equal(frame.key_frame === 1, fixture.accessUnits[index].isKeyframe, `frame ${index} key flag`);
      });
    });

    it('reports the stop time as the duration, within 1 ms', async () => {
      const { streams, format } = await probeFile(path);
      assert.ok(Math.abs(Number(format.duration) * 1e6 - stopTimeUs) <= 1000, `format duration ${format.duration}`);
      assert.ok(Math.abs(Number(streams[0].duration) * 1e6 - stopTimeUs) <= 1000, `stream duration ${streams[0].duration}`);
    });

    it('decodes without errors to exactly the pictures of the source stream', async () => {
      assert.equal(await decodeErrors(path), '');
      const muxed = await framePictureHashes(path);
      assert.equal(muxed.length, FRAMES);
      assert.deepEqual(muxed, await framePictureHashes(fixture.annexBPath));
    });
  });

  describe('box layout read back by mp4box', () => {
    const timestamps = irregularTimestamps(FRAMES);
    const stopTimeUs = timestamps[FRAMES - 1] + 40_000;
    let bytes: Uint8Array;

    before(async () => {
      const path = nextPath();
      await muxFixture(path, fixture, timestamps, stopTimeUs);
      bytes = await readFile(path);
    });

    it('is ftyp, moov, moof/mdat pairs, then mfra', () => {
      const types = topLevelBoxes(bytes).map((box) => box.type);
      assert.deepEqual(types.slice(0, 2), ['ftyp', 'moov']);
      assert.equal(types.at(-1), 'mfra');
      const fragments = types.slice(2, -1);
      assert.ok(fragments.length >= 6, `${fragments.length / 2} fragments`);
      fragments.forEach((type, index) => assert.equal(type, index % 2 === 0 ? 'moof' : 'mdat'));
    });

    it('starts each fragment at a keyframe once it holds at least 1 s, with drift-free sample durations', () => {
      const file = parseMp4(bytes);
      let sampleIndex = 0;
      file.moofs.forEach((moof, fragmentIndex) => {
        assert.equal(moof.mfhd.sequence_number, fragmentIndex + 1);
        const traf = moof.trafs[0];
        const trun = traf.truns[0];
        assert.equal(traf.tfdt.baseMediaDecodeTime, ticks90k(timestamps[sampleIndex]));
        assert.ok(fixture.accessUnits[sampleIndex].isKeyframe, `fragment ${fragmentIndex} starts at sample ${sampleIndex}`);
        assert.equal(trun.sample_flags[0], 0x02000000);
        for (let i = 0; i < trun.sample_count; i++, sampleIndex++) {
          const end = sampleIndex + 1 < FRAMES ? timestamps[sampleIndex + 1] : stopTimeUs;
          assert.equal(trun.sample_duration[i], ticks90k(end) - ticks90k(timestamps[sampleIndex]), `sample ${sampleIndex}`);
          assert.equal(trun.sample_size[i], fixture.accessUnits[sampleIndex].avcc.length);
        }
        const lastFragment = fragmentIndex === file.moofs.length - 1;
        const fragmentTicks = trun.sample_duration.reduce((total, duration) => total + duration, 0);
        if (!lastFragment) assert.ok(fragmentTicks >= 90_000, `fragment ${fragmentIndex} lasts ${fragmentTicks} ticks`);
      });
      assert.equal(sampleIndex, FRAMES);
    });

    it('states the duration in mvhd, mehd, tkhd and mdhd, and carries the SPS and PPS in avcC', () => {
      const file = parseMp4(bytes);
      const duration = ticks90k(stopTimeUs);
      assert.equal(file.moov.mvhd.timescale, 90_000);
      assert.equal(file.moov.mvhd.duration, duration);
      assert.equal(file.moov.mvex?.mehd?.fragment_duration, duration);
      const trak = file.moov.traks[0];
      assert.equal(trak.tkhd.duration, duration);
      assert.equal(trak.mdia.mdhd.timescale, 90_000);
      assert.equal(trak.mdia.mdhd.duration, duration);
      const avcC = file.getBox('avcC');
      assert.ok(avcC);
      assert.deepEqual([...avcC.SPS[0].data], [...fixture.sps]);
      assert.deepEqual([...avcC.PPS[0].data], [...fixture.pps]);
      assert.equal(avcC.lengthSizeMinusOne, 3);
    });

    it('indexes every fragment in tfra, and mfro gives the size of mfra', () => {
      const file = parseMp4(bytes);
      const [mfra, tfra, mfro] = [file.getBox('mfra'), file.getBox('tfra'), file.getBox('mfro')];
      assert.ok(mfra && tfra && mfro);
      assert.equal(tfra.track_ID, 1);
      assert.deepEqual(
        tfra.entries.map((entry) => [entry.time, entry.moof_offset, entry.traf_number, entry.trun_number, entry.sample_delta]),
        file.moofs.map((moof) => [moof.trafs[0].tfdt.baseMediaDecodeTime, moof.start, 1, 1, 1]),
      );
      assert.equal(mfro._size, mfra.size);
      assert.equal(bytes.length - mfro._size, topLevelBoxes(bytes).at(-1)!.offset);
    });
  });

  it('closes a fragment at twice the target when no keyframe comes, and the file still decodes', async () => {
    const oneKeyframe = await encodeTestVideo(directory, { width: 320, height: 240, frames: 120, gop: 1000 });
    const timestamps = irregularTimestamps(120);
    const path = nextPath();
    const writer = await muxFixture(path, oneKeyframe, timestamps, timestamps[119] + 30_000, { fragmentDurationMs: 500 });
    assert.ok(writer.fragmentsWritten >= 3);
    const file = parseMp4(await readFile(path));
    file.moofs.forEach((moof, index) => {
      const trun = moof.trafs[0].truns[0];
      assert.equal(trun.sample_flags[0], index === 0 ? 0x02000000 : 0x01010000, `fragment ${index} first sample flags`);
      const fragmentTicks = trun.sample_duration.reduce((total, duration) => total + duration, 0);
      if (index < file.moofs.length - 1) assert.ok(fragmentTicks >= 90_000, `fragment ${index}: ${fragmentTicks} ticks`);
    });
    const tfra = file.getBox('tfra');
    assert.ok(tfra);
    assert.equal(tfra.entries.length, 1, 'only the fragment starting with a keyframe is a random access point');
    assert.equal(await decodeErrors(path), '');
    assert.equal((await probeFrames(path)).length, 120);
  });

  it('asks for a keyframe at the first sample and once a fragment is due', async () => {
    const writer = await FragmentedMp4Writer.create(nextPath(), { ...baseOptions(), fragmentDurationMs: 1000 });
    assert.equal(writer.wantsKeyframe(0), true);
    await writer.addSample({ data: fixture.accessUnits[0].avcc, timestampUs: 0, isKeyframe: true });
    assert.equal(writer.wantsKeyframe(500_000), false);
    assert.equal(writer.wantsKeyframe(999_990), false);
    assert.equal(writer.wantsKeyframe(1_000_000), true);
    await writer.finish(40_000);
  });

  it('ends the last sample at its durationUs when finish() has no stop time', async () => {
    const path = nextPath();
    const writer = await FragmentedMp4Writer.create(path, baseOptions());
    await writer.addSample({ data: fixture.accessUnits[0].avcc, timestampUs: 0, isKeyframe: true });
    await writer.addSample({ data: fixture.accessUnits[1].avcc, timestampUs: 33_333, durationUs: 50_000, isKeyframe: false });
    await writer.finish();
    const { format } = await probeFile(path);
    assert.equal(Math.round(Number(format.duration) * 1e6), 83_333);
  });

  it('keeps timestamps within 1 ms at a 1 kHz timescale too', async () => {
    const timestamps = irregularTimestamps(40);
    const path = nextPath();
    await muxFixture(path, fixture, timestamps, timestamps[39] + 16_667, { timescale: 1000 });
    const file = parseMp4(await readFile(path));
    assert.equal(file.moov.mvhd.timescale, 1000);
    const frames = await probeFrames(path);
    assert.equal(frames.length, 40);
    frames.forEach((frame, index) => assert.ok(Math.abs(Number(frame.pts_time) * 1e6 - timestamps[index]) <= 500));
  });

  it('accepts a High-profile stream', async () => {
    const high = await encodeTestVideo(directory, { width: 320, height: 240, frames: 30, gop: 30, profile: 'high' });
    const path = nextPath();
    const writer = await muxFixture(path, high, irregularTimestamps(30), 1_000_000);
    assert.equal(writer.codec, 'avc1.64000d');
    const { streams } = await probeFile(path);
    assert.equal(streams[0].profile, 'High');
    assert.equal(streams[0].nb_read_frames, '30');
    assert.equal(await decodeErrors(path), '');
  });

  describe('flush() for a still screen', () => {
    // Ten frames of changes, then the screen stands still; later a keyframe starts new changes.
    const burst = irregularTimestamps(10);
    const firstFlushUs = burst[9] + 2_000_000;
    const secondFlushUs = burst[9] + 3_000_000;
    const resumedAt = 15;
    const resumed = irregularTimestamps(6, burst[9] + 3_500_000);
    const stopTimeUs = resumed[5] + 20_000;
    const expectedUs = [...burst, ...resumed];
    let path: string;
    let afterFirstFlush: Buffer;
    let afterSecondFlush: Buffer;
    let wantedKeyframe: boolean;

    before(async () => {
      path = nextPath();
      const writer = await FragmentedMp4Writer.create(path, baseOptions());
      await writer.flush(1000);
      assert.equal((await readFile(path)).length, writer.fileSize, 'a flush before any sample writes nothing');
      for (const [index, timestampUs] of burst.entries()) {
        const unit = fixture.accessUnits[index];
        await writer.addSample({ data: unit.avcc, timestampUs, isKeyframe: unit.isKeyframe });
      }
      assert.equal(writer.fragmentsWritten, 0, 'under a second of media: nothing is due yet');
      await rejectsField(writer.flush(burst[9]), 'timeUs');
      await writer.flush(firstFlushUs);
      afterFirstFlush = await readFile(path);
      await writer.flush(secondFlushUs);
      afterSecondFlush = await readFile(path);
      wantedKeyframe = writer.wantsKeyframe(resumed[0]);
      for (const [index, timestampUs] of resumed.entries()) {
        const unit = fixture.accessUnits[resumedAt + index];
        await writer.addSample({ data: unit.avcc, timestampUs, isKeyframe: unit.isKeyframe });
      }
      await writer.finish(stopTimeUs);
    });

    it('puts every sample so far on disk, lasting until the flush, as a crash would leave the file', async () => {
      for (const [bytes, flushUs] of [
        [afterFirstFlush, firstFlushUs],
        [afterSecondFlush, secondFlushUs],
      ] as const) {
        const crashed = join(directory, `flushed-${flushUs}.mp4`);
        await writeFile(crashed, bytes);
        const { frames, duration } = await probeDecodedFrames(crashed);
        assert.equal(frames.length, 10);
        frames.forEach((frame, index) =>
          assert.ok(Math.abs(Number(frame.pts_time) * 1e6 - burst[index]) <= 1000, `frame ${index}: ${frame.pts_time}`),
        );
        assert.ok(Math.abs(Number(duration) * 1e6 - flushUs) <= 1000, `duration ${duration} s, flushed at ${flushUs} us`);
        assert.equal(await decodeErrors(crashed), '');
      }
      // The second flush only rewrote the last sample's duration in place.
      assert.equal(afterSecondFlush.length, afterFirstFlush.length);
    });

    it('asks for a keyframe after a flush, and keeps every timestamp exact with no gap in the track', async () => {
      assert.equal(wantedKeyframe, true);
      const frames = await probeFrames(path);
      assert.equal(frames.length, expectedUs.length);
      frames.forEach((frame, index) =>
        assert.ok(Math.abs(Number(frame.pts_time) * 1e6 - expectedUs[index]) <= 1000, `frame ${index}: ${frame.pts_time}`),
      );
      const file = parseMp4(await readFile(path));
      assert.equal(file.moofs.length, 2);
      let sampleIndex = 0;
      for (const moof of file.moofs) {
        const traf = moof.trafs[0];
        assert.equal(traf.tfdt.baseMediaDecodeTime, ticks90k(expectedUs[sampleIndex]));
        for (const duration of traf.truns[0].sample_duration) {
          const end = expectedUs[sampleIndex + 1] ?? stopTimeUs;
          assert.equal(duration, ticks90k(end) - ticks90k(expectedUs[sampleIndex]), `sample ${sampleIndex}`);
          sampleIndex++;
        }
      }
      assert.equal(file.getBox('tfra')?.entries.length, 2, 'both fragments start with a keyframe');
      assert.equal(await decodeErrors(path), '');
      const { format } = await probeFile(path);
      assert.ok(Math.abs(Number(format.duration) * 1e6 - stopTimeUs) <= 1000, `duration ${format.duration}`);
    });

    it('ends a flushed last sample at the stop time, or at the flush time without one', async () => {
      for (const stop of [1_500_000, undefined]) {
        const flushed = nextPath();
        const writer = await FragmentedMp4Writer.create(flushed, baseOptions());
        await writer.addSample({ data: fixture.accessUnits[0].avcc, timestampUs: 0, isKeyframe: true });
        await writer.flush(1_000_000);
        await rejectsField(writer.finish(0), 'stopTimeUs');
        await writer.finish(stop);
        const { format, streams } = await probeFile(flushed);
        assert.equal(streams[0].nb_read_frames, '1');
        assert.ok(Math.abs(Number(format.duration) * 1e6 - (stop ?? 1_000_000)) <= 1000, `stop ${stop}: duration ${format.duration}`);
      }
    });
  });

  it('closes fragments on time without keyframes when the maximum is the target', async () => {
    const oneKeyframe = await encodeTestVideo(directory, { width: 320, height: 240, frames: 120, gop: 1000 });
    const timestamps = irregularTimestamps(120);
    const path = nextPath();
    const writer = await muxFixture(path, oneKeyframe, timestamps, timestamps[119] + 30_000, {
      fragmentDurationMs: 500,
      maxFragmentDurationMs: 500,
    });
    const file = parseMp4(await readFile(path));
    assert.equal(file.moofs.length, writer.fragmentsWritten);
    file.moofs.forEach((moof, index) => {
      const trun = moof.trafs[0].truns[0];
      const fragmentTicks = trun.sample_duration.reduce((total, duration) => total + duration, 0);
      // Closed at the first sample at or past 500 ms: less than one frame gap (at most 50 ms here) over it.
      if (index < file.moofs.length - 1) {
        assert.ok(fragmentTicks >= 45_000 && fragmentTicks < 45_000 + 0.05 * 90_000, `fragment ${index}: ${fragmentTicks} ticks`);
      }
    });
    const mediaS = (timestamps[119] + 30_000) / 1e6;
    assert.ok(file.moofs.length >= Math.floor(mediaS / 0.55), `${file.moofs.length} fragments over ${mediaS.toFixed(2)} s`);
    assert.equal(await decodeErrors(path), '');
    assert.equal((await probeFrames(path)).length, 120);
  });

  describe('bad input', () => {
    it('rejects bad options with a TypeError naming the field, before creating the file', async () => {
      const path = nextPath();
      await rejectsField(FragmentedMp4Writer.create(path, { ...baseOptions(), width: 321 }), 'options.width');
      await rejectsField(FragmentedMp4Writer.create(path, { ...baseOptions(), height: 0 }), 'options.height');
      await rejectsField(FragmentedMp4Writer.create(path, { ...baseOptions(), timescale: 0.5 }), 'options.timescale');
      await rejectsField(FragmentedMp4Writer.create(path, { ...baseOptions(), fragmentDurationMs: -1 }), 'options.fragmentDurationMs');
      await rejectsField(
        FragmentedMp4Writer.create(path, { ...baseOptions(), fragmentDurationMs: 1000, maxFragmentDurationMs: 999 }),
        'options.maxFragmentDurationMs',
      );
      const withoutSps = { ...baseOptions(), sps: undefined } as unknown as FragmentedMp4WriterOptions;
      await rejectsField(FragmentedMp4Writer.create(path, withoutSps), 'options.sps');
      const annexBSps = Uint8Array.of(0, 0, 0, 1, ...fixture.sps);
      await rejectsField(FragmentedMp4Writer.create(path, { ...baseOptions(), sps: annexBSps }), 'options.sps');
      await rejectsField(FragmentedMp4Writer.create(path, { ...baseOptions(), pps: fixture.sps }), 'options.pps');
      await rejectsField(FragmentedMp4Writer.create('', baseOptions()), 'path');
      await assert.rejects(readFile(path), { code: 'ENOENT' });
    });

    it('rejects bad samples with a TypeError naming the field, and stays usable', async () => {
      const path = nextPath();
      const writer = await FragmentedMp4Writer.create(path, baseOptions());
      const [key, delta] = fixture.accessUnits;
      await rejectsField(writer.addSample({ data: delta.avcc, timestampUs: 0, isKeyframe: false }), 'sample.isKeyframe');
      await rejectsField(writer.addSample({ data: delta.avcc, timestampUs: 0, isKeyframe: true }), 'sample.isKeyframe');
      await rejectsField(writer.addSample({ data: key.avcc, timestampUs: -1, isKeyframe: true }), 'sample.timestampUs');
      await rejectsField(writer.addSample({ data: key.avcc, timestampUs: NaN, isKeyframe: true }), 'sample.timestampUs');
      const annexB = Uint8Array.of(0, 0, 0, 1, ...key.avcc.subarray(4));
      await rejectsField(writer.addSample({ data: annexB, timestampUs: 0, isKeyframe: true }), 'sample.data');
      await rejectsField(writer.addSample({ data: key.avcc.subarray(0, 100), timestampUs: 0, isKeyframe: true }), 'sample.data');
      const withSps = Uint8Array.of(0, 0, 0, fixture.sps.length, ...fixture.sps, ...key.avcc);
      await rejectsField(writer.addSample({ data: withSps, timestampUs: 0, isKeyframe: true }), 'sample.data');
      await rejectsField(writer.addSample({ data: new Uint8Array(0), timestampUs: 0, isKeyframe: true }), 'sample.data');

      await writer.addSample({ data: key.avcc, timestampUs: 0, isKeyframe: true });
      await rejectsField(writer.addSample({ data: delta.avcc, timestampUs: 0, isKeyframe: false }), 'sample.timestampUs');
      await rejectsField(writer.addSample({ data: delta.avcc, timestampUs: 5, isKeyframe: false }), 'sample.timestampUs');
      await rejectsField(
        writer.addSample({ data: delta.avcc, timestampUs: 10_000, durationUs: 0, isKeyframe: false }),
        'sample.durationUs',
      );
      await writer.addSample({ data: delta.avcc, timestampUs: 10_000, isKeyframe: false });
      await rejectsField(writer.finish(10_000), 'stopTimeUs');
      assert.equal(writer.state, 'open');
      await writer.finish(20_000);
      assert.equal((await probeFrames(path)).length, 2);
    });
  });

  describe('lifecycle', () => {
    it('goes open, finishing, finished, and refuses calls afterwards', async () => {
      const writer = await FragmentedMp4Writer.create(nextPath(), baseOptions());
      assert.equal(writer.state, 'open');
      await writer.addSample({ data: fixture.accessUnits[0].avcc, timestampUs: 0, isKeyframe: true });
      const finishing = writer.finish(33_000);
      assert.equal(writer.state, 'finishing');
      await finishing;
      assert.equal(writer.state, 'finished');
      assert.equal(writer.samplesWritten, 1);
      await assert.rejects(writer.finish(40_000), /writer is finished/);
      await assert.rejects(
        writer.addSample({ data: fixture.accessUnits[1].avcc, timestampUs: 40_000, isKeyframe: false }),
        /writer is finished/,
      );
    });

    it('refuses overlapping calls instead of queueing them', async () => {
      const writer = await FragmentedMp4Writer.create(nextPath(), { ...baseOptions(), fragmentDurationMs: 10 });
      await writer.addSample({ data: fixture.accessUnits[0].avcc, timestampUs: 0, isKeyframe: true });
      // This sample completes a fragment, so the call stays pending while the fragment is written.
      const writing = writer.addSample({ data: fixture.accessUnits[15].avcc, timestampUs: 500_000, isKeyframe: true });
      await assert.rejects(
        writer.addSample({ data: fixture.accessUnits[16].avcc, timestampUs: 533_000, isKeyframe: false }),
        /still pending/,
      );
      await writing;
      assert.equal(writer.fragmentsWritten, 1);
      await writer.finish(600_000);
    });

    it('becomes failed when a write fails, keeping the cause', async () => {
      const writer = await FragmentedMp4Writer.create(nextPath(), { ...baseOptions(), fragmentDurationMs: 10 });
      await writer.addSample({ data: fixture.accessUnits[0].avcc, timestampUs: 0, isKeyframe: true });
      const append = Object.getOwnPropertyDescriptor(FileSink.prototype, 'append')!;
      const diskError = new Error('simulated disk failure');
      FileSink.prototype.append = () => Promise.reject(diskError);
      try {
        await assert.rejects(writer.addSample({ data: fixture.accessUnits[15].avcc, timestampUs: 500_000, isKeyframe: true }), diskError);
      } finally {
        Object.defineProperty(FileSink.prototype, 'append', append);
      }
      assert.equal(writer.state, 'failed');
      await assert.rejects(writer.finish(600_000), (error: Error) => /failed earlier/.test(error.message) && error.cause === diskError);
    });
  });
});
