/**
 * What one live stream is made of. Viewers asking for the same settings share one capture
 * session and one encoder: every frame is encoded once for all of them.
 */
import type { Rotation } from '../../render/render-target';

export interface StreamSettings {
  /** Picture size after rotation; both even (H.264 4:2:0). */
  width: number;
  height: number;
  rotation: Rotation;
  /** Frame-rate cap: frames are pulled no faster than this (the latest one wins). */
  maxFps: number;
  /** H.264 target bitrate, bits per second. */
  bitrateBps: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  width: 1280,
  height: 720,
  rotation: 0,
  maxFps: 30,
  bitrateBps: 3_000_000,
};

const MAX_SIDE = 4096;
const ROTATIONS: readonly Rotation[] = [0, 90, 180, 270];

/** Throws a TypeError naming the field unless the settings can be streamed. */
export function checkStreamSettings(settings: StreamSettings): StreamSettings {
  const { width, height, rotation, maxFps, bitrateBps } = settings;
  for (const [field, side] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(side) || side < 16 || side > MAX_SIDE || side % 2 !== 0) {
      throw new TypeError(`${field}: must be an even integer from 16 to ${MAX_SIDE}, got ${side}`);
    }
  }
  if (!ROTATIONS.includes(rotation)) throw new TypeError(`rotation: must be 0, 90, 180 or 270, got ${rotation}`);
  if (!(maxFps >= 1 && maxFps <= 60)) throw new TypeError(`fps: must be from 1 to 60, got ${maxFps}`);
  if (!Number.isInteger(bitrateBps) || bitrateBps < 50_000 || bitrateBps > 50_000_000) {
    throw new TypeError(`bitrate: must be from 50000 to 50000000 bits per second, got ${bitrateBps}`);
  }
  return settings;
}

/**
 * A viewer's own settings from its URL (`?size=640x360&fps=15&rotation=90`), on top of the
 * server's defaults. The bitrate stays the operator's choice.
 */
export function settingsFromQuery(query: URLSearchParams, defaults: StreamSettings): StreamSettings {
  const settings = { ...defaults };
  const size = query.get('size');
  if (size !== null) {
    const match = /^(\d+)x(\d+)$/.exec(size);
    if (!match) throw new TypeError(`size: expected WIDTHxHEIGHT (for example 1280x720), got "${size}"`);
    settings.width = Number(match[1]);
    settings.height = Number(match[2]);
  }
  const fps = query.get('fps');
  if (fps !== null) settings.maxFps = Number(fps);
  const rotation = query.get('rotation');
  if (rotation !== null) settings.rotation = Number(rotation) as Rotation;
  return checkStreamSettings(settings);
}

/** Streams with equal keys are the same stream. */
export function streamKey(settings: StreamSettings): string {
  return `${settings.width}x${settings.height}@${settings.maxFps}r${settings.rotation}b${settings.bitrateBps}`;
}
