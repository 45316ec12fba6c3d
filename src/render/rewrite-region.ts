/**
 * Which pixels of a client's image a change of the display can alter, so that an image holding
 * an earlier frame is brought up to date by rendering only those: a buffer updated that way must
 * equal a full render byte for byte. (The render of a region reads whatever source pixels it
 * needs; this is only about which image pixels can come out different.)
 *
 * Unscaled (rotated or not), a display pixel lands on exactly one image pixel, so the mapped rect
 * is exact. Scaled, an image pixel blends source pixels around where its centre falls: the
 * native scaler first averages 2x2 blocks while shrinking by 2x or more, then filters
 * bilinearly, so a source change reaches at most 1.75 image pixels beyond where it maps when
 * shrinking, and 1.5 times the scale plus half a pixel when enlarging (see
 * native/src/image-transform.cc); rounding in the placement and in the scaler's fixed-point
 * taps adds under a pixel. The reach below covers both with a pixel to spare.
 */
import type { Rect } from '../core/rect';
import { mapDamage, placementOf, type RenderTarget } from './render-target';

/** How far (in image pixels) the scaling filter carries a display change beyond where it maps. */
export function filterReach(displayWidth: number, displayHeight: number, target: RenderTarget): number {
  const quarterTurn = target.rotation === 90 || target.rotation === 270;
  const place = placementOf(displayWidth, displayHeight, target);
  const sx = place.width / (quarterTurn ? displayHeight : displayWidth);
  const sy = place.height / (quarterTurn ? displayWidth : displayHeight);
  if (sx === 1 && sy === 1) return 0;
  return Math.ceil(2 * Math.max(1, sx, sy)) + 2;
}

/** The image rects to rewrite for display changes `rects` (non-empty ones only, clipped). */
export function rewriteRegions(rects: readonly Rect[], displayWidth: number, displayHeight: number, target: RenderTarget): Rect[] {
  const reach = filterReach(displayWidth, displayHeight, target);
  return rects
    .map((rect) => mapDamage(rect, displayWidth, displayHeight, target, reach))
    .filter((rect) => rect.width > 0 && rect.height > 0);
}
