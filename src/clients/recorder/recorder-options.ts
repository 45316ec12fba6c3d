/** The recorder's options, their defaults, and the checks that name the bad field. */
import { FieldError } from '../../core/field-error';
import { access, constants, mkdir } from 'node:fs/promises';
import { H264_MAX_PIXELS, H264_MIN_SIDE, MAX_ENCODER_THREADS } from '../../codec/encoder-limits';
import {
  DEFAULT_KEYFRAME_INTERVAL_MS,
  DEFAULT_RECORDING_FRAGMENT_MS,
  MAX_FRAGMENT_DURATION_MS,
  MAX_RECORDING_FPS,
  MIN_FRAGMENT_DURATION_MS,
  fragmentOutlastsKeyframes,
  isRecordingIntervalInRange,
  recordingTiming,
} from '../../media/keyframe-policy';
import type { CursorMode } from '../../core/pointer';
import type { CapturedFrame, FrameTransport } from '../capture-session';

export type RecordingFormat = 'mp4' | 'png';

export interface RecorderProgress {
  /** Milliseconds since the first frame arrived (0 before it). */
  elapsedMs: number;
  /** Frames from the server stored in the file. */
  framesWritten: number;
  /**
   * Samples that code the last picture once more: sharp passes on a still screen, and with `fps`
   * the repeats that fill still periods. The file holds framesWritten + framesAgain samples.
   */
  framesAgain: number;
  /** Frames not written: replaced by a newer one while the encoder was busy, or dropped by rate control. */
  framesSkipped: number;
  bytesOnDisk: number;
  /** Frames the encoder could take per second at its measured cost per frame (0 before any). */
  encodeFps: number;
}

/** A frame as it went into the recording, for callers that check or preview what was stored. */
export interface RecordedFrame {
  /** 0 for the first frame written; the sample's index in the MP4, or the PNG's number minus 1. */
  index: number;
  /** Microseconds after the recording's first frame. */
  timestampUs: number;
  /** Valid during the callback only: copy what you keep. */
  frame: CapturedFrame;
}

