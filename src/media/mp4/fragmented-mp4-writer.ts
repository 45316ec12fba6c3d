import { FieldError } from '../../core/field-error';
import { requireBoolean, requireEvenInteger, requireInteger, requireNumber } from '../../codec/codec-arguments';
import { avcCodecString, avcDecoderConfigurationRecord } from '../../codec/h264/avc';
import { checkAvccSample } from './avcc-sample';
import { FragmentBoundaries, MAX_FRAGMENT_DURATION_MS, MIN_FRAGMENT_DURATION_MS } from '../keyframe-policy';
import { CrashSafeMp4File } from './crash-safe-mp4-file';
import { buildFragmentHeader, lastSampleDurationOffset, type FragmentSample } from './mp4-fragment';
import type { InitSegmentParams } from './mp4-init-segment';
import { buildRandomAccessIndex, type RandomAccessPoint } from './mp4-random-access-index';
import { microsecondsToTicks, tickMicroseconds } from './mp4-time';

/**
 * Writes one H.264 video track to a fragmented MP4 file as the samples arrive, so that the file is
 * playable at every moment up to its last complete fragment:
 *
 *   ftyp moov            init segment, written and synced by create()
 *   moof mdat            one fragment per ~fragmentDurationMs of media, synced when written
 *   ...
 *   mfra (tfra, mfro)    random access index, written by finish()
 *
 * finish() also rewrites the init segment in place with the real duration (mvhd, tkhd, mdhd,
 * mehd), which players otherwise only learn by scanning every fragment. A file cut short by a
 * crash or `kill -9` has no duration and no index, but every fragment before the cut decodes.
 * How each write is made durable is CrashSafeMp4File's part; this class holds the fragmenting
 * rules: when a fragment is cut, how long each sample lasts, and what each moof says.
 *
 * Memory stays flat: a sample is held only until its fragment is written (at most about two
 * fragment durations of media), plus one small entry per keyframe fragment for the final index
 * (a day of 1 s fragments is 86,400 entries).
 *
 * Fragment policy (FragmentBoundaries): a fragment is closed when it holds at least
 * `fragmentDurationMs` of media and the next sample is a keyframe, so that each fragment can be
 * decoded (and seeked to) on its own. The encoder should produce that keyframe:
 * `wantsKeyframe(timestampUs)` says when to ask for one. If none comes, the fragment is closed
 * anyway at `maxFragmentDurationMs` (by default twice the target), and the next fragment starts
 * with a delta frame: still a valid file that plays from the start, but that fragment depends on
 * the one before (it gets no random access entry), and memory and crash loss stay bounded. A
 * caller that wants keyframes rarer than fragments (keyframes are costly to encode, a synced
 * fragment is not) sets the maximum to the target: fragments are then closed on time whatever the
 * next sample is, and only those that start with a keyframe are random access points.
 *
 * Still screens: a fragment is only completed by a later sample, so when samples stop coming (a
 * screen that stands still after a burst of changes) the caller calls flush(nowUs) after about a
 * fragment duration without samples (the recorder: see StillScreen). It writes what is buffered at once, the last sample lasting
 * until `nowUs` for now; that duration (4 bytes in the fragment's trun) is rewritten in place
 * when the next sample, a later flush or finish() says how long the sample really lasts. So every
 * sample keeps its exact timestamp as its decode time (tfdt), the track has no gap, and a crash
 * while the screen stands still loses nothing but the time since the last flush.
 *
 * Timing: each sample lasts until the next sample's timestamp; the last one until the stop time
 * given to finish(). Timestamps are on the file's own timeline, 0 being its start: the caller
 * subtracts its first capture time. A first sample later than 0 leaves a gap at the start.
 *
 * The writer is created with the SPS and PPS already known; a caller that learns them from its
 * first encoded frame (the recorder) encodes that frame first, then creates the writer. Holding
 * one frame there is simpler than a writer that exists without a decoder configuration.
 *
 * Calls must not overlap: await each addSample() before the next. Most return at once; the one
 * that completes a fragment resolves only when the fragment is on disk, which is the
 * back-pressure a caller needs.
 */

export type FragmentedMp4WriterState = 'open' | 'finishing' | 'finished' | 'failed';

