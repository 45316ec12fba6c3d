import { SpiceProtocolError } from '../wire/errors';

/**
 * A decoded image: top-down rows of 32-bit pixels as the surfaces hold them (0xAARRGGBB, i.e.
 * bytes B,G,R,A in memory). `stride` is in pixels, so a surface can be used as an image without
 * copying it. The alpha byte is meaningful only when `hasAlpha` is set.
 */
export interface DecodedImage {
  width: number;
  height: number;
  stride: number;
  pixels: Uint32Array;
  hasAlpha: boolean;
  /**
   * Set when `pixels` is a view of the decoder's reused buffer: valid for the draw being applied
   * (a message resolves at most three images and applies them before the next message's decodes
   * start). Whoever keeps such an image, as the image cache does, keeps a copy.
   */
  transient?: boolean;
}

export const OPAQUE = 0xff000000;

/** Makes the image a decoder writes into: a fresh one (newImage), or a reused one (ImagePool). */
export type ImageAllocator = (width: number, height: number, hasAlpha: boolean) => DecodedImage;

/** A fresh, packed image. */
export function newImage(width: number, height: number, hasAlpha: boolean): DecodedImage {
  return { width, height, stride: width, pixels: new Uint32Array(width * height), hasAlpha };
}

/** Reverses row order in place (bottom-up encodings become top-down). */
export function flipRows(image: DecodedImage): void {
  const { pixels, stride, height } = image;
  const tmp = new Uint32Array(stride);
  for (let top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
    const a = top * stride;
    const b = bottom * stride;
    tmp.set(pixels.subarray(a, a + stride));
    pixels.copyWithin(a, b, b + stride);
    pixels.set(tmp, b);
  }
}

/** Palette entries are 0x00RRGGBB; indexed pixels are opaque. */
export function paletteColor(entries: Uint32Array, index: number): number {
  return index < entries.length ? (entries[index] | OPAQUE) >>> 0 : OPAQUE;
}

/** 0555 with the standard bit replication (x << 3 | x >> 2), as the reference canvas expands it. */
export function rgb555ToPixel(v: number): number {
  const r = (v >> 10) & 31;
  const g = (v >> 5) & 31;
  const b = v & 31;
  return (OPAQUE | (((r << 3) | (r >> 2)) << 16) | (((g << 3) | (g >> 2)) << 8) | ((b << 3) | (b >> 2))) >>> 0;
}

/** No side of an image may exceed a surface's (16384, see CanvasSurface); the pixel conversions stop there too. */
const MAX_IMAGE_SIDE = 16384;

export function checkDimensions(width: number, height: number, what: string, expected?: { width: number; height: number }): void {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width <= 0 ||
    height <= 0 ||
    width > MAX_IMAGE_SIDE ||
    height > MAX_IMAGE_SIDE ||
    width * height > 64 * 1024 * 1024
  ) {
    throw new SpiceProtocolError(`${what}: implausible size ${width}x${height}`);
  }
  if (expected && (expected.width !== width || expected.height !== height)) {
    throw new SpiceProtocolError(
      `${what}: encoded size ${width}x${height} differs from the descriptor's ${expected.width}x${expected.height}`,
    );
  }
}
