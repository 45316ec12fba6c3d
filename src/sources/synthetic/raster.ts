/**
 * Packed RGBA images and the two operations the synthetic desktop draws with: copying a
 * rectangle and filling one. Both work a row at a time with Buffer.copy / Buffer.fill (native
 * memcpy/memset), never pixel by pixel.
 */
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
  const rowBytes = dst.width * 4;
  for (let row = 0; row < dst.height; row++) {
    const from = ((sy + row) * source.width + sx) * 4;
    source.pixels.copy(target.pixels, ((dst.y + row) * target.width + dst.x) * 4, from, from + rowBytes);
  }
  return dst;
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
