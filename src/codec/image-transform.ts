/**
 * Per-client rendering of a display frame with libyuv (through the native addon): scale into the
 * client's image size, rotate clockwise by a quarter turn multiple, and convert between RGBA8 and
 * BGRA8, all on a libuv worker thread. Also convertRows, the small synchronous conversions image
 * decoders need (24-, 16- and 8-bit pixels into 32-bit ones, alpha forced or copied).
 *
 * Scaling averages 2x2 blocks while shrinking by 2x or more and filters bilinearly for the rest,
 * which keeps text and thin lines from aliasing without the cost of a wide kernel.
 */
import { FieldError } from '../core/field-error';
import { loadNativeAddon, nativeAddonStatus } from './native-addon';
import { BYTES_PER_PIXEL, PIXEL_FORMATS, type PixelFormat } from '../core/pixel-format';
import type { ConvertRows, RowsKind } from './convert-rows-signature';
import { ROTATIONS, SCALE_MODES, type Rotation, type ScaleMode } from '../core/orientation';
import { batchTransform } from './transform-batch';
import { requireInteger, requireOneOf, requirePackedImage } from './codec-arguments';

/** Largest side either image may have; libyuv's scaler stops at 32768 and we stay well inside int offsets. */
const MAX_SIDE = 16384;

/** True when the native addon is there; otherwise use the sharp-based path. */
export function isImageTransformAvailable(): boolean {
  return nativeAddonStatus().available;
}

/**
 * Returns a packed dstWidth x dstHeight image (dstWidth * dstHeight * 4 bytes) in dstFormat.
 * dstWidth and dstHeight are the size after rotation. Same size, no rotation and the same
 * format is a plain copy. Rejects with a TypeError naming the field for bad arguments. `src`
 * must not be modified until the promise settles.
 *
 * `into`, when given, receives the image (its first dstWidth * dstHeight * 4 bytes; the promise
 * resolves to that view of it). A caller rendering frame after frame should pass buffers it
 * reuses: a fresh 1080p buffer costs a page fault per 4 KiB on first write, several
 * milliseconds, more than the transform. It must not overlap `src`, and must not be read until
 * the promise settles.
 *
 * `regions` (with `into`): only these rects of the image are written, each byte for byte as
 * the whole transform writes it, from the source pixels the scaling filter reaches there; the
 * rest of `into` is left as it was. For a buffer that holds an earlier frame's image.
 *
 * The transforms asked for in one turn of the event loop run in one batch (transform-batch.ts):
 * the server asks for every client's copy of a frame at once.
 */
export async function transform(
  src: Buffer,
  srcWidth: number,
  srcHeight: number,
  srcStride: number,
  srcFormat: PixelFormat,
  dstWidth: number,
  dstHeight: number,
  rotation: Rotation,
  dstFormat: PixelFormat,
  fit: ScaleMode,
  into?: Buffer,
  regions?: readonly { x: number; y: number; width: number; height: number }[],
): Promise<Buffer> {
  requireInteger(srcWidth, 'srcWidth', 1, MAX_SIDE);
  requireInteger(srcHeight, 'srcHeight', 1, MAX_SIDE);
  requirePackedImage(src, 'src', srcWidth, srcHeight, srcStride, 'srcStride');
  requireOneOf(srcFormat, 'srcFormat', PIXEL_FORMATS);
  requireInteger(dstWidth, 'dstWidth', 1, MAX_SIDE);
  requireInteger(dstHeight, 'dstHeight', 1, MAX_SIDE);
  requireOneOf(rotation, 'rotation', ROTATIONS);
  requireOneOf(dstFormat, 'dstFormat', PIXEL_FORMATS);
  requireOneOf(fit, 'fit', SCALE_MODES);
  const size = dstWidth * dstHeight * BYTES_PER_PIXEL;
  if (into !== undefined) requireDestination(into, size, src);
  const quads = regions === undefined ? undefined : regionQuads(regions, dstWidth, dstHeight, into);
  const result = await batchTransform([
    src,
    srcWidth,
    srcHeight,
    srcStride,
    srcFormat,
    dstWidth,
    dstHeight,
    rotation,
    dstFormat,
    fit === 'fit',
    into,
    quads,
  ]);
  return result.length === size ? result : result.subarray(0, size);
}

