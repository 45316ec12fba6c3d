/**
 * What one live stream is made of. Viewers asking for the same settings share one capture
 * session and one encoder: every frame is encoded once for all of them.
 *
 * Errors name a setting as both the page's URL and the command line do (size, fps, rotation,
 * bitrate), so that each can put its own prefix in front ("--view-size: ...").
 */
import { FieldError } from '../../core/field-error';
import type { CursorMode } from '../../core/pointer';
import type { Rotation } from '../../core/orientation';

export interface StreamSettings {
  /** Picture size after rotation; both even (H.264 4:2:0). */
  width: number;
  height: number;
  rotation: Rotation;
  /** Frame-rate cap: frames are pulled no faster than this (the latest one wins). */
  maxFps: number;
  /** H.264 target bitrate, bits per second. */
  bitrateBps: number;
  /** The mouse pointer; the operator's choice, the same for every stream. Default 'embedded'. */
  cursorMode?: CursorMode;
  /** The display (monitor) streamed; the operator's choice, the same for every stream. Default the primary display. */
  displayId?: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  width: 1280,
  height: 720,
  rotation: 0,
  maxFps: 30,
  bitrateBps: 3_000_000,
};

/**
 * Largest side of a streamed picture or a snapshot: the live view's H.264 (level 5.2, 4096x2304
 * at most), lower than MAX_IMAGE_SIDE in src/core/limits.ts, what the capture API serves.
 */
export const MAX_SIDE = 4096;
const MIN_STREAM_SIDE = 16;
const ROTATIONS: readonly Rotation[] = [0, 90, 180, 270];

/**
 * A `WIDTHxHEIGHT` text, each side from 1 to MAX_SIDE; throws a TypeError naming `field`.
 * Streams need more (even sides of at least 16, checked by checkStreamSettings); snapshots do not.
 */
export function parseSizeText(text: string, field = 'size'): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(text);
  const [width, height] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (width < 1 || height < 1) throw new FieldError(field, `expected WIDTHxHEIGHT (for example 1280x720), got "${text}"`);
  if (width > MAX_SIDE || height > MAX_SIDE) throw new FieldError(field, `each side must be from 1 to ${MAX_SIDE}, got ${text}`);
  return { width, height };
}

/** Throws a TypeError naming the setting unless the settings can be streamed. */
export function checkStreamSettings(settings: StreamSettings): StreamSettings {
  const { width, height, rotation, maxFps, bitrateBps } = settings;
  const sideOk = (side: number) => Number.isInteger(side) && side >= MIN_STREAM_SIDE && side <= MAX_SIDE && side % 2 === 0;
  if (!sideOk(width) || !sideOk(height)) {
    throw new FieldError(
      'size',
      `both sides must be even and from ${MIN_STREAM_SIDE} to ${MAX_SIDE} (H.264 4:2:0), got ${width}x${height}`,
    );
  }
  if (!ROTATIONS.includes(rotation)) throw new FieldError('rotation', `must be 0, 90, 180 or 270 (degrees clockwise), got ${rotation}`);
  if (!(maxFps >= 1 && maxFps <= 60)) throw new FieldError('fps', `must be a number from 1 to 60, got ${maxFps}`);
  if (!Number.isInteger(bitrateBps) || bitrateBps < 50_000 || bitrateBps > 50_000_000) {
    throw new FieldError('bitrate', `a live stream takes from 50k to 50M bits per second, got ${bitrateBps}`);
  }
  return settings;
}

/** Settings as text, the way a URL or a command line gives them; absent ones keep the defaults. */
export interface StreamSettingsText {
  size?: string;
  fps?: string;
  rotation?: string;
}

/** Parses and checks settings given as text, on top of `defaults`. */
export function settingsFromText(text: StreamSettingsText, defaults: StreamSettings): StreamSettings {
  const settings = { ...defaults };
  if (text.size !== undefined) Object.assign(settings, parseSizeText(text.size));
  const number = (field: string, value: string): number => {
    // Number('') is 0, which is not what an empty value means.
    const parsed = value.trim() === '' ? NaN : Number(value);
    if (Number.isNaN(parsed)) throw new FieldError(field, `expected a number, got "${value}"`);
    return parsed;
  };
  if (text.fps !== undefined) settings.maxFps = number('fps', text.fps);
  if (text.rotation !== undefined) settings.rotation = number('rotation', text.rotation) as Rotation;
  return checkStreamSettings(settings);
}

/**
 * A viewer's own settings from its URL (`?size=640x360&fps=15&rotation=90`), on top of the
 * server's defaults. The bitrate stays the operator's choice.
 */
export function settingsFromQuery(query: URLSearchParams, defaults: StreamSettings): StreamSettings {
  const given = (name: string) => query.get(name) ?? undefined;
  return settingsFromText({ size: given('size'), fps: given('fps'), rotation: given('rotation') }, defaults);
}

/** Streams with equal keys are the same stream. */
export function streamKey(settings: StreamSettings): string {
  return `${settings.width}x${settings.height}@${settings.maxFps}r${settings.rotation}b${settings.bitrateBps}`;
}
