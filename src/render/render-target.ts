/**
 * What a client's buffer looks like: its size (after rotation), rotation, pixel format and how
 * the display is fitted into it; and where the display lands inside it.
 */
import type { SurfaceFormat } from '../core/pixel-format';
import type { Rect } from '../core/rect';
import type { Rotation, ScaleMode } from '../core/orientation';
import type { CursorMode } from '../core/pointer';

export type { CursorMode, Rotation, ScaleMode };

export interface RenderTarget {
  /** Size of the image after rotation. */
  readonly width: number;
  readonly height: number;
  /** Clockwise. */
  readonly rotation: Rotation;
  readonly format: SurfaceFormat;
  readonly scaleMode: ScaleMode;
  /** Default 'embedded'. */
  readonly cursor?: CursorMode;
}

/** Whether the target's image has the pointer drawn into it. */
export function drawsPointer(target: RenderTarget): boolean {
  return (target.cursor ?? 'embedded') === 'embedded';
}

/**
 * Names a target's pixels: targets with the same key get the same bytes from a frame, so
 * 'metadata' and 'hidden' (neither draws the pointer) share one.
 */
export function targetKey(target: RenderTarget): string {
  return `${target.width}x${target.height}/${target.rotation}/${target.format}/${target.scaleMode}${drawsPointer(target) ? '/pointer' : ''}`;
}

/** Where the rotated display is drawn inside the target: a scale per axis and an offset. */
export interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * FIT scales uniformly to the largest size that fits and centres it (the rest is black);
 * STRETCH fills the target. Rounding matches sharp's `contain` (round the scaled size, centre
 * with the left/top bar getting the smaller half).
 */
export function placementOf(displayWidth: number, displayHeight: number, target: RenderTarget): Placement {
  const quarterTurn = target.rotation === 90 || target.rotation === 270;
  const rotatedWidth = quarterTurn ? displayHeight : displayWidth;
  const rotatedHeight = quarterTurn ? displayWidth : displayHeight;
  if (target.scaleMode === 'stretch') return { x: 0, y: 0, width: target.width, height: target.height };
  const scale = Math.min(target.width / rotatedWidth, target.height / rotatedHeight);
  const width = Math.min(target.width, Math.max(1, Math.round(rotatedWidth * scale)));
  const height = Math.min(target.height, Math.max(1, Math.round(rotatedHeight * scale)));
  return { x: Math.floor((target.width - width) / 2), y: Math.floor((target.height - height) / 2), width, height };
}

/**
 * Maps a display pixel to the target pixel its centre lands in, after rotation and scaling; the
 * result may lie outside the image (a pointer half off the display, or on a letterbox bar's side).
 */
export function mapPoint(
  x: number,
  y: number,
  displayWidth: number,
  displayHeight: number,
  target: RenderTarget,
): { x: number; y: number } {
  let rx: number;
  let ry: number;
  switch (target.rotation) {
    case 0:
      rx = x;
      ry = y;
      break;
    case 90:
      rx = displayHeight - 1 - y;
      ry = x;
      break;
    case 180:
      rx = displayWidth - 1 - x;
      ry = displayHeight - 1 - y;
      break;
    case 270:
      rx = y;
      ry = displayWidth - 1 - x;
      break;
  }
  const quarterTurn = target.rotation === 90 || target.rotation === 270;
  const place = placementOf(displayWidth, displayHeight, target);
  const sx = place.width / (quarterTurn ? displayHeight : displayWidth);
  const sy = place.height / (quarterTurn ? displayWidth : displayHeight);
  return { x: Math.floor(place.x + (rx + 0.5) * sx), y: Math.floor(place.y + (ry + 0.5) * sy) };
}

/**
 * Maps a damaged rect of the display into the target image, grown by `margin` pixels on each
 * side (by default one, so that what the scaling filter smears into neighbours is covered), and
 * clipped to the target.
 */
export function mapDamage(rect: Rect, displayWidth: number, displayHeight: number, target: RenderTarget, margin = 1): Rect {
  // Rotate clockwise within the display's own frame.
  let r: Rect;
  switch (target.rotation) {
    case 0:
      r = rect;
      break;
    case 90:
      r = { x: displayHeight - rect.y - rect.height, y: rect.x, width: rect.height, height: rect.width };
      break;
    case 180:
      r = { x: displayWidth - rect.x - rect.width, y: displayHeight - rect.y - rect.height, width: rect.width, height: rect.height };
      break;
    case 270:
      r = { x: rect.y, y: displayWidth - rect.x - rect.width, width: rect.height, height: rect.width };
      break;
  }
  const quarterTurn = target.rotation === 90 || target.rotation === 270;
  const rotatedWidth = quarterTurn ? displayHeight : displayWidth;
  const rotatedHeight = quarterTurn ? displayWidth : displayHeight;
  const place = placementOf(displayWidth, displayHeight, target);
  const sx = place.width / rotatedWidth;
  const sy = place.height / rotatedHeight;
  const left = Math.max(0, Math.floor(place.x + r.x * sx) - margin);
  const top = Math.max(0, Math.floor(place.y + r.y * sy) - margin);
  const right = Math.min(target.width, Math.ceil(place.x + (r.x + r.width) * sx) + margin);
  const bottom = Math.min(target.height, Math.ceil(place.y + (r.y + r.height) * sy) + margin);
  return { x: left, y: top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}
