/** The displays (monitors) of a source's virtual desktop: what a client picks a picture by. */
import type { Rect } from './rect';

/**
 * ConfigureRequest.display_id for the whole virtual desktop, every display together (a session
 * that names no display gets the primary one).
 */
export const WHOLE_DESKTOP_DISPLAY_ID = 0xffff_ffff;

/** One display: a region of the desktop surface, in surface pixels. */
export interface Display extends Rect {
  /** Stable while the display exists (a SPICE monitor head's id). */
  readonly id: number;
  /** For people ("head 0", "desktop"). */
  readonly name: string;
  readonly primary: boolean;
}

/** What a source without monitors of its own has: one display, the whole desktop. */
export function wholeDesktop(width: number, height: number): Display[] {
  return [{ id: 0, name: 'desktop', x: 0, y: 0, width, height, primary: true }];
}

/** `rects` (desktop coordinates) seen through `region`: clipped to it and moved to its origin. */
export function rectsWithin(rects: readonly Rect[], region: Rect): Rect[] {
  const within: Rect[] = [];
  for (const rect of rects) {
    const left = Math.max(rect.x, region.x);
    const top = Math.max(rect.y, region.y);
    const right = Math.min(rect.x + rect.width, region.x + region.width);
    const bottom = Math.min(rect.y + rect.height, region.y + region.height);
    if (right > left && bottom > top) within.push({ x: left - region.x, y: top - region.y, width: right - left, height: bottom - top });
  }
  return within;
}
