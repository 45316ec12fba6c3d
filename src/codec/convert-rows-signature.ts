/**
 * The pixel layouts convertRows reads and its one signature, shared by the libyuv entry point in
 * the native addon, its JavaScript twin and the checked wrapper in image-transform.ts.
 */

/**
 * Source layouts convertRows widens into 32-bit pixels (bytes B,G,R,A, as SPICE surfaces and
 * decoded images hold them), each made opaque unless said otherwise:
 * - 'bgr24': 3 bytes B,G,R (SPICE 24-bit bitmaps); 'rgb24': 3 bytes R,G,B (decoded JPEG).
 * - 'rgb555': 16-bit little-endian x555, each channel widened v << 3 | v >> 2 (SPICE 16-bit).
 * - 'gray8': one grey byte.
 * - 'bgrx32': 4 bytes whose alpha byte is ignored.
 * - 'bgrx32-5bit': 4 bytes whose B,G,R hold 5-bit values, widened as 'rgb555' does.
 * - 'gray-in-alpha32': 4 bytes whose alpha byte holds a grey level.
 * - 'alpha32': 4 bytes, of which only the alpha byte is copied into dst (dst's colour stays).
 */
export type RowsKind = 'bgr24' | 'rgb24' | 'rgb555' | 'gray8' | 'bgrx32' | 'bgrx32-5bit' | 'gray-in-alpha32' | 'alpha32';

/** The one signature of convertRows, its JavaScript twin and the addon's entry point. */
export type ConvertRows = (
  kind: RowsKind,
  src: ArrayBufferView,
  srcOffset: number,
  srcStride: number,
  dst: ArrayBufferView,
  dstOffset: number,
  dstStride: number,
  width: number,
  height: number,
) => void;