export interface FragmentedMp4WriterOptions {
  /** Picture width in pixels, even (4:2:0 chroma), as encoded in the SPS. */
  width: number;
  /** Picture height in pixels, even. */
  height: number;
  /** Track and movie ticks per second. Default 90000 (see DEFAULT_TIMESCALE). */
  timescale?: number;
  /** Sequence parameter set: one raw NAL unit, no start code. */
  sps: Uint8Array;
  /** Picture parameter set: one raw NAL unit, no start code. */
  pps: Uint8Array;
  /** Target media duration of a fragment, in milliseconds. Default 1000. */
  fragmentDurationMs?: number;
  /**
   * A fragment is closed at this duration even when the next sample is no keyframe, in
   * milliseconds, from fragmentDurationMs to MAX_FRAGMENT_DURATION_MS. Default twice
   * fragmentDurationMs (at most the maximum).
   */
  maxFragmentDurationMs?: number;
}

export interface VideoSample {
  /** One access unit as AVCC: NAL units with 4-byte big-endian lengths, no SPS/PPS. Not copied: do not modify it afterwards. */
  data: Uint8Array;
  /** Presentation time (= decode time: no B-frames) in microseconds from the start of the file. */
  timestampUs: number;
  /**
   * Used only if this turns out to be the last sample and finish() gets no stop time; otherwise a
   * sample lasts until the next one's timestamp.
   */
  durationUs?: number;
  /** True for an IDR frame: decoding can start here. */
  isKeyframe: boolean;
}

/**
 * 90 kHz, not 1 kHz: the MPEG clock, a multiple of every common frame rate (24, 25, 30, 50, 60,
 * and 30000/1001 as 3003 ticks), so constant-rate content gets exact, equal durations instead of
 * 1 ms steps alternating 16/17 ms at 60 fps; and a tick (11.1 us) is far below the 1 ms accuracy
 * we promise for timestamps. Rounding never accumulates because absolute times are converted.
 */
export const DEFAULT_TIMESCALE = 90_000;
export const DEFAULT_FRAGMENT_DURATION_MS = 1000;
/** By default, a fragment without a keyframe to start the next one is closed at this multiple of the target. */
const MAX_FRAGMENT_DURATION_FACTOR = 2;
/** The only track of the file. */
const TRACK_ID = 1;
/** avc1 stores the picture size in 16 bits. */
const MAX_DIMENSION = 0xfffe;
/** trun stores durations in 32 bits, and mvhd the timescale. */
const MAX_UINT32 = 0xffffffff;

/** A sample waiting for its fragment. */
interface BufferedSample extends FragmentSample {
  data: Uint8Array;
  /** Decode time in ticks. */
  ticks: number;
}

/** The newest sample, whose duration is not known until the next one (or the stop time) arrives. */
interface HeldSample {
  data: Uint8Array;
  timestampUs: number;
  ticks: number;
  durationUs: number | undefined;
  isKeyframe: boolean;
}

/**
 * The last sample when flush() wrote it before its successor came: on disk it lasts until the
 * flush time for now, and that duration is rewritten once the next sample or the stop time is known.
 */
interface ProvisionalSample {
  timestampUs: number;
  ticks: number;
  /** Its duration as written, in ticks. */
  durationTicks: number;
  /** Where that duration (a 32-bit trun field) is in the file. */
  durationOffset: number;
}

/** Microseconds from the start of the file; the bound keeps tick arithmetic exact. */
function checkTimestamp(value: unknown, field: string): number {
  return requireNumber(value, field, 0, Number.MAX_SAFE_INTEGER);
}

export class FragmentedMp4Writer {
  private currentState: FragmentedMp4WriterState = 'open';
  private failure: unknown;
  private busy = false;
  private held: HeldSample | undefined;
  /** Set between a flush() that wrote the newest sample and the next sample (or finish). */
  private provisional: ProvisionalSample | undefined;
  /** The previous held sample's duration in ticks, to guess the last one's if need be. */
  private lastDurationTicks: number | undefined;
  private fragment: BufferedSample[] = [];
  private sequenceNumber = 0;
  private fragmentCount = 0;
  private sampleCount = 0;
  private readonly randomAccessPoints: RandomAccessPoint[] = [];
  private readonly boundaries: FragmentBoundaries;

