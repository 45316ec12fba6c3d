import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FileSink } from '../../src/media/file-sink';
import { FragmentedMp4Writer } from '../../src/media/mp4';
import { decodeErrors, probeDecodedFrames, probeFrames } from '../support/media/ffprobe';
import { encodeTestVideo, type H264Fixture } from '../support/media/h264-fixture';
import { parseMp4, topLevelBoxes } from '../support/media/mp4-structure';
import { irregularTimestamps } from '../support/media/sample-timing';
import { FRAME_INTERVAL_US } from '../support/media/slow-writer-child';

/**
 * What a crash leaves behind. The writer's durable states are the file after each fragment; in
 * between, a crash leaves a prefix of the next fragment, which the writer writes as a `free` box
 * and renames to `moof` only once it is complete and synced. These tests rebuild exactly those
 * states (cut at fragment boundaries and inside a fragment) and check what ffmpeg reads from them,
 * then kill a real writing process.
 */

const FRAMES = 150;

interface Recording {
  /** The file after each fragment was synced; index 0 is the init segment alone. */
  durable: Buffer[];
  /** Samples in the first k fragments, for each k. */
  samplesIn: number[];
  finished: Buffer;
  timestamps: number[];
}

async function record(path: string, fixture: H264Fixture): Promise<Recording> {
  const timestamps = irregularTimestamps(FRAMES);
  const writer = await FragmentedMp4Writer.create(path, {
    width: fixture.width,
    height: fixture.height,
    sps: fixture.sps,
    pps: fixture.pps,
  });
  const durable = [await readFile(path)];
  const samplesIn = [0];
  for (const [index, timestampUs] of timestamps.entries()) {
    const unit = fixture.accessUnits[index];
    await writer.addSample({ data: unit.avcc, timestampUs, isKeyframe: unit.isKeyframe });
    if (writer.fragmentsWritten === durable.length) {
      durable.push(await readFile(path));
      samplesIn.push(writer.samplesWritten);
    }
  }
  await writer.finish(timestamps[FRAMES - 1] + 30_000);
  return { durable, samplesIn, finished: await readFile(path), timestamps };
}