export interface RecorderOptions {
  /** The directory to write to: `display.mp4`, or `frames/` for PNG. Created if missing. */
  outDir: string;
  /**
   * What to create in `outDir` instead: the MP4 file's name, or for PNG the frames folder's.
   * A plain name (no slashes). Default `display.mp4` / `frames`. An existing file is replaced.
   */
  fileName?: string;
  /** Recorded size; both even. Default: the display's size (rounded down to even). */
  width?: number;
  height?: number;
  /** The mouse pointer; default 'embedded' (recorded as the screen shows it). */
  cursorMode?: CursorMode;
  /**
   * The display (an id of DisplayInfo.displays) to record, its size the default recorded size;
   * default the primary display; WHOLE_DESKTOP_DISPLAY_ID for the whole desktop.
   */
  displayId?: number;
  /** Default 'mp4', or 'png' (with a warning) when the H.264 addon cannot be loaded. */
  format?: RecordingFormat;
  /**
   * openh264 tuning. Default 'camera': on moving screens (scrolling, video, window drags) it
   * codes 2-2.5 times faster than 'screen' at the same bitrate and spends the bits it is given,
   * where 'screen' keeps its quantiser at 26 or above (openh264's range for screen content) and
   * so stays near 35 dB however high the bitrate (docs/recording.md, Encoder settings). 'screen'
   * suits text that must stay crisp at a low bitrate.
   */
  usage?: 'screen' | 'camera';
  /**
   * openh264 rate control. Default 'bitrate': hold `bitrateBps` by the quantiser (the recorder
   * never lets rate control drop frames, see Mp4FrameSink). 'quality': favour picture quality,
   * `bitrateBps` being a guide.
   */
  rateControl?: 'bitrate' | 'quality';
  /**
   * Encoder threads, 1 to 4. Default 1: one core for the encoder. More split each picture into
   * that many slices encoded in parallel, for content one core cannot encode at the display's rate
   * (see docs/PERFORMANCE.md, Recording); the file is slightly larger.
   */
  threads?: number;
  /**
   * Target bitrate in bits a second, from 10,000 to 200,000,000. Default: 0.1 bit a pixel of
   * every frame at the recorded size and frame rate (`fps`, else the display's refresh rate):
   * 12.4 Mbit/s at 1920x1080 and 60 Hz, 6.2 at 30 (see defaultRecordingBitrate). A screen that
   * changes less often spends less.
   */
  bitrateBps?: number;
  /**
   * Longest gap between keyframes (the file's seek points; each starts a fragment), from 1 to
   * 60,000. Default 5000. Keyframes are the costliest frames to encode, by far on a busy screen,
   * so they are rarer than fragments.
   */
  keyframeIntervalMs?: number;
  /**
   * MP4 fragment length: how often what was recorded is written and synced to disk, about the
   * most a crash loses (a screen standing still this long has its last changes written at once),
   * from 1 to keyframeIntervalMs. Default 1000, or keyframeIntervalMs when that is shorter.
   */
  fragmentDurationMs?: number;
  /**
   * A constant-rate file at this many frames a second (an integer from 1 to MAX_RECORDING_FPS)
   * for editors that expect one: a sample on every period, the last picture repeated while the
   * screen stands still. Default: variable rate, a sample per change at its capture time.
   */
  fps?: number;
  /**
   * How frames reach the recorder (see SessionConfiguration.transport). Default 'auto': shared
   * memory from a server on this machine, inline otherwise.
   */
  transport?: FrameTransport;
  /** Called about every `progressIntervalMs` (default 1000); run() resolves to the final figures. */
  onProgress?: (progress: RecorderProgress) => void;
  progressIntervalMs?: number;
  /** Called after each frame is written. */
  onFrame?: (recorded: RecordedFrame) => void;
  /** Called for conditions a user should know about (e.g. the PNG fallback). Default: ignored. */
  onWarning?: (message: string) => void;
}

/** The defaults that do not depend on the display (the bitrate does: defaultRecordingBitrate). */
export const RECORDER_DEFAULTS = {
  usage: 'camera',
  rateControl: 'bitrate',
  threads: 1,
  keyframeIntervalMs: DEFAULT_KEYFRAME_INTERVAL_MS,
  fragmentDurationMs: DEFAULT_RECORDING_FRAGMENT_MS,
  progressIntervalMs: 1000,
} as const;

function checkEvenSide(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value > 8192 || value % 2 !== 0) {
    throw new FieldError(field, `must be an even integer from 2 to 8192 (H.264 4:2:0 needs even sides); got ${String(value)}.`);
  }
}

