import { convertRows } from '../../../codec/image-transform';
import { OPAQUE, type DecodedImage } from '../decoders/decoded-image';
import type { Point, SpiceRect } from '../display/display-messages';
import { ALPHA_FLAG_SRC_SURFACE_HAS_ALPHA } from '../wire/constants';
import type { CanvasSurface } from './canvas-surface';
import type { Area } from './clip';
import { ROP_COPY, rop3Function, type RopFunction } from './rop';

/**
 * The drawing operations of a SPICE canvas, on 32-bit surfaces, already clipped to `areas`.
 * Opaque surfaces get alpha 255 in every pixel written. Sources are sampled in destination
 * order; a source that is the destination itself is snapshotted first so overlaps read old pixels.
 */

/** What a draw reads: an image and the part of it mapped onto the draw's box. */
export interface ImageSource {
  image: DecodedImage;
  srcArea: SpiceRect;
  box: SpiceRect;
}

/**
 * A copy of part of an image (clamped to it); pixels outside are black, transparent if the image
 * has alpha and opaque otherwise (an image without alpha is opaque throughout, which lets draws
 * copy it as it is).
 */
function snapshot(image: DecodedImage, x: number, y: number, w: number, h: number): DecodedImage {
  const out: DecodedImage = {
    width: Math.max(w, 0),
    height: Math.max(h, 0),
    stride: Math.max(w, 0),
    pixels: scratchPixels(Math.max(w, 0) * Math.max(h, 0)),
    hasAlpha: image.hasAlpha,
  };
  if (!image.hasAlpha) out.pixels.fill(OPAQUE);
  const cx0 = Math.max(x, 0);
  const cx1 = Math.min(x + w, image.width);
  for (let row = Math.max(y, 0); row < Math.min(y + h, image.height); row++) {
    if (cx0 >= cx1) break;
    out.pixels.set(image.pixels.subarray(row * image.stride + cx0, row * image.stride + cx1), (row - y) * w + (cx0 - x));
  }
  return out;
}

/**
 * The snapshot's pixels: one buffer, grown as needed and reused, since a snapshot lives only for
 * the draw that takes it (draws are synchronous), and a fresh one per draw of a scrolling window
 * was most of the source's garbage.
 */
let scratch = new Uint32Array(0);
function scratchPixels(length: number): Uint32Array {
  if (scratch.length < length) scratch = new Uint32Array(Math.max(length, scratch.length * 2));
  return scratch.subarray(0, length);
}

/** Maps destination pixels to source pixels; nearest-neighbour when the sizes differ. */
class Sampler {
  private readonly pixels: Uint32Array;
  readonly stride: number;
  private readonly sx0: number;
  private readonly sy0: number;
  private readonly scaleX: number;
  private readonly scaleY: number;
  private readonly maxX: number;
  private readonly maxY: number;
  readonly alphaFill: number;
  readonly scaled: boolean;

  constructor(source: ImageSource, dest: CanvasSurface) {
    let image = source.image;
    let sx0 = source.srcArea.left;
    let sy0 = source.srcArea.top;
    const boxW = source.box.right - source.box.left;
    const boxH = source.box.bottom - source.box.top;
    const srcW = source.srcArea.right - source.srcArea.left;
    const srcH = source.srcArea.bottom - source.srcArea.top;
    if (image.pixels === dest.pixels) {
      // Reading the surface being drawn: snapshot just the source area.
      image = snapshot(image, sx0, sy0, srcW, srcH);
      sx0 = 0;
      sy0 = 0;
    }
    this.pixels = image.pixels;
    this.stride = image.stride;
    this.scaled = boxW !== srcW || boxH !== srcH;
    this.scaleX = boxW > 0 ? srcW / boxW : 1;
    this.scaleY = boxH > 0 ? srcH / boxH : 1;
    this.sx0 = sx0;
    this.sy0 = sy0;
    this.boxX = source.box.left;
    this.boxY = source.box.top;
    this.maxX = image.width - 1;
    this.maxY = image.height - 1;
    // An image without alpha is opaque wherever it lands; so is anything on an opaque surface.
    this.alphaFill = dest.opaque || !image.hasAlpha ? 0xff000000 : 0;
  }