describe('FragmentedMp4Writer after a crash', function () {
  this.timeout(60_000);
  let directory: string;
  let fixture: H264Fixture;
  let recording: Recording;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'screencap-mp4-crash-'));
    fixture = await encodeTestVideo(directory, { width: 320, height: 240, frames: FRAMES, gop: 15 });
    recording = await record(join(directory, 'recorded.mp4'), fixture);
    assert.ok(recording.durable.length >= 4, `${recording.durable.length - 1} fragments`);
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** Writes `bytes` to a file; returns the pts (us) of every frame ffprobe decodes, and the duration (us). */
  async function framesOf(name: string, bytes: Uint8Array): Promise<{ path: string; pts: number[]; durationUs: number }> {
    const path = join(directory, name);
    await writeFile(path, bytes);
    const { frames, duration } = await probeDecodedFrames(path);
    return { path, pts: frames.map((frame) => Number(frame.pts_time) * 1e6), durationUs: Number(duration) * 1e6 };
  }

  it('writes a fragment as a free box, syncs, renames it moof, and syncs again', async () => {
    const calls: Array<{ op: string; at?: number; bytes?: string }> = [];
    const fourcc = (bytes: Uint8Array, offset: number) => Buffer.from(bytes.subarray(offset, offset + 4)).toString('latin1');
    const prototype = FileSink.prototype;
    const originals = { append: prototype.append, overwrite: prototype.overwrite, sync: prototype.sync };
    prototype.append = function (this: FileSink, chunks: readonly Uint8Array[]) {
      calls.push({ op: 'append', at: this.length, bytes: fourcc(chunks[0], 4) });
      return originals.append.call(this, chunks);
    };
    prototype.overwrite = function (this: FileSink, position: number, bytes: Uint8Array) {
      calls.push({ op: 'overwrite', at: position, bytes: bytes.length === 4 ? fourcc(bytes, 0) : fourcc(bytes, 4) });
      return originals.overwrite.call(this, position, bytes);
    };
    prototype.sync = function (this: FileSink) {
      calls.push({ op: 'sync' });
      return originals.sync.call(this);
    };
    try {
      const writer = await FragmentedMp4Writer.create(join(directory, 'protocol.mp4'), {
        width: fixture.width,
        height: fixture.height,
        sps: fixture.sps,
        pps: fixture.pps,
        fragmentDurationMs: 100,
      });
      const [key, delta] = fixture.accessUnits;
      await writer.addSample({ data: key.avcc, timestampUs: 0, isKeyframe: true });
      // No keyframe comes: the first fragment is closed at twice the target; finish() writes the second.
      await writer.addSample({ data: delta.avcc, timestampUs: 200_000, isKeyframe: false });
      await writer.finish(250_000);
    } finally {
      Object.assign(prototype, originals);
    }
    const [first, second] = [calls[2].at!, calls[6].at!];
    assert.deepEqual(calls, [
      { op: 'append', at: 0, bytes: 'ftyp' },
      { op: 'sync' },
      { op: 'append', at: first, bytes: 'free' },
      { op: 'sync' },
      { op: 'overwrite', at: first + 4, bytes: 'moof' },
      { op: 'sync' },
      { op: 'append', at: second, bytes: 'free' },
      { op: 'sync' },
      { op: 'overwrite', at: second + 4, bytes: 'moof' },
      { op: 'sync' },
      { op: 'append', at: calls[10].at, bytes: 'mfra' },
      { op: 'overwrite', at: 0, bytes: 'ftyp' },
      { op: 'sync' },
    ]);
    assert.ok(first > 0 && second > first && calls[10].at! > second);
  });

  it("only ever appends whole fragments, which are the finished file's, byte for byte", () => {
    const { durable, finished } = recording;
    for (let k = 1; k < durable.length; k++) {
      const previous = durable[k - 1];
      assert.deepEqual(durable[k].subarray(0, previous.length), previous, `state ${k} extends state ${k - 1}`);
      const added = topLevelBoxes(durable[k].subarray(previous.length)).map((box) => box.type);
      assert.deepEqual(added, ['moof', 'mdat']);
      // The fragments are the finished file's, byte for byte.
      assert.deepEqual(durable[k].subarray(previous.length), finished.subarray(previous.length, durable[k].length));
    }
  });

  it('decodes every complete fragment, with its timestamps and duration, when cut anywhere in the next one', async () => {
    const { durable, samplesIn, timestamps } = recording;
    for (let k = 1; k < durable.length - 1; k++) {
      const before = durable[k];
      const fragment = Buffer.from(durable[k + 1].subarray(before.length));
      fragment.write('free', 4, 'latin1');
      const moofSize = fragment.readUInt32BE(0);
      const midMdat = (moofSize + fragment.length) >> 1;
      const cuts = [0, 4, 8, moofSize >> 1, moofSize, moofSize + 4, midMdat, fragment.length - 1, fragment.length];
      const expected = samplesIn[k];
      for (const cut of cuts) {
        const crashed = Buffer.concat([before, fragment.subarray(0, cut)]);
        const { path, pts, durationUs } = await framesOf(`cut-${k}-${cut}.mp4`, crashed);
        assert.equal(pts.length, expected, `after ${k} fragments, cut ${cut} bytes into the next: frames`);
        pts.forEach((time, index) => assert.ok(Math.abs(time - timestamps[index]) <= 1000, `frame ${index} at ${time}`));
        // Without the duration finish() writes, players take it from the complete fragments.
        const endUs = timestamps[expected];
        assert.ok(Math.abs(durationUs - endUs) <= 1000, `duration ${durationUs} us, end of fragment ${k} ${endUs} us`);
        assert.equal(await decodeErrors(path), '', `cut ${cut} bytes into fragment ${k + 1}`);
      }
    }
  });

  it('decodes everything when cut while the index is written at finish', async () => {
    const { durable, finished } = recording;
    const last = durable.at(-1)!;
    // finish() writes the final fragment, then the mfra index (the last top-level box).
    const lastFragmentEnd = topLevelBoxes(finished).at(-1)!.offset;
    const withFinalFragment = Buffer.concat([last, finished.subarray(last.length, lastFragmentEnd)]);
    for (const cut of [1, 20, finished.length - lastFragmentEnd - 1]) {
      const crashed = Buffer.concat([withFinalFragment, finished.subarray(lastFragmentEnd, lastFragmentEnd + cut)]);
      const { pts } = await framesOf(`cut-mfra-${cut}.mp4`, crashed);
      assert.equal(pts.length, FRAMES, `cut ${cut} bytes into mfra`);
    }
  });

  it('leaves a playable file with all but at most the last fragment when the writing process is killed', async () => {
    const path = join(directory, 'killed.mp4');
    const child = spawn(
      process.execPath,
      [join(__dirname, '..', 'support', 'media', 'slow-writer-child.js'), fixture.annexBPath, '320', '240', path, '200'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    let samplesOnDisk = 0;
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        const [, fragments, samples] = line.split(' ').map(Number);
        samplesOnDisk = samples;
        if (fragments >= 4) break;
      }
      child.kill('SIGKILL');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    assert.ok(samplesOnDisk > 0);

    const bytes = await readFile(path);
    const moofs = parseMp4(bytes).moofs;
    const samplesInFile = moofs.reduce((total, moof) => total + moof.trafs[0].truns[0].sample_count, 0);
    assert.ok(samplesInFile >= samplesOnDisk, `${samplesInFile} samples in complete fragments, ${samplesOnDisk} reported`);

    const frames = await probeFrames(path);
    assert.equal(frames.length, samplesInFile);
    frames.forEach((frame, index) =>
      assert.ok(Math.abs(Number(frame.pts_time) * 1e6 - index * FRAME_INTERVAL_US) <= 1000, `frame ${index}: ${frame.pts_time}`),
    );
    assert.equal(await decodeErrors(path), '');
  });
});
