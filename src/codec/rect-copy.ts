/**
 * Copies rectangles between two images of the same geometry, 4 bytes a pixel, each rectangle
 * landing where it was, optionally swapping R and B (RGBA8 <-> BGRA8): what updating a picture
 * that already holds an earlier frame takes. libyuv through the native addon, synchronously.
 */
import type { Rect } from '../core/rect';
import { loadNativeAddon } from './native-addon';

type NativeCopyRects = (
  src: Uint8Array,
  srcStride: number,
  dst: Uint8Array,
  dstStride: number,
  swapRedBlue: boolean,
  rects: Int32Array,
) => void;

/**
 * Copies `rects` (non-empty, inside both images) from `src` to `dst`. A rectangle outside
 * either image, or overlapping buffers, throw a TypeError before anything is copied.
 */
export function copyRects(
  src: Uint8Array,
  srcStride: number,
  dst: Uint8Array,
  dstStride: number,
  swapRedBlue: boolean,
  rects: readonly Rect[],
): void {
  if (rects.length === 0) return;
  const quads = new Int32Array(rects.length * 4);
  rects.forEach((rect, i) => quads.set([rect.x, rect.y, rect.width, rect.height], i * 4));
  const addon = loadNativeAddon() as unknown as { copyRects: NativeCopyRects };
  addon.copyRects(src, srcStride, dst, dstStride, swapRedBlue, quads);
}
