/**
 * Records a screencap server's display through the public gRPC API, like any other client: one
 * session with a fixed-size buffer collection (the server scales into it, so a display that
 * changes resolution keeps being recorded), frames pulled with hanging gets, each delivered frame
 * encoded and written at its server capture time. A static screen delivers no frames and so
 * writes nothing, but the next frame's timestamp still lands at its real time.
 */
import { isH264Available } from '../../codec';
import { recordingTiming } from '../../media/fragment-duration';
import type { CaptureClient } from '../capture-client';
import type { CapturedFrame } from '../capture-session';
import type { FrameSink } from './frame-sink';
import { IDLE, LatestFrameSlot } from './latest-frame-slot';
import { Mp4FrameSink, type Mp4SinkTiming } from './mp4-frame-sink';
import { PngFrameSink } from './png-frame-sink';
import {
  checkPositiveMs,
  checkRecorderOptions,
  prepareOutputDirectory,
  RECORDER_DEFAULTS,
  type RecorderOptions,
  type RecorderProgress,
  type RecordingFormat,
} from './recorder-options';

export interface RecordingSummary extends RecorderProgress {
  format: RecordingFormat;
  /** `display.mp4`, or the `frames` directory. */
  path: string;
  width: number;
  height: number;
  /** Frames the server delivered to the recorder (written + skipped). */
  framesDelivered: number;
  /** The recording's length: first frame to stop, in microseconds (the file's duration). */
  durationUs: number;
  /** MP4 only: where the encoding time went (conversion, encoding, muxing). */
  timing?: Mp4SinkTiming;
}

/**
 * Frames in the collection: one being encoded, one waiting for the encoder, one for the server
 * to fill. The recorder holds a frame's buffer until the frame is encoded (with shared memory the
 * server writes later frames into the same buffers), so with two the server would have none
 * left to fill while a frame waits, and the waiting frame could not be replaced by a newer one.
 */
const BUFFER_COUNT = 3;

/**
 * A first frame older than this when it arrived was latched before the recording (a still
 * screen), not for it: three 60 Hz periods, beyond the delivery time of a fresh frame; a younger
 * stale frame lengthens the file by at most this much.
 */
const STALE_FIRST_FRAME_NS = 50_000_000n;

/** Gives a frame's buffer back; a failure shows up on the session's next call anyway. */
const release = (frame: CapturedFrame): void => void frame.release().catch(() => undefined);

const nowNs = (): bigint => process.hrtime.bigint();

export class Recorder {
  readonly format: RecordingFormat;
  private readonly options: RecorderOptions;
  private sink: FrameSink | undefined;
  private slot = new LatestFrameSlot<CapturedFrame>(release);
  private delivered = 0;
  /** Frames taken from the slot but not written (rate control, or a capture time not after the last). */
  private notWritten = 0;
  private started = false;
  private firstCaptureNs: bigint | undefined;
  /** Time 0 of the file on the server's clock; decided with the second frame (see fileOrigin). */
  private originNs: bigint | undefined;
  /** Local clock minus server clock, smallest seen: maps the stop instant onto capture times. */
  private clockOffsetNs: bigint | undefined;
  private firstLocalNs: bigint | undefined;
  /** When the frames stopped coming: the elapsed time stops there, not after the file is finished. */
  private stopLocalNs: bigint | undefined;
  /** When run()'s durationMs is over: the first frame's arrival plus that duration. */
  private deadlineLocalNs: bigint | undefined;
  /**
   * run()'s durationMs on the file's timeline: no frame at or after it is written, and the file
   * ends there at the latest. The local deadline alone would let the file run over by the first
   * frame's delivery time, since the file counts from that frame's capture, before its arrival.
   */
  private fileLimitUs: number | undefined;
  private lastTimestampUs = -1;

  /** Checks the options (TypeError naming the field); nothing is contacted until run(). */
  constructor(private readonly client: CaptureClient, options: RecorderOptions) {
    checkRecorderOptions(options);
    this.options = options;
    const wanted = options.format ?? 'mp4';
    if (wanted === 'mp4' && !isH264Available()) {
      this.format = 'png';
      options.onWarning?.('H.264 encoding is unavailable (the native addon could not be loaded): recording PNG frames instead.');
    } else {
      this.format = wanted;
    }
  }

