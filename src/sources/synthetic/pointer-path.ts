/**
 * Where the built-in desktop's pointer is at a given time: a smooth closed loop (a Catmull-Rom
 * spline through a few points of the layout: into the terminal, across the sky, over where the
 * window glides), travelled for three seconds out of every four, resting for the fourth like a
 * hand that stops now and then.
 *
 * The loop keeps to the upper three quarters of the screen and out of the terminal's lower
 * right corner, so the taskbar, the clock and that corner, which tests look at, never have the
 * pointer over them.
 */
import type { DesktopLayout } from './desktop-art';

/** The loop's points, as fractions of the display's width and height. */
const WAYPOINTS: readonly (readonly [number, number])[] = [
  [0.15, 0.25], // in the terminal, near its top left
  [0.3, 0.4], // deeper into the terminal
  [0.6, 0.2], // the sky
  [0.75, 0.55], // where the window often is
  [0.7, 0.72],
  [0.82, 0.15], // back up the right side
  [0.4, 0.08], // along the top
];
const SEGMENT_MS = 1200;
const MOVING_MS = 3000;
const RESTING_MS = 1000;

/** Catmull-Rom between p1 and p2 at t in [0, 1]. */
function spline(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const t2 = t * t;
  const t3 = t2 * t;
  return 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (3 * p1 - p0 - 3 * p2 + p3) * t3);
}

/** The pointer's hot spot after `elapsedMs` of animation, in whole display pixels. */
export function pointerPosition(layout: DesktopLayout, elapsedMs: number): { x: number; y: number } {
  const cycle = MOVING_MS + RESTING_MS;
  const travelMs = Math.floor(elapsedMs / cycle) * MOVING_MS + Math.min(MOVING_MS, elapsedMs % cycle);
  const count = WAYPOINTS.length;
  const segment = Math.floor(travelMs / SEGMENT_MS) % count;
  const t = (travelMs % SEGMENT_MS) / SEGMENT_MS;
  const point = (i: number) => WAYPOINTS[(i + count) % count]!;
  const [p0, p1, p2, p3] = [point(segment - 1), point(segment), point(segment + 1), point(segment + 2)];
  return {
    x: Math.round(spline(p0[0], p1[0], p2[0], p3[0], t) * layout.width),
    y: Math.round(spline(p0[1], p1[1], p2[1], p3[1], t) * layout.height),
  };
}
