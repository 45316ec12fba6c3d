/**
 * Records a screencap server's display through the public gRPC API, like any other client: one
 * session with a fixed-size buffer collection (the server scales into it, so a display that
 * changes resolution keeps being recorded), frames pulled with hanging gets, each delivered frame
 * encoded and written at its server capture time (see FileTimeline). A static screen delivers no
 * frames and so writes nothing, but the next frame's timestamp still lands at its real time; once
 * it has stood still for SHARPEN_AFTER_MS, the last picture is coded once more at high quality.
 * With `fps`, the file is constant-rate instead (see writeConstantRate).
 */
import { isH264Available, SHARPEN_AFTER_STILL_MS } from '../../codec';
import { H264_MIN_SIDE } from '../../codec/encoder-limits';
import { MAX_RECORDING_FPS, recordingTiming } from '../../media/keyframe-policy';
import { StillScreen } from '../../media/still-screen';
import type { SurfaceFormat } from '../../core/pixel-format';
import type { CaptureClient, DisplayInfo } from '../capture-client';
import { shownSize } from '../chosen-display';
import type { CapturedFrame } from '../capture-session';
import { defaultRecordingBitrate } from './default-bitrate';
import type { FrameSink } from './frame-sink';
import { FileTimeline } from './file-timeline';
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
  /** MP4 only: the bitrate the encoder held, the one given or the default for the size and rate. */
  bitrateBps?: number;
}

/**
 * Frames in the collection: one being encoded, one waiting for the encoder, one for the server
 * to fill. The recorder holds a frame's buffer until the frame is encoded (with shared memory the
 * server writes later frames into the same buffers), so with two the server would have none
 * left to fill while a frame waits, and the waiting frame could not be replaced by a newer one.
 */
const BUFFER_COUNT = 3;

/**
 * How long the screen must stand still before the last picture is coded again at high quality
 * (see SHARPEN_AFTER_STILL_MS). The built-in desktop's clock changes once a second, so a desktop
 * where nothing else moves gets one sharp pass a second.
 */
export const SHARPEN_AFTER_MS = SHARPEN_AFTER_STILL_MS;

/** The least gap between two samples: a little more than one tick of the 90 kHz timescale. */
const MIN_SAMPLE_GAP_US = 20;

/** How far a constant-rate recording catches up on slots it is late for, rather than skipping them. */
const CONSTANT_RATE_CATCH_UP_MS = 1000;

/** What a variable-rate recording plans for when the server does not say its refresh rate. */
const DEFAULT_RECORDED_FRAME_RATE = 60;

/** How often to look for the source's first picture before configuring for its size. */
const FIRST_PICTURE_POLL_MS = 100;

/** Gives a frame's buffer back; a failure shows up on the session's next call anyway. */
const release = (frame: CapturedFrame): void => void frame.release().catch(() => undefined);

const nowNs = (): bigint => process.hrtime.bigint();
const nsToMs = (ns: bigint): number => Number(ns) / 1e6;
const nowMs = (): number => nsToMs(nowNs());

export class Recorder {
  readonly format: RecordingFormat;
  private readonly options: RecorderOptions;
  private sink: FrameSink | undefined;
  private slot = new LatestFrameSlot<CapturedFrame>(release);
  private delivered = 0;
  /** Frames taken from the slot but not written (rate control, or a capture time not after the last). */
  private notWritten = 0;
  /** Delivered frames stored, and samples of the last picture coded again (sharp passes, constant-rate repeats). */
  private framesStored = 0;
  private samplesAgain = 0;
  private started = false;
  private timeline = new FileTimeline(undefined);
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
  /** The sharp pass and (variable rate) the flushes while the screen stands still. */
  private readonly still: StillScreen;
  /** The MP4 encoder's bitrate, once the recorded size is known. */
  private bitrate: number | undefined;