  /** Progress so far. */
  progress(): RecorderProgress {
    const written = this.sink?.framesWritten ?? 0;
    return {
      elapsedMs: this.firstLocalNs === undefined ? 0 : Number((this.stopLocalNs ?? nowNs()) - this.firstLocalNs) / 1e6,
      framesWritten: written,
      framesSkipped: this.slot.replaced + this.notWritten,
      bytesOnDisk: this.sink?.bytesOnDisk ?? 0,
      encodeFps: this.sink instanceof Mp4FrameSink ? this.sink.encodeFps : 0,
    };
  }

  /**
   * Records until `signal` aborts, or for `durationMs` counted from the first frame's arrival (so
   * that connecting does not shorten the file), then finishes the output properly (last fragment,
   * index, duration) and closes the session. Rejects on a failure of the server, encoder or disk,
   * after finishing what it can.
   */
  async run(settings: { signal?: AbortSignal; durationMs?: number } = {}): Promise<RecordingSummary> {
    if (this.started) throw new Error('Recorder.run: a recorder records once; create another for a new recording.');
    checkPositiveMs(settings.durationMs, 'durationMs');
    this.started = true;
    this.fileLimitUs = settings.durationMs === undefined ? undefined : settings.durationMs * 1000;
    await prepareOutputDirectory(this.options.outDir);
    const session = await this.client.openSession({ clientName: 'recorder', signal: settings.signal });
    const stop = new AbortController();
    const forwardAbort = () => stop.abort();
    settings.signal?.addEventListener('abort', forwardAbort, { once: true });
    if (settings.signal?.aborted) stop.abort();
    const ticker = this.options.onProgress
      ? setInterval(() => this.options.onProgress?.(this.progress()), this.options.progressIntervalMs ?? RECORDER_DEFAULTS.progressIntervalMs)
      : undefined;
    let failure: unknown;
    let deadline: NodeJS.Timeout | undefined;
    try {
      const { width, height } = await this.size(settings.signal);
      await session.configure(
        { width, height, pixelFormat: 'rgba8', bufferCount: BUFFER_COUNT, transport: this.options.transport, cursorMode: this.options.cursorMode },
        { signal: settings.signal },
      );
      const sink = this.createSink(width, height);
      this.sink = sink;
      const writing = this.writeFrames(sink).catch((error: unknown) => {
        failure = error;
        stop.abort();
      });
      try {
        // Not session.frames(), which releases each frame when the next is asked for: here the
        // next is asked for at once, while the encoder may still be reading the last.
        while (!stop.signal.aborted) {
          const frame = await session.nextFrame({ signal: stop.signal });
          // A busy event loop runs the timer late: a frame after the deadline is not recorded.
          if (this.deadlineLocalNs !== undefined && nowNs() >= this.deadlineLocalNs) {
            release(frame);
            break;
          }
          this.receive(frame);
          if (settings.durationMs !== undefined && deadline === undefined) {
            this.deadlineLocalNs = this.firstLocalNs! + BigInt(Math.round(settings.durationMs * 1e6));
            deadline = setTimeout(() => stop.abort(), settings.durationMs);
          }
        }
      } catch (error) {
        if (!stop.signal.aborted) failure ??= error;
      } finally {
        // Ended by durationMs, the recording stops when asked, not when the timer got to run.
        const now = nowNs();
        this.stopLocalNs = this.deadlineLocalNs !== undefined && this.deadlineLocalNs < now ? this.deadlineLocalNs : now;
        this.slot.close();
        await writing;
      }
      const durationUs = this.fileTimeUs(this.stopLocalNs, this.fileLimitUs);
      try {
        await sink.finish(durationUs);
      } catch (error) {
        failure ??= error;
      }
      if (failure !== undefined) throw failure;
      const summary: RecordingSummary = {
        ...this.progress(),
        format: this.format,
        path: sink.path,
        width,
        height,
        framesDelivered: this.delivered,
        durationUs,
        ...(sink instanceof Mp4FrameSink ? { timing: sink.timing } : {}),
      };
      return summary;
    } finally {
      clearTimeout(deadline);
      if (ticker) clearInterval(ticker);
      settings.signal?.removeEventListener('abort', forwardAbort);
      await session.close().catch(() => undefined);
    }
  }

  /** The configured size, or the display's rounded down to even (4:2:0 chroma needs even sides). */
  private async size(signal: AbortSignal | undefined): Promise<{ width: number; height: number }> {
    if (this.options.width !== undefined && this.options.height !== undefined) {
      return { width: this.options.width, height: this.options.height };
    }
    const info = await this.client.displayInfo({ signal });
    const even = (side: number) => Math.max(2, side - (side % 2));
    return { width: even(info.width), height: even(info.height) };
  }

