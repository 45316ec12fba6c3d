/**
 * The live viewer's settings, declared and parsed in one place for the two commands that serve
 * it: `screencap view --size ...` and `screencap serve --view ADDR --view-size ...` (prefixed
 * there because serve's own --size is the desktop's).
 *
 * Nothing here loads the viewer: `serve` imports this module whether or not it serves one.
 */
import type { StreamSettings } from '../clients/viewer/stream-settings';
import { firstGivenOption, prefixedOptions, UsageError, type OptionSpec, type ParsedOptions } from './command';
import { parseBitrate, parseNumber, parseRotation, parseSize } from './option-values';

export interface ViewingSettings {
  defaults: StreamSettings;
  /** Allow a non-loopback listen address. */
  public: boolean;
}

const SETTINGS: Record<string, OptionSpec> = {
  size: { type: 'string', value: 'WxH', description: 'Streamed picture size, both sides even (a page may ask for another with ?size=)', default: '1280x720' },
  fps: { type: 'string', value: 'N', description: 'Frame-rate cap of the stream (1 to 60)', default: '30' },
  rotation: { type: 'string', value: 'DEGREES', description: 'Rotate the stream clockwise by 0, 90, 180 or 270', default: '0' },
  bitrate: { type: 'string', value: 'BPS', description: 'H.264 target bitrate, e.g. 3M or 800k', default: '3M' },
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
  const option = (name: string) => prefix + name;
  const text = (name: string, fallback: string): string => {
    const value = values[option(name)];
    return typeof value === 'string' ? value : fallback;
  };
  const size = parseSize(text('size', '1280x720'), option('size'));
  if (size.width % 2 !== 0 || size.height % 2 !== 0 || size.width < 16 || size.height < 16 || size.width > 4096 || size.height > 4096) {
    throw new UsageError(`--${option('size')}: both sides must be even and from 16 to 4096 (H.264 4:2:0), got ${size.width}x${size.height}`);
  }
  const bitrateBps = parseBitrate(text('bitrate', '3M'), option('bitrate'));
  if (bitrateBps < 50_000 || bitrateBps > 50_000_000) {
    throw new UsageError(`--${option('bitrate')}: a live stream takes from 50k to 50M bits per second, got "${text('bitrate', '')}"`);
  }
  return {
    defaults: {
      ...size,
      maxFps: parseNumber(text('fps', '30'), option('fps'), { min: 1, max: 60 }),
      rotation: parseRotation(text('rotation', '0'), option('rotation')),
      bitrateBps,
    },
    public: values[option('public')] === true,
  };
}