  /** Checks the options (TypeError naming the field); nothing is contacted until run(). */
  constructor(
    private readonly client: CaptureClient,
    options: RecorderOptions,
  ) {
    checkRecorderOptions(options);
    this.options = options;
    this.still = new StillScreen(recordingTiming(options).fragmentDurationMs);
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
    return {
      elapsedMs: this.firstLocalNs === undefined ? 0 : Number((this.stopLocalNs ?? nowNs()) - this.firstLocalNs) / 1e6,
      framesWritten: this.framesStored,
      framesAgain: this.samplesAgain,
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
      ? setInterval(
          () => this.options.onProgress?.(this.progress()),
          this.options.progressIntervalMs ?? RECORDER_DEFAULTS.progressIntervalMs,
        )
      : undefined;
    let failure: unknown;
    let deadline: NodeJS.Timeout | undefined;
    try {
      const { width, height, vsyncHz, pixelFormat } = await this.waitForPicture(settings.signal);
      // The vsync grid for a variable-rate file's capture times (see FileTimeline).
      this.timeline = new FileTimeline(vsyncHz > 0 ? BigInt(Math.round(1e9 / vsyncHz)) : undefined);
      await session.configure(
        {
          width,
          height,
          // The encoder converts either byte order to YUV at the same cost: the source's own
          // spares the server reordering every pixel (a SPICE guest's are BGRA). PNG needs RGBA.
          pixelFormat: this.format === 'mp4' ? (pixelFormat ?? 'rgba8') : 'rgba8',
          bufferCount: BUFFER_COUNT,
          transport: this.options.transport,
          cursorMode: this.options.cursorMode,
          displayId: this.options.displayId,
        },
        { signal: settings.signal },
      );
      const sink = this.createSink(width, height, vsyncHz);
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
          // The next frame is asked for once the encoder has taken this one: the server then
          // hands over the newest frame at once, and renders none that the encoder would never
          // see (a busy 1080p screen latched at 60 Hz and encoded at 30 used to be rendered and
          // delivered twice as often as it was written).
          await this.slot.vacated(stop.signal);
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
      const durationUs = this.stopTimeUs(this.stopLocalNs);
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
        ...(sink instanceof Mp4FrameSink ? { timing: sink.timing, bitrateBps: this.bitrate } : {}),
      };
      return summary;
    } finally {
      clearTimeout(deadline);
      if (ticker) clearInterval(ticker);
      settings.signal?.removeEventListener('abort', forwardAbort);
      await session.close().catch(() => undefined);
    }
  }

  /**
   * Waits until the server has a picture (a SPICE source may still be connecting, with no
   * surface yet, when `serve --record` starts), then gives the recorded size: the configured
   * one, or that picture's rounded down to even (4:2:0 chroma needs even sides).
   */
  private async waitForPicture(
    signal: AbortSignal | undefined,
  ): Promise<{ width: number; height: number; vsyncHz: number; pixelFormat: SurfaceFormat | undefined }> {
    const started = Date.now();
    let told = false;
    for (;;) {
      let info;
      try {
        info = await this.client.displayInfo({ signal });
      } catch (error) {
        if (signal?.aborted) throw new Error('stopped before the display had a picture: nothing was recorded.', { cause: error });
        throw error;
      }
      if (info.latestFrameNumber > 0) {
        if (this.options.width !== undefined && this.options.height !== undefined) {
          return { width: this.options.width, height: this.options.height, vsyncHz: info.vsyncHz, pixelFormat: info.pixelFormat };
        }
        const shown = this.recordedDisplay(info);
        const even = (side: number) => side - (side % 2);
        const width = even(shown.width);
        const height = even(shown.height);
        const least = this.format === 'mp4' ? H264_MIN_SIDE : 2;
        if (width < least || height < least) {
          throw new Error(
            `the display is ${shown.width}x${shown.height}, too small to record${this.format === 'mp4' ? ` as H.264 (at least ${H264_MIN_SIDE}x${H264_MIN_SIDE})` : ''}: give a size (--size / width and height) or record PNG.`,
          );
        }
        return { width, height, vsyncHz: info.vsyncHz, pixelFormat: info.pixelFormat };
      }
      if (!told && Date.now() - started >= 1000) {
        told = true;
        this.options.onWarning?.(`waiting for ${info.source || 'the display'} to show its first picture before recording`);
      }
      await sleep(FIRST_PICTURE_POLL_MS, signal).catch((error: unknown) => {
        throw new Error('stopped before the display had a picture: nothing was recorded.', { cause: error });
      });
    }
  }

  /** What is recorded: the display asked for (by default the primary), or the whole desktop. */
  private recordedDisplay(info: DisplayInfo): { width: number; height: number } {
    return shownSize(info, this.options.displayId);
  }

