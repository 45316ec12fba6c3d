/**
 * The live viewer's settings, declared and parsed in one place for the two commands that serve
 * it: `screencap view --size ...` and `screencap serve --view ADDR --view-size ...` (prefixed
 * there because serve's own --size is the desktop's).
 *
 * The values are checked by the viewer's own rules (stream-settings.ts, the same that check a
 * page's URL), whose errors name the setting as these options do. That module is plain data and
 * checks: `serve` imports this one whether or not it serves a viewer, and loads no viewer.
 */
import { DEFAULT_STREAM_SETTINGS, settingsFromText, type StreamSettings } from '../clients/viewer/stream-settings';
import { firstGivenOption, type OptionSpec, type ParsedOptions, prefixedOptions, rethrowAsUsage } from './command';
import { DISPLAY_OPTION, parseDisplayId } from './display-option';
import { PICTURE_CURSOR_OPTION, parseBitrate, parsePictureCursorMode } from './option-values';

export interface ViewingSettings {
  defaults: StreamSettings;
  /** Allow a non-loopback listen address. */
  public: boolean;
}

const DEFAULTS = DEFAULT_STREAM_SETTINGS;
const SETTINGS: Record<string, OptionSpec> = {
  size: {
    type: 'string',
    value: 'WxH',
    description: 'Streamed picture size, both sides even (a page may ask for another with ?size=)',
    default: `${DEFAULTS.width}x${DEFAULTS.height}`,
  },
  fps: { type: 'string', value: 'N', description: 'Frame-rate cap of the stream (1 to 60)', default: String(DEFAULTS.maxFps) },
  rotation: {
    type: 'string',
    value: 'DEGREES',
    description: 'Rotate the stream clockwise by 0, 90, 180 or 270',
    default: String(DEFAULTS.rotation),
  },
  bitrate: { type: 'string', value: 'BPS', description: 'H.264 target bitrate, e.g. 3M or 800k', default: `${DEFAULTS.bitrateBps / 1e6}M` },
  cursor: PICTURE_CURSOR_OPTION,
  display: DISPLAY_OPTION,
  public: { type: 'boolean', description: 'Allow a non-loopback address: anyone who can reach it sees the screen' },
};

export function viewingOptionSpecs(prefix = ''): Record<string, OptionSpec> {
  return prefixedOptions(SETTINGS, prefix);
}

export function firstViewingOption(values: ParsedOptions, prefix = ''): string | undefined {
  return firstGivenOption(SETTINGS, values, prefix);
}

/** Parses and checks the viewing options; a bad value is a UsageError naming the option as typed. */
export function parseViewingSettings(values: ParsedOptions, prefix = ''): ViewingSettings {
  const text = (name: string): string | undefined => {
    const value = values[prefix + name];
    return typeof value === 'string' ? value : undefined;
  };
  const bitrate = text('bitrate');
  const base = {
    ...DEFAULTS,
    ...(bitrate === undefined ? {} : { bitrateBps: parseBitrate(bitrate, `${prefix}bitrate`) }),
    cursorMode: parsePictureCursorMode(text('cursor'), `${prefix}cursor`),
    displayId: parseDisplayId(text('display'), `${prefix}display`),
  };
  try {
    return {
      defaults: settingsFromText({ size: text('size'), fps: text('fps'), rotation: text('rotation') }, base),
      public: values[`${prefix}public`] === true,
    };
  } catch (error) {
    // A setting's name is the option's name without the prefix.
    rethrowAsUsage(error, (field) => prefix + field);
  }
}
