/**
 * The recording settings, declared and parsed in one place for the two commands that record:
 * `screencap record --size ...` and `screencap serve --record DIR --record-size ...`. The serve
 * command prefixes them because its own --size is the served desktop's, not the recording's.
 *
 * Nothing here loads the recorder: `serve` imports this module whether or not it records.
 */
import type { RecorderOptions } from '../clients/recorder';
import { H264_MAX_PIXELS, H264_MIN_SIDE, MAX_ENCODER_THREADS } from '../codec/encoder-limits';
import {
  fragmentOutlastsKeyframes,
  isRecordingIntervalInRange,
  MAX_FRAGMENT_DURATION_MS,
  MAX_RECORDING_FPS,
  MIN_FRAGMENT_DURATION_MS,
  recordingTiming,
} from '../media/keyframe-policy';
import { firstGivenOption, prefixedOptions, UsageError, type OptionSpec, type ParsedOptions } from './command';
import { DISPLAY_OPTION, parseDisplayId } from './display-option';
import {
  PICTURE_CURSOR_OPTION,
  parseBitrate,
  parseChoice,
  parsePictureCursorMode,
  parseDuration,
  parseNumber,
  parseSize,
} from './option-values';

/** What the parsed options give a Recorder, and how long to record (undefined: until stopped). */
export interface RecordingSettings {
  durationMs: number | undefined;
  recorder: Pick<
    RecorderOptions,
    | 'width'
    | 'height'
    | 'format'
    | 'fps'
    | 'bitrateBps'
    | 'rateControl'
    | 'keyframeIntervalMs'
    | 'fragmentDurationMs'
    | 'usage'
    | 'threads'
    | 'cursorMode'
    | 'displayId'
  >;
}

const FORMATS = ['mp4', 'png'] as const;
const USAGES = ['screen', 'camera'] as const;
const RATE_CONTROLS = ['bitrate', 'quality'] as const;
const INTERVAL_RANGE = `${MIN_FRAGMENT_DURATION_MS}ms to ${MAX_FRAGMENT_DURATION_MS / 1000}s`;

const SETTINGS: Record<string, OptionSpec> = {
  duration: { type: 'string', value: 'DURATION', description: 'Stop recording this long after the first frame', default: 'until Ctrl-C' },
  size: {
    type: 'string',
    value: 'WxH',
    description: 'Recorded size, both sides even; for MP4 at most the area of 4096x2304 (H.264 level 5.2)',
    default: 'the display size',
  },
  format: { type: 'string', value: 'mp4|png', description: 'Output format (png when H.264 is unavailable)', default: 'mp4' },
  fps: {
    type: 'string',
    value: 'N',
    description: `Constant frame rate for editors, 1 to ${MAX_RECORDING_FPS}: a frame every 1/N s, the last picture repeated while the screen stands still (MP4 only)`,
    default: 'variable: a frame per change, at its capture time',
  },
  bitrate: {
    type: 'string',
    value: 'BPS',
    description: 'H.264 target bitrate, e.g. 12M or 800k; a screen that changes less often spends less',
    default: '0.1 bit a pixel a frame at the recorded size and rate: 12.4M at 1920x1080 and 60 fps, 6.2M at 30',
  },
  'rate-control': {
    type: 'string',
    value: 'bitrate|quality',
    description: 'Hold the bitrate (by coarser quantising, never by dropping frames) or favour picture quality (the bitrate a guide)',
    default: 'bitrate',
  },
  'keyframe-interval': {
    type: 'string',
    value: 'DURATION',
    description: `Keyframes (seek points) at least this often, ${INTERVAL_RANGE}; they are the costliest frames to encode`,
    default: '5s',
  },
  fragment: {
    type: 'string',
    value: 'DURATION',
    description: `How often the file is written and synced, ${INTERVAL_RANGE}, at most the keyframe interval: about the most a crash loses`,
    default: '1s, or the keyframe interval if shorter',
  },
  cursor: PICTURE_CURSOR_OPTION,
  display: DISPLAY_OPTION,
  usage: {
    type: 'string',
    value: 'screen|camera',
    description:
      'Tune openh264 for camera video (2-2.5x faster on moving screens at the same bitrate, and it spends the bits it is given) or screen content (crisper text at low bitrates, but near 35 dB PSNR at any bitrate)',
    default: 'camera',
  },
  threads: {
    type: 'string',
    value: 'N',
    description: `Encoder threads, 1 to ${MAX_ENCODER_THREADS}: more than one encodes slices of each picture on more cores`,
    default: '1',
  },
};