  private constructor(
    private readonly file: CrashSafeMp4File,
    private readonly timescale: number,
    /** The RFC 6381 codecs string of the track, e.g. "avc1.42c01f". */
    readonly codec: string,
    fragmentDurationMs: number,
    maxFragmentDurationMs: number,
  ) {
    this.boundaries = FragmentBoundaries.fromMilliseconds(fragmentDurationMs, maxFragmentDurationMs, timescale);
  }

  /** Creates the file at `path` (truncating it) and writes and syncs the init segment. */
  static async create(path: string, options: FragmentedMp4WriterOptions): Promise<FragmentedMp4Writer> {
    if (typeof path !== 'string' || path.length === 0) throw new FieldError('path', 'must be a non-empty string.');
    if (typeof options !== 'object' || options === null) throw new FieldError('options', 'must be an object.');
    const width = requireEvenInteger(options.width, 'options.width', 2, MAX_DIMENSION);
    const height = requireEvenInteger(options.height, 'options.height', 2, MAX_DIMENSION);
    const timescale = requireInteger(options.timescale ?? DEFAULT_TIMESCALE, 'options.timescale', 1, MAX_UINT32);
    const fragmentDurationMs = requireNumber(
      options.fragmentDurationMs ?? DEFAULT_FRAGMENT_DURATION_MS,
      'options.fragmentDurationMs',
      MIN_FRAGMENT_DURATION_MS,
      MAX_FRAGMENT_DURATION_MS,
    );
    const maxFragmentDurationMs = requireNumber(
      options.maxFragmentDurationMs ?? Math.min(fragmentDurationMs * MAX_FRAGMENT_DURATION_FACTOR, MAX_FRAGMENT_DURATION_MS),
      'options.maxFragmentDurationMs',
      fragmentDurationMs,
      MAX_FRAGMENT_DURATION_MS,
    );
    let avcDecoderConfig: Uint8Array;
    let codec: string;
    try {
      avcDecoderConfig = avcDecoderConfigurationRecord(options.sps, options.pps);
      codec = avcCodecString(options.sps);
    } catch (error) {
      // The codec layer names these fields "sps" and "pps"; here they are options of create().
      if (error instanceof FieldError) throw new FieldError(`options.${error.field}`, error.reason);
      throw error;
    }

    const init: InitSegmentParams = { width, height, timescale, trackId: TRACK_ID, avcDecoderConfig, durationTicks: 0 };
    const file = await CrashSafeMp4File.create(path, init);
    return new FragmentedMp4Writer(file, timescale, codec, fragmentDurationMs, maxFragmentDurationMs);
  }

  get state(): FragmentedMp4WriterState {
    return this.currentState;
  }

  /** Bytes in the file so far (everything written, and synced, by calls that have resolved). */
  get fileSize(): number {
    return this.file.length;
  }

  /** Fragments written and synced so far. */
  get fragmentsWritten(): number {
    return this.fragmentCount;
  }

  /** Samples in the fragments written so far (samples still buffered are not counted). */
  get samplesWritten(): number {
    return this.sampleCount;
  }

  /**
   * True when a sample at `timestampUs` would start a new fragment if it were a keyframe: the
   * moment to ask the encoder for one. Also true before the first sample, which must be a keyframe,
   * and after a flush(), whose next sample starts a fragment.
   */
  wantsKeyframe(timestampUs: number): boolean {
    checkTimestamp(timestampUs, 'timestampUs');
    const start = this.fragment[0]?.ticks ?? this.held?.ticks;
    if (start === undefined) return true;
    return this.boundaries.wouldStartFragment(this.ticks(timestampUs) - start);
  }

  /**
   * Adds the next sample. Resolves at once unless the sample completes a fragment; then it
   * resolves once that fragment is written and synced. Bad samples are rejected with a TypeError
   * and leave the writer as it was.
   */
  async addSample(sample: VideoSample): Promise<void> {
    this.checkUsable('addSample');
    const held = this.checkSample(sample);
    await this.exclusive(async () => {
      if (this.provisional !== undefined) {
        await this.rewriteDuration(this.provisional, held.ticks);
        this.provisional = undefined;
      }
      const previous = this.held;
      this.held = held;
      if (previous === undefined) return;
      this.buffer(previous, held.ticks);
      if (this.boundaries.closesBefore(held.ticks - this.fragment[0].ticks, held.isKeyframe)) await this.writeFragment();
    });
  }

