import type { Rect } from '../../src/core/rect';

/** Whether every pixel of `rect` is inside the union of `damage`. */
export function covers(damage: readonly Rect[], rect: Rect): boolean {
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      if (!damage.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)) return false;
    }
  }
  return true;
}