/** The recording options under their command-line names: `prefix` + size, format, ... */
export function recordingOptionSpecs(prefix = ''): Record<string, OptionSpec> {
  return prefixedOptions(SETTINGS, prefix);
}

/** The first recording option (with this prefix) that was given, by name; undefined when none was. */
export function firstRecordingOption(values: ParsedOptions, prefix = ''): string | undefined {
  return firstGivenOption(SETTINGS, values, prefix);
}

/** Parses and checks the recording options; a bad value is a UsageError naming the option as typed. */
export function parseRecordingSettings(values: ParsedOptions, prefix = ''): RecordingSettings {
  const text = (name: string): string | undefined => {
    const value = values[prefix + name];
    return typeof value === 'string' ? value : undefined;
  };
  const option = (name: string) => prefix + name;
  const durationText = text('duration');
  const bitrateText = text('bitrate');
  const usageText = text('usage');
  const sizeText = text('size');
  const size = sizeText === undefined ? undefined : parseSize(sizeText, option('size'));
  if (size && (size.width % 2 !== 0 || size.height % 2 !== 0)) {
    throw new UsageError(`--${option('size')}: both sides must be even (H.264 4:2:0), got ${size.width}x${size.height}`);
  }
  const format = parseChoice(text('format') ?? 'mp4', option('format'), FORMATS);
  if (size && format === 'mp4' && (size.width < H264_MIN_SIDE || size.height < H264_MIN_SIDE)) {
    throw new UsageError(
      `--${option('size')}: at least ${H264_MIN_SIDE}x${H264_MIN_SIDE} for H.264 (openh264 refuses smaller pictures), got ${size.width}x${size.height}`,
    );
  }
  if (size && format === 'mp4' && size.width * size.height > H264_MAX_PIXELS) {
    throw new UsageError(
      `--${option('size')}: at most ${H264_MAX_PIXELS} pixels for H.264 (openh264's level 5.2 limit, e.g. 4096x2304), got ${size.width}x${size.height}`,
    );
  }
  const fpsText = text('fps');
  const fps = fpsText === undefined ? undefined : parseNumber(fpsText, option('fps'), { min: 1, max: MAX_RECORDING_FPS, integer: true });
  if (fps !== undefined && format === 'png') {
    throw new UsageError(`--${option('fps')}: applies to MP4 only (PNG frames keep their capture times)`);
  }
  const interval = (name: string, why: string): number | undefined => {
    const given = text(name);
    if (given === undefined) return undefined;
    const ms = parseDuration(given, option(name));
    if (!isRecordingIntervalInRange(ms)) {
      throw new UsageError(`--${option(name)}: must be from ${INTERVAL_RANGE} (${why}), got "${given}"`);
    }
    return ms;
  };
  const keyframeIntervalMs = interval('keyframe-interval', 'a keyframe starts a fragment');
  const fragmentDurationMs = interval('fragment', 'the MP4 fragment length; longer would defeat crash safety');
  const timing = recordingTiming({ keyframeIntervalMs, fragmentDurationMs });
  if (fragmentOutlastsKeyframes(timing)) {
    throw new UsageError(
      `--${option('fragment')}: must not be longer than the keyframe interval (${timing.keyframeIntervalMs} ms): each keyframe starts a fragment`,
    );
  }
  return {
    durationMs: durationText === undefined ? undefined : parseDuration(durationText, option('duration')),
    recorder: {
      ...size,
      format,
      ...(fps === undefined ? {} : { fps }),
      ...(bitrateText === undefined ? {} : { bitrateBps: parseBitrate(bitrateText, option('bitrate')) }),
      rateControl: parseChoice(text('rate-control') ?? 'bitrate', option('rate-control'), RATE_CONTROLS),
      ...timing,
      // Left out when not given: the recorder's defaults apply (RECORDER_DEFAULTS, and the bitrate
      // that scales with the recorded size and rate), which this module cannot import.
      ...(usageText === undefined ? {} : { usage: parseChoice(usageText, option('usage'), USAGES) }),
      threads: parseNumber(text('threads') ?? '1', option('threads'), { min: 1, max: MAX_ENCODER_THREADS, integer: true }),
      cursorMode: parsePictureCursorMode(text('cursor'), option('cursor')),
      displayId: parseDisplayId(text('display'), option('display')),
    },
  };
}