function regionQuads(
  regions: readonly { x: number; y: number; width: number; height: number }[],
  width: number,
  height: number,
  into: Buffer | undefined,
): Int32Array {
  if (into === undefined) throw new FieldError('regions', 'need into: the image they update.');
  if (regions.length === 0) throw new FieldError('regions', 'when given, must hold at least one rect.');
  const quads = new Int32Array(regions.length * 4);
  regions.forEach((rect, i) => {
    const inside =
      Number.isInteger(rect.x) &&
      Number.isInteger(rect.y) &&
      Number.isInteger(rect.width) &&
      Number.isInteger(rect.height) &&
      rect.x >= 0 &&
      rect.y >= 0 &&
      rect.width >= 1 &&
      rect.height >= 1 &&
      rect.x + rect.width <= width &&
      rect.y + rect.height <= height;
    if (!inside) throw new FieldError(`regions[${i}]`, `must be a rect inside the ${width}x${height} image, got ${JSON.stringify(rect)}.`);
    quads.set([rect.x, rect.y, rect.width, rect.height], i * 4);
  });
  return quads;
}

function requireDestination(into: unknown, size: number, src: Buffer): void {
  if (!Buffer.isBuffer(into)) throw new FieldError('into', 'when given, must be a Buffer.');
  if (into.length < size) {
    throw new FieldError('into', `must hold at least dstWidth * dstHeight * 4 = ${size} bytes; got ${into.length}.`);
  }
  const overlaps = into.buffer === src.buffer && into.byteOffset < src.byteOffset + src.length && src.byteOffset < into.byteOffset + size;
  if (overlaps) throw new FieldError('into', 'must not overlap src.');
}

/** RGBA8 <-> BGRA8 (or a packed copy when the formats match): a transform that only reorders bytes. */
export function convertPixelFormat(
  src: Buffer,
  width: number,
  height: number,
  stride: number,
  srcFormat: PixelFormat,
  dstFormat: PixelFormat,
  into?: Buffer,
): Promise<Buffer> {
  return transform(src, width, height, stride, srcFormat, width, height, 0, dstFormat, 'stretch', into);
}

export type { ConvertRows, RowsKind };

const ROWS_KINDS: readonly RowsKind[] = ['bgr24', 'rgb24', 'rgb555', 'gray8', 'bgrx32', 'bgrx32-5bit', 'gray-in-alpha32', 'alpha32'];
const SOURCE_BYTES: Record<RowsKind, number> = {
  bgr24: 3,
  rgb24: 3,
  rgb555: 2,
  gray8: 1,
  bgrx32: 4,
  'bgrx32-5bit': 4,
  'gray-in-alpha32': 4,
  alpha32: 4,
};

function requireRows(view: unknown, field: string, offset: unknown, stride: unknown, rowBytes: number, height: number): void {
  if (!ArrayBuffer.isView(view) || view instanceof DataView) throw new FieldError(field, `must be a typed array.`);
  requireInteger(offset, `${field}Offset`, 0, 0x7fffffff);
  requireInteger(stride, `${field}Stride`, rowBytes, 0x7fffffff);
  const needed = (offset as number) + (stride as number) * (height - 1) + rowBytes;
  if (view.byteLength < needed) {
    throw new FieldError(
      field,
      `must hold at least ${needed} bytes for ${height} rows of stride ${stride as number} from offset ${offset as number}; got ${view.byteLength}.`,
    );
  }
}