/** Throws a TypeError naming the first bad field. */
export function checkRecorderOptions(options: RecorderOptions): void {
  if (options === null || typeof options !== 'object') throw new FieldError('options', 'must be an object.');
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new FieldError('outDir', 'must be a non-empty string.');
  if (
    options.fileName !== undefined &&
    (typeof options.fileName !== 'string' || !/^[^/\\]+$/.test(options.fileName) || options.fileName === '.' || options.fileName === '..')
  ) {
    throw new FieldError(
      'fileName',
      `must be a plain file name (no slashes), got ${JSON.stringify(String(options.fileName)).slice(0, 80)}.`,
    );
  }
  checkEvenSide(options.width, 'width');
  checkEvenSide(options.height, 'height');
  if ((options.width === undefined) !== (options.height === undefined))
    throw new FieldError(options.width === undefined ? 'width' : 'height', 'goes with the other side: give both or neither.');
  if (
    options.format !== 'png' &&
    options.width !== undefined &&
    options.height !== undefined &&
    Math.min(options.width, options.height) < H264_MIN_SIDE
  ) {
    throw new FieldError(
      'width x height',
      `must be at least ${H264_MIN_SIDE} for H.264 (openh264 refuses smaller pictures); got ${options.width}x${options.height}.`,
    );
  }
  if (
    options.format !== 'png' &&
    options.width !== undefined &&
    options.height !== undefined &&
    options.width * options.height > H264_MAX_PIXELS
  ) {
    throw new FieldError(
      'width x height',
      `must be at most ${H264_MAX_PIXELS} pixels for H.264 (openh264's level 5.2, e.g. 4096x2304); got ${options.width}x${options.height}.`,
    );
  }
  if (options.format !== undefined && options.format !== 'mp4' && options.format !== 'png') {
    throw new FieldError('format', `must be 'mp4' or 'png'; got ${String(options.format)}.`);
  }
  if (options.usage !== undefined && options.usage !== 'screen' && options.usage !== 'camera') {
    throw new FieldError('usage', `must be 'screen' or 'camera'; got ${String(options.usage)}.`);
  }
  if (options.rateControl !== undefined && options.rateControl !== 'bitrate' && options.rateControl !== 'quality') {
    throw new FieldError('rateControl', `must be 'bitrate' or 'quality'; got ${String(options.rateControl)}.`);
  }
  const threads = options.threads;
  if (
    threads !== undefined &&
    (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_ENCODER_THREADS)
  ) {
    throw new FieldError('threads', `must be an integer from 1 to ${MAX_ENCODER_THREADS}; got ${String(threads)}.`);
  }
  if (options.transport !== undefined && !['auto', 'inline', 'shared-memory'].includes(options.transport)) {
    throw new FieldError('transport', `must be 'auto', 'inline' or 'shared-memory'; got ${String(options.transport)}.`);
  }
  const bitrate = options.bitrateBps;
  if (bitrate !== undefined && (typeof bitrate !== 'number' || !Number.isInteger(bitrate) || bitrate < 10_000 || bitrate > 200_000_000)) {
    throw new FieldError('bitrateBps', `must be an integer from 10,000 to 200,000,000; got ${String(bitrate)}.`);
  }
  const fps = options.fps;
  if (fps !== undefined && (typeof fps !== 'number' || !Number.isInteger(fps) || fps < 1 || fps > MAX_RECORDING_FPS)) {
    throw new FieldError('fps', `must be an integer from 1 to ${MAX_RECORDING_FPS} frames a second; got ${String(fps)}.`);
  }
  if (fps !== undefined && options.format === 'png') {
    throw new FieldError('fps', 'applies to MP4 only: PNG frames keep their capture times.');
  }
  checkIntervalMs(options.keyframeIntervalMs, 'keyframeIntervalMs');
  checkIntervalMs(options.fragmentDurationMs, 'fragmentDurationMs');
  const timing = recordingTiming(options);
  if (fragmentOutlastsKeyframes(timing)) {
    const { keyframeIntervalMs, fragmentDurationMs } = timing;
    throw new FieldError(
      'fragmentDurationMs',
      `must not exceed keyframeIntervalMs (${keyframeIntervalMs}), each keyframe starting a fragment; got ${fragmentDurationMs}.`,
    );
  }
  checkPositiveMs(options.progressIntervalMs, 'progressIntervalMs');
}

function checkIntervalMs(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || !isRecordingIntervalInRange(value))) {
    throw new FieldError(
      field,
      `must be from ${MIN_FRAGMENT_DURATION_MS} to ${MAX_FRAGMENT_DURATION_MS} milliseconds; got ${String(value)}.`,
    );
  }
}

/** Throws a TypeError unless `value` is undefined or a positive number of milliseconds. */
export function checkPositiveMs(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
    throw new FieldError(field, `must be a positive number of milliseconds; got ${String(value)}.`);
  }
}

/** Creates the directory if need be and checks it can be written; the error names the path. */
export async function prepareOutputDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
    await access(directory, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot write to ${directory}: ${code}`, { cause: error });
  }
}