  /**
   * Writes what is buffered as a fragment now, for when samples stop coming (see "Still screens"
   * above): the last sample lasts until `timeUs` on disk until its real end is known. `timeUs` is
   * now on the file's timeline and must come after the last sample. With nothing buffered, it
   * extends the last sample written by a flush to `timeUs`, so that the file after a crash also
   * keeps the time the screen stood still; with nothing written at all, it does nothing.
   */
  async flush(timeUs: number): Promise<void> {
    this.checkUsable('flush');
    checkTimestamp(timeUs, 'timeUs');
    const last = this.held ?? this.provisional;
    if (last === undefined) return;
    const ticks = this.ticks(timeUs);
    this.checkAfter(ticks, timeUs, last, 'timeUs');
    await this.exclusive(async () => {
      const held = this.held;
      if (held === undefined) {
        const provisional = this.provisional!;
        if (ticks > provisional.ticks + provisional.durationTicks) await this.rewriteDuration(provisional, ticks);
        return;
      }
      this.held = undefined;
      this.buffer(held, ticks);
      const durationOffset = await this.writeFragment();
      this.provisional = { timestampUs: held.timestampUs, ticks: held.ticks, durationTicks: ticks - held.ticks, durationOffset };
    });
  }

  /**
   * Writes the last fragment, the random access index and the real duration, then closes the
   * file. `stopTimeUs` is when the recording ended: the last sample lasts until then, and it is
   * the file's duration. Without it, the last sample lasts its `durationUs`, or as long as the
   * one before it.
   */
  async finish(stopTimeUs?: number): Promise<void> {
    this.checkUsable('finish');
    const stopTicks = this.stopTicks(stopTimeUs);
    this.currentState = 'finishing';
    await this.exclusive(async () => {
      if (this.held !== undefined) {
        this.buffer(this.held, stopTicks);
        this.held = undefined;
        await this.writeFragment();
      } else if (this.provisional !== undefined) {
        await this.rewriteDuration(this.provisional, stopTicks);
        this.provisional = undefined;
      }
      await this.file.finish(buildRandomAccessIndex(TRACK_ID, this.randomAccessPoints), stopTicks);
      this.currentState = 'finished';
    });
  }

  private ticks(timestampUs: number): number {
    return microsecondsToTicks(timestampUs, this.timescale);
  }

  private checkUsable(method: string): void {
    if (this.currentState === 'failed') {
      throw new Error(`Cannot call ${method}(): writing ${this.file.path} failed earlier.`, { cause: this.failure });
    }
    if (this.currentState !== 'open') {
      throw new Error(`Cannot call ${method}(): the writer is ${this.currentState}.`);
    }
    if (this.busy) {
      throw new Error(`Cannot call ${method}() while a previous call is still pending: await each call.`);
    }
  }

  /** Validates a sample against the stream so far; returns it as the next held sample. */
  private checkSample(sample: VideoSample): HeldSample {
    if (typeof sample !== 'object' || sample === null) throw new FieldError('sample', 'must be an object.');
    if (!(sample.data instanceof Uint8Array)) throw new FieldError('sample.data', 'must be a Uint8Array.');
    requireBoolean(sample.isKeyframe, 'sample.isKeyframe');
    const timestampUs = checkTimestamp(sample.timestampUs, 'sample.timestampUs');
    const durationUs =
      sample.durationUs === undefined ? undefined : requireNumber(sample.durationUs, 'sample.durationUs', 1, Number.MAX_SAFE_INTEGER);
    const { hasIdrSlice } = checkAvccSample(sample.data, 'sample.data');
    if (sample.isKeyframe && !hasIdrSlice) {
      throw new FieldError('sample.isKeyframe', 'is true but sample.data holds no IDR slice (NAL unit type 5).');
    }
    const ticks = this.ticks(timestampUs);
    const previous = this.held ?? this.provisional;
    if (previous === undefined) {
      // Nothing is held (or left provisional by a flush) only before the first sample.
      if (!sample.isKeyframe) {
        throw new FieldError('sample.isKeyframe', 'must be true for the first sample: decoding starts there.');
      }
    } else {
      this.checkAfter(ticks, timestampUs, previous, 'sample.timestampUs');
    }
    return { data: sample.data, timestampUs, ticks, durationUs, isKeyframe: sample.isKeyframe };
  }