  private readonly boxX: number;
  private readonly boxY: number;

  /** Source row offset for destination row y, or -1 outside the image. */
  row(y: number): number {
    const sy = this.sy0 + (this.scaled ? Math.floor((y - this.boxY) * this.scaleY) : y - this.boxY);
    return sy < 0 || sy > this.maxY ? -1 : sy * this.stride;
  }

  /** Source column for destination column x, or -1 outside the image. */
  col(x: number): number {
    const sx = this.sx0 + (this.scaled ? Math.floor((x - this.boxX) * this.scaleX) : x - this.boxX);
    return sx < 0 || sx > this.maxX ? -1 : sx;
  }

  get data(): Uint32Array {
    return this.pixels;
  }
}

/**
 * ROP_COPY at the source's own size (the common DRAW_COPY): row copies. Decoders leave images
 * without alpha opaque, so those copy as they are; an image with alpha landing on an opaque
 * surface has its alpha set to 255 on the way, one libyuv-class pass per area.
 */
function copyUnscaled(dest: CanvasSurface, areas: readonly Area[], sampler: Sampler, forceOpaque: boolean): void {
  const d = dest.pixels;
  const s = sampler.data;
  const W = dest.width;
  for (const a of areas) {
    // The parts of the area the source covers: a rectangle, since rows and columns map independently.
    let x0 = a.x0;
    let x1 = a.x1;
    while (x0 < x1 && sampler.col(x0) < 0) x0++;
    while (x1 > x0 && sampler.col(x1 - 1) < 0) x1--;
    let y0 = a.y0;
    let y1 = a.y1;
    while (y0 < y1 && sampler.row(y0) < 0) y0++;
    while (y1 > y0 && sampler.row(y1 - 1) < 0) y1--;
    if (x0 >= x1 || y0 >= y1) continue;
    const sx = sampler.col(x0);
    if (forceOpaque) {
      convertRows('bgrx32', s, (sampler.row(y0) + sx) * 4, sampler.stride * 4, d, (y0 * W + x0) * 4, W * 4, x1 - x0, y1 - y0);
      continue;
    }
    for (let y = y0; y < y1; y++) {
      const i = sampler.row(y) + sx;
      d.set(s.subarray(i, i + (x1 - x0)), y * W + x0);
    }
  }
}

/** DRAW_COPY / DRAW_BLEND / DRAW_OPAQUE's image part: source combined with destination by `rop`. */
export function blit(dest: CanvasSurface, areas: readonly Area[], source: ImageSource, rop: RopFunction): void {
  const sampler = new Sampler(source, dest);
  const fill = sampler.alphaFill;
  if (rop === ROP_COPY && !sampler.scaled) {
    copyUnscaled(dest, areas, sampler, fill !== 0 && source.image.hasAlpha);
    return;
  }
  const d = dest.pixels;
  const s = sampler.data;
  const W = dest.width;
  for (const a of areas) {
    for (let y = a.y0; y < a.y1; y++) {
      const srow = sampler.row(y);
      if (srow < 0) continue;
      const drow = y * W;
      for (let x = a.x0; x < a.x1; x++) {
        const sx = sampler.col(x);
        if (sx < 0) continue;
        const sp = s[srow + sx];
        const dp = d[drow + x];
        const colour = rop(sp, dp) & 0xffffff;
        const alpha = fill | (rop === ROP_COPY ? sp & 0xff000000 : dp & 0xff000000);
        d[drow + x] = colour | alpha;
      }
    }
  }
}

/** A brush resolved for drawing: a solid colour or a tiled pattern image. */
export type ResolvedBrush = { kind: 'solid'; color: number } | { kind: 'pattern'; image: DecodedImage; pos: Point };

/** 16-bit surfaces send brush colours as 0555 values. */
export function brushColor(dest: CanvasSurface, color: number): number {
  if (!dest.is16Bit) return color;
  const r = (color >> 10) & 31;
  const g = (color >> 5) & 31;
  const b = color & 31;
  return (((r << 3) | (r >> 2)) << 16) | (((g << 3) | (g >> 2)) << 8) | ((b << 3) | (b >> 2));
}

