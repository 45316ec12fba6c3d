/** Rectangles and their arithmetic for damage tracking. Rects are integer pixels, origin top-left. */

/** A rectangle in surface pixels, origin top-left. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

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
  let left = Infinity,
    top = Infinity,
    right = -Infinity,
    bottom = -Infinity;
  for (const r of rects) {
    left = Math.min(left, r.x);
    top = Math.min(top, r.y);
    right = Math.max(right, r.x + r.width);
    bottom = Math.max(bottom, r.y + r.height);
  }
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Whether the two rectangles share a pixel. */
export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * Beyond this many rectangles a damage list collapses to its bounding box: consumers (encoders,
 * clients) gain little from a long list, and the bookkeeping stays O(1) per frame.
 */
export const MAX_DAMAGE_RECTS = 16;

/**
 * Adds rects to a damage list. A rect that overlaps listed ones is merged with them into their
 * bounding box (a moving window's trail stays one rect rather than dozens); past
 * MAX_DAMAGE_RECTS the list collapses to its bounding box. Returns a new list; the listed rects
 * keep their order, and a rect that merged with none is the caller's own object.
 *
 * Runs for every batch of a source's damage and every latch, so it allocates only the list and
 * the merged rects.
 */
export function unionDamage(existing: readonly Rect[], added: readonly Rect[]): Rect[] {
  const result = existing.slice();
  for (const rect of added) {
    if (isEmpty(rect)) continue;
    let left = rect.x;
    let top = rect.y;
    let right = rect.x + rect.width;
    let bottom = rect.y + rect.height;
    let merged = false;
    // Fold every listed rect the growing box overlaps into it, until a pass folds none: a merge
    // can reach rects the added one did not touch.
    for (let folded = true; folded; ) {
      folded = false;
      let kept = 0;
      for (let i = 0; i < result.length; i++) {
        const r = result[i];
        if (r.x < right && left < r.x + r.width && r.y < bottom && top < r.y + r.height) {
          left = Math.min(left, r.x);
          top = Math.min(top, r.y);
          right = Math.max(right, r.x + r.width);
          bottom = Math.max(bottom, r.y + r.height);
          folded = true;
          merged = true;
        } else {
          result[kept++] = r;
        }
      }
      result.length = kept;
    }
    result.push(merged ? { x: left, y: top, width: right - left, height: bottom - top } : rect);
  }
  if (result.length > MAX_DAMAGE_RECTS) return [boundingBox(result)!];
  return result;
}
