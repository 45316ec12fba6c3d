/**
 * Draws a pointer image over a picture: straight-alpha RGBA rows blended onto opaque 4-byte
 * rows, each colour byte becoming (s * a + d * (255 - a) + 127) / 255 rounded down (that is,
 * the straight-alpha "over" rounded to nearest), the picture's alpha kept. The native addon does
 * it when built; the JavaScript twin below, byte-identical, only where it is not.
 */
import { FieldError } from '../core/field-error';
import type { BlendPointer } from '../codec/native-addon';
import { loadNativeAddon, nativeAddonStatus } from '../codec/native-addon';
import { requireInteger } from '../codec/codec-arguments';

const MAX_SIDE = 16384;

function requireRows(view: unknown, field: string, offset: unknown, stride: unknown, width: number, height: number): void {
  if (!ArrayBuffer.isView(view) || view instanceof DataView) throw new FieldError(field, `must be a typed array.`);
  requireInteger(offset, `${field}Offset`, 0, 0x7fffffff);
  requireInteger(stride, `${field}Stride`, width * 4, 0x7fffffff);
  const needed = (offset as number) + (stride as number) * (height - 1) + width * 4;
  if (view.byteLength < needed) {
    throw new FieldError(
      field,
      `must hold at least ${needed} bytes for ${height} rows of stride ${stride as number} from offset ${offset as number}; got ${view.byteLength}.`,
    );
  }
}

/**
 * Blends `width` x `height` pointer pixels (bytes R,G,B,A, straight alpha) from `src` over
 * `dst` (offsets and strides in bytes). `swapRedBlue`: dst holds B,G,R,A. Synchronous: a pointer
 * is a few thousand pixels. Bad arguments, and overlapping src and dst, throw a TypeError
 * naming the field.
 */
export const blendPointer: BlendPointer = (dst, dstOffset, dstStride, src, srcOffset, srcStride, width, height, swapRedBlue) => {
  requireInteger(width, 'width', 1, MAX_SIDE);
  requireInteger(height, 'height', 1, MAX_SIDE);
  requireRows(dst, 'dst', dstOffset, dstStride, width, height);
  requireRows(src, 'src', srcOffset, srcStride, width, height);
  if (typeof swapRedBlue !== 'boolean') throw new FieldError('swapRedBlue', 'must be a boolean.');
  const srcStart = src.byteOffset + srcOffset;
  const dstStart = dst.byteOffset + dstOffset;
  const overlaps =
    src.buffer === dst.buffer &&
    srcStart < dstStart + dstStride * (height - 1) + width * 4 &&
    dstStart < srcStart + srcStride * (height - 1) + width * 4;
  if (overlaps) throw new FieldError('dst', 'must not overlap src.');
  if (nativeAddonStatus().available) {
    loadNativeAddon().blendPointer(dst, dstOffset, dstStride, src, srcOffset, srcStride, width, height, swapRedBlue);
  } else {
    blendPointerPortable(dst, dstOffset, dstStride, src, srcOffset, srcStride, width, height, swapRedBlue);
  }
};

/**
 * blendPointer in plain JavaScript, for machines without the native addon; exported so the tests
 * can hold it to the addon's bytes. Arguments are not checked here: blendPointer does that.
 */
export const blendPointerPortable: BlendPointer = (dst, dstOffset, dstStride, src, srcOffset, srcStride, width, height, swapRedBlue) => {
  const s = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const d = new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength);
  const red = swapRedBlue ? 2 : 0;
  const blue = swapRedBlue ? 0 : 2;
  for (let y = 0; y < height; y++) {
    let i = srcOffset + y * srcStride;
    let o = dstOffset + y * dstStride;
    for (let x = 0; x < width; x++, i += 4, o += 4) {
      const a = s[i + 3];
      if (a === 0) continue;
      const keep = 255 - a;
      d[o + red] = Math.floor((s[i] * a + d[o + red] * keep + 127) / 255);
      d[o + 1] = Math.floor((s[i + 1] * a + d[o + 1] * keep + 127) / 255);
      d[o + blue] = Math.floor((s[i + 2] * a + d[o + blue] * keep + 127) / 255);
    }
  }
};
