import { loadNativeAddon, nativeAddonStatus } from '../../../codec/native-addon';
import { BitmapFlag } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import { decodeBitmap, minimumStride } from './bitmap';
import type { DecodedImage } from './decoded-image';
import { decodeLz4Block } from './lz4-block';

/**
 * SPICE_IMAGE_TYPE_LZ4 (spice-common canvas_get_lz4): top_down byte, bitmap format byte, then LZ4
 * blocks each behind a big-endian byte count, decompressed as one stream into packed rows of that
 * bitmap format.
 */
export function decodeSpiceLz4(data: Uint8Array, width: number, height: number, decode: Lz4Stream = defaultLz4Stream()): DecodedImage {
  if (data.length < 2) throw new SpiceProtocolError('LZ4: missing header');
  const topDown = data[0] !== 0;
  const format = data[1];
  const stride = minimumStride(format, width);
  const out = new Uint8Array(stride * height);
  const decoded = decode(data, 2, out);
  if (typeof decoded === 'string') throw new SpiceProtocolError(`LZ4: ${decoded}`);
  if (decoded !== out.length) throw new SpiceProtocolError(`LZ4: decoded ${decoded} bytes, the image needs ${out.length}`);
  return decodeBitmap({ format, flags: topDown ? BitmapFlag.TOP_DOWN : 0, width, height, stride, data: out });
}

/**
 * Decodes the blocks from data[start] into `out`: the bytes written, or why the data is corrupt
 * (without the "LZ4: " the caller puts in front).
 */
export type Lz4Stream = (data: Uint8Array, start: number, out: Uint8Array) => number | string;

/** The blocks one after the other in JavaScript (lz4-block.ts): the fallback without the addon. */
export const JAVASCRIPT_LZ4_STREAM: Lz4Stream = (data, start, out) => {
  let sp = start;
  let dp = 0;
  while (sp < data.length) {
    if (sp + 4 > data.length) return 'truncated block size';
    const n = ((data[sp] << 24) | (data[sp + 1] << 16) | (data[sp + 2] << 8) | data[sp + 3]) >>> 0;
    sp += 4;
    if (sp + n > data.length) return `block of ${n} bytes runs past the data`;
    const next = decodeLz4Block(data, sp, sp + n, out, dp);
    if (typeof next === 'string') return next;
    dp = next;
    sp += n;
  }
  return dp;
};

let chosen: Lz4Stream | undefined;

/**
 * The addon's decoder when it has one (native/src/lz4-decoder.cc: the same bytes and the same
 * refusals, several times faster), the JavaScript one otherwise.
 */
export function defaultLz4Stream(): Lz4Stream {
  if (!chosen) {
    const addon = nativeAddonStatus().available ? loadNativeAddon() : undefined;
    const native = addon?.decodeLz4?.bind(addon);
    chosen = native ?? JAVASCRIPT_LZ4_STREAM;
  }
  return chosen;
}