  /** `vsyncHz`: the display's refresh rate, at most the rate of a variable-rate file (0: unknown). */
  private createSink(width: number, height: number, vsyncHz: number): FrameSink {
    if (this.format === 'png') return new PngFrameSink(this.options.outDir, this.options.fileName);
    const fps = this.options.fps;
    // The rate rate control plans for, which the default bitrate scales with.
    const frameRate = fps ?? recordedFrameRate(vsyncHz);
    const bitrateBps = this.options.bitrateBps ?? defaultRecordingBitrate(width, height, frameRate);
    this.bitrate = bitrateBps;
    return new Mp4FrameSink(
      this.options.outDir,
      {
        width,
        height,
        usage: this.options.usage ?? RECORDER_DEFAULTS.usage,
        rateControl: this.options.rateControl ?? RECORDER_DEFAULTS.rateControl,
        threads: this.options.threads ?? RECORDER_DEFAULTS.threads,
        bitrateBps,
        maxFrameRate: frameRate,
        ...recordingTiming(this.options),
        // A constant-rate file's durations are whole periods: 90 kHz holds every common rate exactly.
        ...(fps === undefined ? {} : { timescale: constantRateTimescale(fps) }),
      },
      this.options.fileName,
    );
  }

  private receive(frame: CapturedFrame): void {
    const local = nowNs();
    this.delivered++;
    this.firstLocalNs ??= local;
    this.timeline.arrived(frame.captureMonotonicNs, local);
    this.slot.put(frame);
  }

  private writeFrames(sink: FrameSink): Promise<void> {
    return this.options.fps === undefined ? this.writeVariableRate(sink) : this.writeConstantRate(sink, this.options.fps);
  }

  /**
   * Each frame at its capture time. A fragment is completed by the frame after it, which a still
   * screen does not send: after a fragment duration without frames, what the sink holds goes to
   * disk (see StillScreen). Before that, at SHARPEN_AFTER_MS without frames, the last picture is
   * coded again sharp, as a new sample at that moment (the soft one stays on screen until then: a
   * sample cannot be replaced once written, and a crash keeps the file as it was).
   */
  private async writeVariableRate(sink: FrameSink): Promise<void> {
    for (;;) {
      const sharpDueMs = sink.writeAgain !== undefined ? this.still.sharpDueAtMs() : undefined;
      const flushDueMs = this.still.flushDueAtMs();
      const dueMs = sharpDueMs === undefined || (flushDueMs !== undefined && flushDueMs < sharpDueMs) ? flushDueMs : sharpDueMs;
      const frame = await this.slot.take(dueMs === undefined ? undefined : Math.max(1, dueMs - nowMs()));
      if (frame === undefined) return;
      if (frame === IDLE) {
        const now = nowNs();
        if (sharpDueMs !== undefined && nsToMs(now) >= sharpDueMs) await this.writeAgain(sink, 'sharp');
        if (flushDueMs !== undefined && nsToMs(now) >= flushDueMs) {
          await sink.flush(this.stopTimeUs(now));
          this.still.flushed(nsToMs(now));
        }
        continue;
      }
      this.still.stillFrom(nowMs());
      try {
        await this.writeFrame(sink, frame, this.timeline.frameTimeUs(frame.captureMonotonicNs));
      } finally {
        release(frame);
      }
    }
  }

  /**
   * A constant-rate file for editors: a sample on every slot of the `fps` grid, from the first
   * frame's arrival. At each slot the newest frame delivered since the last is encoded; without
   * one, the last picture is repeated (a P frame of skipped blocks, some 200 bytes; the first
   * repeat after SHARPEN_AFTER_MS is the sharp pass). Timestamps are the slots' exact times, so
   * arrival jitter never shows. Slots the recorder is late for are filled at once; only when
   * encoding falls far behind are slots skipped: the sample before then lasts a whole number of
   * periods and the next lands on the grid again.
   */
  private async writeConstantRate(sink: FrameSink, fps: number): Promise<void> {
    const first = await this.slot.take();
    if (first === undefined || first === IDLE) return;
    const periodUs = 1e6 / fps;
    const originNs = this.firstLocalNs ?? nowNs();
    this.still.stillFrom(nowMs());
    try {
      await this.writeFrame(sink, first, 0);
    } finally {
      release(first);
    }
    let slot = 1;
    while (!this.slot.finished) {
      const slotLocalNs = originNs + BigInt(Math.round(slot * periodUs * 1000));
      const waitMs = Number(slotLocalNs - nowNs()) / 1e6;
      if (waitMs > 0) await sleep(waitMs);
      const timestampUs = slot * periodUs;
      if (timestampUs >= (this.fileLimitUs ?? Infinity)) return;
      const frame = this.slot.takeNow();
      if (frame !== undefined) {
        this.still.stillFrom(nowMs());
        try {
          await this.writeFrame(sink, frame, timestampUs);
        } finally {
          release(frame);
        }
      } else if (!this.slot.finished) {
        await this.writeAgain(sink, this.still.wantsSharp(nowMs()) ? 'sharp' : 'repeat', timestampUs);
      }
      // A late timer or a slow encode is caught up on (repeats cost some 2 ms), so that every
      // slot has its sample; only an encoder that fell more than CONSTANT_RATE_CATCH_UP_MS
      // behind skips slots, the sample before then lasting several periods.
      const elapsedUs = Number(nowNs() - originNs) / 1000;
      slot = Math.max(slot + 1, Math.ceil((elapsedUs - CONSTANT_RATE_CATCH_UP_MS * 1000) / periodUs));
    }
  }