function brushPixel(brush: ResolvedBrush, x: number, y: number): number {
  if (brush.kind === 'solid') return brush.color;
  const { image, pos } = brush;
  const px = (((x - pos.x) % image.width) + image.width) % image.width;
  const py = (((y - pos.y) % image.height) + image.height) % image.height;
  return image.pixels[py * image.stride + px];
}

/** DRAW_FILL: the brush combined with the destination by `rop`. */
export function fill(dest: CanvasSurface, areas: readonly Area[], brush: ResolvedBrush, rop: RopFunction): void {
  const d = dest.pixels;
  const W = dest.width;
  const alphaFill = dest.opaque ? 0xff000000 : 0;
  for (const a of areas) {
    if (brush.kind === 'solid' && rop === ROP_COPY) {
      const value = (brush.color | 0xff000000) >>> 0;
      for (let y = a.y0; y < a.y1; y++) d.fill(value, y * W + a.x0, y * W + a.x1);
      continue;
    }
    for (let y = a.y0; y < a.y1; y++) {
      const row = y * W;
      for (let x = a.x0; x < a.x1; x++) {
        const dp = d[row + x];
        d[row + x] = (rop(brushPixel(brush, x, y), dp) & 0xffffff) | alphaFill | (dp & 0xff000000);
      }
    }
  }
}

/** DRAW_ROP3: brush, source and destination through a ternary raster operation. */
export function rop3(
  dest: CanvasSurface,
  areas: readonly Area[],
  source: ImageSource | undefined,
  brush: ResolvedBrush | undefined,
  code: number,
): void {
  const op = rop3Function(code);
  const sampler = source ? new Sampler(source, dest) : undefined;
  const d = dest.pixels;
  const W = dest.width;
  const alphaFill = dest.opaque ? 0xff000000 : 0;
  for (const a of areas) {
    for (let y = a.y0; y < a.y1; y++) {
      const srow = sampler ? sampler.row(y) : 0;
      const row = y * W;
      for (let x = a.x0; x < a.x1; x++) {
        let s = 0;
        if (sampler) {
          const sx = sampler.col(x);
          if (srow >= 0 && sx >= 0) s = sampler.data[srow + sx];
        }
        const p = brush ? brushPixel(brush, x, y) : 0;
        const dp = d[row + x];
        d[row + x] = (op(p, s, dp) & 0xffffff) | alphaFill | (dp & 0xff000000);
      }
    }
  }
}

/** DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS. */
export function constantOp(dest: CanvasSurface, areas: readonly Area[], kind: 'black' | 'white' | 'invert'): void {
  const d = dest.pixels;
  const W = dest.width;
  const alphaFill = dest.opaque ? 0xff000000 : 0;
  for (const a of areas) {
    for (let y = a.y0; y < a.y1; y++) {
      const row = y * W;
      if (kind === 'invert') for (let x = a.x0; x < a.x1; x++) d[row + x] = (d[row + x] ^ 0x00ffffff) | alphaFill;
      else d.fill(kind === 'black' ? 0xff000000 : 0xffffffff, row + a.x0, row + a.x1);
    }
  }
}

/** DRAW_TRANSPARENT: copies source pixels except those of the transparent colour. */
export function transparent(dest: CanvasSurface, areas: readonly Area[], source: ImageSource, srcColor: number): void {
  const sampler = new Sampler(source, dest);
  const d = dest.pixels;
  const W = dest.width;
  const key = srcColor & 0xffffff;
  for (const a of areas) {
    for (let y = a.y0; y < a.y1; y++) {
      const srow = sampler.row(y);
      if (srow < 0) continue;
      for (let x = a.x0; x < a.x1; x++) {
        const sx = sampler.col(x);
        if (sx < 0) continue;
        const sp = sampler.data[srow + sx];
        if ((sp & 0xffffff) !== key) d[y * W + x] = sp | 0xff000000;
      }
    }
  }
}

