/**
 * Per-client rendering of a display frame with libyuv (through the native addon): scale into the
 * client's image size, rotate clockwise by a quarter turn multiple, and convert between RGBA8 and
 * BGRA8, all on a libuv worker thread.
 *
 * Scaling averages 2x2 blocks while shrinking by 2x or more and filters bilinearly for the rest,
 * which keeps text and thin lines from aliasing without the cost of a wide kernel.
 */
import { loadNativeAddon, nativeAddonStatus } from './native-addon';
import { BYTES_PER_PIXEL, PIXEL_FORMATS, type PixelFormat } from './pixel-format';
import { requireInteger, requireOneOf, requirePackedImage } from './codec-arguments';

/** Clockwise rotation in degrees. */
export type Rotation = 0 | 90 | 180 | 270;

/**
 * 'fit': scale uniformly so the rotated image fits inside the target, centred, the bars opaque
 * black (0, 0, 0, 255). 'stretch': scale each side to fill the target exactly.
 */
export type FitMode = 'fit' | 'stretch';

const ROTATIONS: readonly Rotation[] = [0, 90, 180, 270];
const FIT_MODES: readonly FitMode[] = ['fit', 'stretch'];
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
  fit: FitMode,
  into?: Buffer,
): Promise<Buffer> {
  requireInteger(srcWidth, 'srcWidth', 1, MAX_SIDE);
  requireInteger(srcHeight, 'srcHeight', 1, MAX_SIDE);
  requirePackedImage(src, 'src', srcWidth, srcHeight, srcStride, 'srcStride');
  requireOneOf(srcFormat, 'srcFormat', PIXEL_FORMATS);
  requireInteger(dstWidth, 'dstWidth', 1, MAX_SIDE);
  requireInteger(dstHeight, 'dstHeight', 1, MAX_SIDE);
  requireOneOf(rotation, 'rotation', ROTATIONS);
  requireOneOf(dstFormat, 'dstFormat', PIXEL_FORMATS);
  requireOneOf(fit, 'fit', FIT_MODES);
  const size = dstWidth * dstHeight * BYTES_PER_PIXEL;
  if (into !== undefined) requireDestination(into, size, src);
  const result = await loadNativeAddon().transform(
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
  );
  return result.length === size ? result : result.subarray(0, size);
}

function requireDestination(into: unknown, size: number, src: Buffer): void {
  if (!Buffer.isBuffer(into)) throw new TypeError('into, when given, must be a Buffer.');
  if (into.length < size) {
    throw new TypeError(`into must hold at least dstWidth * dstHeight * 4 = ${size} bytes; got ${into.length}.`);
  }
  const overlaps =
    into.buffer === src.buffer &&
    into.byteOffset < src.byteOffset + src.length &&
    src.byteOffset < into.byteOffset + size;
  if (overlaps) throw new TypeError('into must not overlap src.');
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