  /** Checks that `ticks` gives the held sample a duration trun can store (1 to 2^32-1 ticks). */
  private checkAfter(ticks: number, timestampUs: number, previous: Pick<HeldSample, 'timestampUs' | 'ticks'>, field: string): void {
    if (timestampUs <= previous.timestampUs) {
      throw new FieldError(field, `must increase: got ${timestampUs} after ${previous.timestampUs}.`);
    }
    if (ticks <= previous.ticks) {
      throw new FieldError(
        field,
        `${timestampUs} is less than one tick (${tickMicroseconds(this.timescale).toFixed(1)} us at ` +
          `${this.timescale} Hz) after ${previous.timestampUs}.`,
      );
    }
    if (ticks - previous.ticks > MAX_UINT32) {
      throw new FieldError(field, `${timestampUs} is more than ${MAX_UINT32} ticks after ${previous.timestampUs}.`);
    }
  }

  /** The file's duration in ticks, from finish()'s argument or the last sample. */
  private stopTicks(stopTimeUs: number | undefined): number {
    const held = this.held;
    const provisional = this.provisional;
    if (stopTimeUs !== undefined) {
      checkTimestamp(stopTimeUs, 'stopTimeUs');
      const ticks = this.ticks(stopTimeUs);
      const last = held ?? provisional;
      if (last !== undefined) this.checkAfter(ticks, stopTimeUs, last, 'stopTimeUs');
      return ticks;
    }
    // After a flush, the last sample already lasts until the flush time.
    if (provisional !== undefined) return provisional.ticks + provisional.durationTicks;
    if (held === undefined) return 0;
    if (held.durationUs !== undefined) {
      const end = held.timestampUs + held.durationUs;
      const ticks = this.ticks(end);
      this.checkAfter(ticks, end, held, 'sample.durationUs (of the last sample) added to its timestampUs,');
      return ticks;
    }
    if (this.lastDurationTicks === undefined) {
      throw new FieldError('stopTimeUs', 'is needed: the only sample has no durationUs to end it.');
    }
    return held.ticks + this.lastDurationTicks;
  }

  /** Moves a held sample into the fragment being built, now that its end is known. */
  private buffer(sample: HeldSample, endTicks: number): void {
    const durationTicks = endTicks - sample.ticks;
    this.lastDurationTicks = durationTicks;
    this.fragment.push({
      data: sample.data,
      ticks: sample.ticks,
      durationTicks,
      size: sample.data.length,
      isKeyframe: sample.isKeyframe,
    });
  }

  /** Writes the buffered samples as one fragment; returns where its last sample's duration is in the file. */
  private async writeFragment(): Promise<number> {
    const samples = this.fragment;
    this.fragment = [];
    const header = buildFragmentHeader({
      sequenceNumber: ++this.sequenceNumber,
      trackId: TRACK_ID,
      baseMediaDecodeTimeTicks: samples[0].ticks,
      samples,
    });
    const moofOffset = await this.file.appendFragment(
      header,
      samples.map((sample) => sample.data),
    );
    // Only fragments that start with a keyframe are places where playback can start.
    if (samples[0].isKeyframe) this.randomAccessPoints.push({ timeTicks: samples[0].ticks, moofOffset });
    this.fragmentCount++;
    this.sampleCount += samples.length;
    return moofOffset + lastSampleDurationOffset(header);
  }

  /**
   * Rewrites the duration of a sample written by flush() so that it ends at `endTicks`, and syncs:
   * 4 bytes in place, and either value (the old or the new) leaves a valid file.
   */
  private async rewriteDuration(sample: ProvisionalSample, endTicks: number): Promise<void> {
    const durationTicks = endTicks - sample.ticks;
    this.lastDurationTicks = durationTicks;
    if (durationTicks === sample.durationTicks) return;
    await this.file.rewriteUint32(sample.durationOffset, durationTicks);
    sample.durationTicks = durationTicks;
  }

  /** Runs one call's I/O; any failure there makes the writer 'failed' and closes the file. */
  private async exclusive(operation: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await operation();
    } catch (error) {
      this.currentState = 'failed';
      this.failure = error;
      await this.file.abandon();
      throw error;
    } finally {
      this.busy = false;
    }
  }
}