  private async writeFrame(sink: FrameSink, frame: CapturedFrame, at: number): Promise<void> {
    // A sample must come after the previous one. Capture times only go forward, but a sharp pass
    // placed by the local clock, or two latches rounded into one vsync period on a loaded
    // server, can leave a frame no later than the last sample: it then shows a period later.
    const timestampUs =
      sink.framesWritten > 0 && at < this.lastTimestampUs + MIN_SAMPLE_GAP_US ? this.lastTimestampUs + (this.timeline.gridUs ?? 1000) : at;
    if (timestampUs >= (this.fileLimitUs ?? Infinity)) {
      this.notWritten++;
    } else if (await sink.write(frame, timestampUs)) {
      this.lastTimestampUs = timestampUs;
      this.still.pictureCoded();
      this.framesStored++;
      this.options.onFrame?.({ index: sink.framesWritten - 1, timestampUs, frame });
    } else {
      this.notWritten++;
    }
  }

  /**
   * The last picture again, at `timestampUs` or (variable rate) now on the vsync grid. Marks the
   * picture sharpened even when rate control drops a repeat: a sharp pass is tried once per still.
   */
  private async writeAgain(sink: FrameSink, quality: 'repeat' | 'sharp', timestampUs?: number): Promise<void> {
    if (sink.writeAgain === undefined || sink.framesWritten === 0) return;
    const gridUs = this.timeline.gridUs ?? 1000;
    const time = timestampUs ?? Math.max(this.timeline.nextGridTimeUs(this.timeline.localTimeUs(nowNs())), this.lastTimestampUs + gridUs);
    if (quality === 'sharp') this.still.sharpTried();
    if (time >= (this.fileLimitUs ?? Infinity)) return;
    if (await sink.writeAgain(time, quality)) {
      this.lastTimestampUs = time;
      this.samplesAgain++;
    }
  }

  /**
   * A local instant (a flush, the stop) as the file's end: on the file's timeline, no later than
   * run()'s durationMs, and after the last frame's timestamp. A constant-rate file ends on its
   * grid, after the last sample's whole period.
   */
  private stopTimeUs(localNs: bigint): number {
    const limitUs = this.fileLimitUs ?? Infinity;
    const fps = this.options.fps;
    if (fps !== undefined) {
      const periodUs = 1e6 / fps;
      const elapsedUs = this.firstLocalNs === undefined ? 0 : Number(localNs - this.firstLocalNs) / 1000;
      const endUs = Math.min(Math.ceil(elapsedUs / periodUs - 1e-9) * periodUs, limitUs);
      return Math.max(endUs, this.lastTimestampUs + periodUs);
    }
    const timeUs = this.timeline.localTimeUs(localNs);
    // At least one 90 kHz tick past the last frame, which the MP4 writer requires.
    return Math.max(Math.min(timeUs, limitUs), this.lastTimestampUs + MIN_SAMPLE_GAP_US);
  }
}

/**
 * The frame rate a variable-rate file is planned for: the display's refresh rate, since the
 * server latches at most once a vsync; DEFAULT_RECORDED_FRAME_RATE when the server gives none.
 */
function recordedFrameRate(vsyncHz: number): number {
  return vsyncHz > 0 ? Math.min(MAX_RECORDING_FPS, Math.max(1, vsyncHz)) : DEFAULT_RECORDED_FRAME_RATE;
}

/** The MP4 timescale of a constant-rate file: 90 kHz when a period is a whole number of its ticks. */
export function constantRateTimescale(fps: number): number {
  return 90_000 % fps === 0 ? 90_000 : fps * 1000;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