/** pixman's rounding multiply of two 8-bit values (a * b / 255). */
function mul8(a: number, b: number): number {
  const t = a * b + 0x80;
  return ((t >> 8) + t) >> 8;
}

/**
 * DRAW_ALPHA_BLEND: source OVER destination with a global alpha, as pixman composites it (source
 * colours premultiplied; a source without SRC_SURFACE_HAS_ALPHA counts as opaque).
 */
export function alphaBlend(dest: CanvasSurface, areas: readonly Area[], source: ImageSource, alpha: number, alphaFlags: number): void {
  const sampler = new Sampler(source, dest);
  const srcHasAlpha = (alphaFlags & ALPHA_FLAG_SRC_SURFACE_HAS_ALPHA) !== 0 && source.image.hasAlpha;
  const d = dest.pixels;
  const W = dest.width;
  for (const a of areas) {
    for (let y = a.y0; y < a.y1; y++) {
      const srow = sampler.row(y);
      if (srow < 0) continue;
      for (let x = a.x0; x < a.x1; x++) {
        const sx = sampler.col(x);
        if (sx < 0) continue;
        const sp = sampler.data[srow + sx];
        const dp = d[y * W + x];
        const sa = mul8(srcHasAlpha ? sp >>> 24 : 255, alpha);
        const inv = 255 - sa;
        const r = Math.min(255, mul8((sp >> 16) & 255, alpha) + mul8((dp >> 16) & 255, inv));
        const g = Math.min(255, mul8((sp >> 8) & 255, alpha) + mul8((dp >> 8) & 255, inv));
        const b = Math.min(255, mul8(sp & 255, alpha) + mul8(dp & 255, inv));
        const da = dest.opaque ? 255 : Math.min(255, sa + mul8(dp >>> 24, inv));
        d[y * W + x] = ((da << 24) | (r << 16) | (g << 8) | b) >>> 0;
      }
    }
  }
}

/** COPY_BITS: moves a part of a surface within itself (scrolling); overlaps read old pixels. */
export function copyBits(dest: CanvasSurface, areas: readonly Area[], box: SpiceRect, srcPos: Point): void {
  const dx = srcPos.x - box.left;
  const dy = srcPos.y - box.top;
  const inside = areas.every((a) => a.x0 + dx >= 0 && a.y0 + dy >= 0 && a.x1 + dx <= dest.width && a.y1 + dy <= dest.height);
  if (inside) {
    moveWithin(dest, areas, dx, dy);
    return;
  }
  // A source partly off the surface reads black there: the general path.
  const source: ImageSource = {
    image: dest.asImage(),
    box,
    srcArea: { left: srcPos.x, top: srcPos.y, right: srcPos.x + (box.right - box.left), bottom: srcPos.y + (box.bottom - box.top) },
  };
  blit(dest, areas, source, ROP_COPY);
}

/**
 * Moves `areas` of the surface from (x + dx, y + dy), all of them inside it, as memmove does: rows
 * are visited so that none is written before it has been read (from the top down when the source
 * lies below, as when scrolling up; from the bottom up when it lies above), and the segments of
 * one row likewise, so that no copy of the source area is needed.
 */
function moveWithin(dest: CanvasSurface, areas: readonly Area[], dx: number, dy: number): void {
  const d = dest.pixels;
  const W = dest.width;
  let top = Infinity;
  let bottom = -Infinity;
  for (const a of areas) {
    top = Math.min(top, a.y0);
    bottom = Math.max(bottom, a.y1);
  }
  // Within a row, segments read to the right are copied left to right, and the other way round.
  const ordered = areas.length > 1 ? [...areas].sort((a, b) => (dx >= 0 ? a.x0 - b.x0 : b.x0 - a.x0)) : areas;
  const downward = dy >= 0;
  for (let i = 0; i < bottom - top; i++) {
    const y = downward ? top + i : bottom - 1 - i;
    const from = (y + dy) * W + dx;
    for (const a of ordered) {
      if (y < a.y0 || y >= a.y1 || a.x0 >= a.x1) continue;
      d.copyWithin(y * W + a.x0, from + a.x0, from + a.x1);
    }
  }
}
