/** Rectangle arithmetic for damage tracking. Rects are integer pixels, origin top-left. */
import type { Rect } from '../sources/display-source';

export type { Rect };

export function isEmpty(rect: Rect): boolean {
  return rect.width <= 0 || rect.height <= 0;
}

/** The part of `rect` inside a width x height image; may be empty. */
export function clipToBounds(rect: Rect, width: number, height: number): Rect {
  const x = Math.max(0, rect.x);
  const y = Math.max(0, rect.y);
  const right = Math.min(width, rect.x + rect.width);
  const bottom = Math.min(height, rect.y + rect.height);
  return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) };
}

export function boundingBox(rects: readonly Rect[]): Rect | undefined {
  if (rects.length === 0) return undefined;
  let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
  for (const r of rects) {
    left = Math.min(left, r.x);
    top = Math.min(top, r.y);
    right = Math.max(right, r.x + r.width);
    bottom = Math.max(bottom, r.y + r.height);
  }
  return { x: left, y: top, width: right - left, height: bottom - top };
}

function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

/**
 * Beyond this many rectangles a damage list collapses to its bounding box: consumers (encoders,
 * clients) gain little from a long list, and the bookkeeping stays O(1) per frame.
 */
export const MAX_DAMAGE_RECTS = 16;

/**
 * Adds rects to a damage list, dropping what is already covered and collapsing to the bounding
 * box past MAX_DAMAGE_RECTS. Returns a new list.
 */
export function unionDamage(existing: readonly Rect[], added: readonly Rect[]): Rect[] {
  const result = existing.slice();
  for (const rect of added) {
    if (isEmpty(rect) || result.some((r) => contains(r, rect))) continue;
    const kept = result.filter((r) => !contains(rect, r));
    kept.push(rect);
    result.length = 0;
    result.push(...kept);
  }
  if (result.length > MAX_DAMAGE_RECTS) return [boundingBox(result)!];
  return result;
}