/**
 * Converts a rectangle of `width` x `height` pixels of `kind` from `src` into 32-bit pixels in
 * `dst` (offsets and strides in bytes; any typed arrays). Synchronous: these passes are
 * memcpy-class work on one decoded image, less than a hop to the thread pool costs. Uses libyuv
 * through the native addon, or the same conversion in JavaScript when the addon is absent
 * (byte-identical; see convertRowsPortable). For the 32-bit kinds `dst` may be `src` at the same
 * offset and stride (in place); any other overlap is refused. Bad arguments throw a TypeError
 * naming the field.
 */
export const convertRows: ConvertRows = (kind, src, srcOffset, srcStride, dst, dstOffset, dstStride, width, height) => {
  requireOneOf(kind, 'kind', ROWS_KINDS);
  requireInteger(width, 'width', 1, MAX_SIDE);
  requireInteger(height, 'height', 1, MAX_SIDE);
  const srcRow = width * SOURCE_BYTES[kind];
  requireRows(src, 'src', srcOffset, srcStride, srcRow, height);
  requireRows(dst, 'dst', dstOffset, dstStride, width * 4, height);
  const srcStart = src.byteOffset + srcOffset;
  const dstStart = dst.byteOffset + dstOffset;
  const inPlace = src.buffer === dst.buffer && srcStart === dstStart && srcStride === dstStride && SOURCE_BYTES[kind] === 4;
  const overlaps =
    src.buffer === dst.buffer &&
    srcStart < dstStart + dstStride * (height - 1) + width * 4 &&
    dstStart < srcStart + srcStride * (height - 1) + srcRow;
  if (overlaps && !inPlace) throw new FieldError('dst', 'must not overlap src, except in place for the 32-bit kinds.');
  if (nativeAddonStatus().available) {
    loadNativeAddon().convertRows(kind, src, srcOffset, srcStride, dst, dstOffset, dstStride, width, height);
  } else {
    convertRowsPortable(kind, src, srcOffset, srcStride, dst, dstOffset, dstStride, width, height);
  }
};

const OPAQUE = 0xff000000;

/** 5 bits widened to 8 as SPICE and libyuv do (v << 3 | v >> 2). */
function widen5(v: number): number {
  return (v << 3) | (v >> 2);
}

/**
 * convertRows in plain JavaScript, for machines without the native addon; exported so the tests
 * can hold it to the addon's bytes. Arguments are not checked here: convertRows does that.
 */
export const convertRowsPortable: ConvertRows = (kind, src, srcOffset, srcStride, dst, dstOffset, dstStride, width, height) => {
  const s = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const d = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let y = 0; y < height; y++) {
    let i = srcOffset + y * srcStride;
    let o = dstOffset + y * dstStride;
    for (let x = 0; x < width; x++, o += 4) {
      let pixel: number;
      switch (kind) {
        case 'bgr24':
          pixel = OPAQUE | (s[i + 2] << 16) | (s[i + 1] << 8) | s[i];
          i += 3;
          break;
        case 'rgb24':
          pixel = OPAQUE | (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];
          i += 3;
          break;
        case 'rgb555': {
          const v = s[i] | (s[i + 1] << 8);
          pixel = OPAQUE | (widen5((v >> 10) & 31) << 16) | (widen5((v >> 5) & 31) << 8) | widen5(v & 31);
          i += 2;
          break;
        }
        case 'gray8':
          pixel = OPAQUE | (s[i] * 0x010101);
          i += 1;
          break;
        case 'bgrx32':
          pixel = OPAQUE | (s[i + 2] << 16) | (s[i + 1] << 8) | s[i];
          i += 4;
          break;
        case 'bgrx32-5bit':
          pixel = OPAQUE | (widen5(s[i + 2] & 31) << 16) | (widen5(s[i + 1] & 31) << 8) | widen5(s[i] & 31);
          i += 4;
          break;
        case 'gray-in-alpha32':
          pixel = OPAQUE | (s[i + 3] * 0x010101);
          i += 4;
          break;
        case 'alpha32':
          pixel = ((d.getUint32(o, true) & 0x00ffffff) | (s[i + 3] << 24)) >>> 0;
          i += 4;
          break;
      }
      d.setUint32(o, pixel >>> 0, true);
    }
  }
};
