import type { Rect } from '../../../core/rect';
import type { Clip, SpiceRect } from '../display/display-messages';

/**
 * A rectangle as half-open pixel ranges, x0 <= x < x1 and y0 <= y < y1: the canvas's own form,
 * for clipping and for its drawing loops. It does not leave the display channel, which reports
 * damage as the Rect every layer shares (toRect); SpiceRect is the wire's layout of the same.
 */
export interface Area {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function intersect(a: Area, b: Area): Area | undefined {
  const x0 = Math.max(a.x0, b.x0);
  const y0 = Math.max(a.y0, b.y0);
  const x1 = Math.min(a.x1, b.x1);
  const y1 = Math.min(a.y1, b.y1);
  return x0 < x1 && y0 < y1 ? { x0, y0, x1, y1 } : undefined;
}

export function toRect(a: Area): Rect {
  return { x: a.x0, y: a.y0, width: a.x1 - a.x0, height: a.y1 - a.y0 };
}

export function toArea(r: SpiceRect): Area {
  return { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
}

/**
 * The areas a draw touches: its box, cut by each clip rectangle and by the surface bounds.
 * Clip rectangles from SPICE do not overlap, so the areas do not either.
 */
export function drawAreas(box: SpiceRect, clip: Clip, width: number, height: number): Area[] {
  const bounds = intersect(toArea(box), { x0: 0, y0: 0, x1: width, y1: height });
  if (!bounds) return [];
  if (!clip) return [bounds];
  const out: Area[] = [];
  for (const rect of clip) {
    const area = intersect(bounds, toArea(rect));
    if (area) out.push(area);
  }
  return out;
}
