/**
 * Packed RGBA images and the two operations the synthetic desktop draws with: copying a
 * rectangle and filling one. Both work a row at a time with Buffer.copy / Buffer.fill (native
 * memcpy/memset), never pixel by pixel. A copy between two images goes through the native
 * addon's copyRects when it is built: one call for the whole rectangle instead of a Buffer.copy
 * per row, each of which makes a typed-array view for the garbage collector, which at 1080p is
 * thousands a step (the busy desktop redraws the whole screen every step).
 */
import { nativeAddonStatus } from '../../codec/native-addon';
import { copyRects } from '../../codec/rect-copy';
import { clipToBounds, type Rect } from '../../core/rect';

export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes, R,G,B,A. */
  readonly pixels: Buffer;
}

export type Rgba = readonly [number, number, number, number];

/**
 * Copies `area` of `source` to (x, y) in `target`, clipped to both images. Returns the rect of
 * `target` that was written (possibly empty).
 */
export function copyRect(source: RasterImage, area: Rect, target: RasterImage, x: number, y: number): Rect {
  // Clip the source area, then the destination, keeping the two in step.
  const src = clipToBounds(area, source.width, source.height);
  const dst = clipToBounds(
    { x: x + (src.x - area.x), y: y + (src.y - area.y), width: src.width, height: src.height },
    target.width,
    target.height,
  );
  const sx = src.x + (dst.x - (x + (src.x - area.x)));
  const sy = src.y + (dst.y - (y + (src.y - area.y)));
  if (dst.width <= 0 || dst.height <= 0) return dst;
  const from = (sy * source.width + sx) * 4;
  const to = (dst.y * target.width + dst.x) * 4;
  // Within one image (the terminal's scroll) rows may overlap, which copyRects refuses.
  if (source.pixels.buffer !== target.pixels.buffer && nativeCopies()) {
    // Views starting at the two corners, so that one rect at (0, 0) says where both are.
    copyRects(source.pixels.subarray(from), source.width * 4, target.pixels.subarray(to), target.width * 4, false, [
      { x: 0, y: 0, width: dst.width, height: dst.height },
    ]);
    return dst;
  }
  const rowBytes = dst.width * 4;
  // Bottom up when the copy moves down within one image, so that no row is overwritten before
  // it is read (a row's own overlap Buffer.copy handles).
  const upward = to <= from || source.pixels.buffer !== target.pixels.buffer;
  for (let i = 0; i < dst.height; i++) {
    const row = upward ? i : dst.height - 1 - i;
    const rowFrom = from + row * source.width * 4;
    source.pixels.copy(target.pixels, to + row * target.width * 4, rowFrom, rowFrom + rowBytes);
  }
  return dst;
}

let addonThere: boolean | undefined;

function nativeCopies(): boolean {
  addonThere ??= nativeAddonStatus().available;
  return addonThere;
}

/** Fills `area` of `target` (clipped) with one colour. Returns the rect written. */
export function fillRect(target: RasterImage, area: Rect, color: Rgba): Rect {
  const dst = clipToBounds(area, target.width, target.height);
  const pattern = Buffer.from(color);
  for (let row = 0; row < dst.height; row++) {
    const start = ((dst.y + row) * target.width + dst.x) * 4;
    target.pixels.fill(pattern, start, start + dst.width * 4);
  }
  return dst;
}