  private createSink(width: number, height: number): FrameSink {
    if (this.format === 'png') return new PngFrameSink(this.options.outDir);
    return new Mp4FrameSink(this.options.outDir, {
      width,
      height,
      usage: this.options.usage ?? RECORDER_DEFAULTS.usage,
      rateControl: this.options.rateControl ?? RECORDER_DEFAULTS.rateControl,
      threads: this.options.threads ?? RECORDER_DEFAULTS.threads,
      bitrateBps: this.options.bitrateBps ?? RECORDER_DEFAULTS.bitrateBps,
      ...recordingTiming(this.options),
    });
  }

  private receive(frame: CapturedFrame): void {
    const local = nowNs();
    this.delivered++;
    this.firstLocalNs ??= local;
    const offset = local - frame.captureMonotonicNs;
    if (this.clockOffsetNs === undefined || offset < this.clockOffsetNs) this.clockOffsetNs = offset;
    this.slot.put(frame);
  }

  private async writeFrames(sink: FrameSink): Promise<void> {
    // A fragment is completed by the frame after it, which a still screen does not send: after a
    // fragment duration without frames, what the sink holds goes to disk, so that a crash while
    // the screen stands still loses no more than a busy screen would.
    const idleMs = recordingTiming(this.options).fragmentDurationMs;
    for (;;) {
      const frame = await this.slot.take(idleMs);
      if (frame === undefined) return;
      if (frame === IDLE) {
        if (sink.framesWritten > 0) await sink.flush(this.fileTimeUs(nowNs(), this.fileLimitUs));
        continue;
      }
      try {
        await this.writeFrame(sink, frame);
      } finally {
        release(frame);
      }
    }
  }

  private async writeFrame(sink: FrameSink, frame: CapturedFrame): Promise<void> {
    // Until something is written, the newest frame is the start: a file begins at time 0.
    let timestampUs = 0;
    if (sink.framesWritten === 0) {
      this.firstCaptureNs = frame.captureMonotonicNs;
    } else {
      this.originNs ??= this.fileOrigin(frame.captureMonotonicNs);
      timestampUs = Number(frame.captureMonotonicNs - this.originNs) / 1000;
    }
    // A sample must come after the previous one; the server's latch times only go forward,
    // so this guards the file against a misbehaving server rather than a normal case.
    if ((sink.framesWritten > 0 && timestampUs <= this.lastTimestampUs) || timestampUs >= (this.fileLimitUs ?? Infinity)) {
      this.notWritten++;
    } else if (await sink.write(frame, timestampUs)) {
      this.lastTimestampUs = timestampUs;
      this.options.onFrame?.({ index: sink.framesWritten - 1, timestampUs, frame });
    } else {
      this.notWritten++;
    }
  }

  /**
   * Time 0 of the file on the server's clock: the first frame's capture time, so that timestamps
   * are differences of capture times. But on a still screen the server hands a new session the
   * frame it latched last, which may be seconds old; counting from its capture would make the
   * file longer than the recording by that age. Such a frame (older than STALE_FIRST_FRAME_NS
   * when it arrived) shows from its arrival instead, mapped onto the server's clock. Decided at
   * the second frame, when a fresh frame has given the clock offset (the first alone overstates
   * it by its age). If the second frame was latched before the first arrived, the screen was
   * changing, and the first frame's capture time stands.
   */
  private fileOrigin(secondCaptureNs: bigint | undefined): bigint {
    const first = this.firstCaptureNs!;
    const arrived = this.firstLocalNs! - this.clockOffsetNs!;
    if (secondCaptureNs !== undefined && secondCaptureNs <= arrived) return first;
    return arrived - first > STALE_FIRST_FRAME_NS ? arrived : first;
  }

  /**
   * A local instant (a flush, the stop) on the file's timeline: mapped onto the capture clock,
   * minus the file's origin, no later than `limitUs` (run()'s durationMs), and after the last
   * frame's timestamp.
   */
  private fileTimeUs(localNs: bigint, limitUs = Infinity): number {
    if (this.firstCaptureNs === undefined || this.clockOffsetNs === undefined) return 0;
    // With a single frame, its own arrival and capture give the offset, so the origin is its
    // arrival. Fixed from here on: a flush writes times measured from it into the file.
    this.originNs ??= this.fileOrigin(undefined);
    const timeUs = Number(localNs - this.clockOffsetNs - this.originNs) / 1000;
    // At least one 90 kHz tick past the last frame, which the MP4 writer requires.
    return Math.max(Math.min(timeUs, limitUs), this.lastTimestampUs + 20);
  }
}
