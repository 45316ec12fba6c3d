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
export function decodeSpiceLz4(data: Uint8Array, width: number, height: number): DecodedImage {
  if (data.length < 2) throw new SpiceProtocolError('LZ4: missing header');
  const topDown = data[0] !== 0;
  const format = data[1];
  const stride = minimumStride(format, width);
  const out = new Uint8Array(stride * height);
  let sp = 2;
  let dp = 0;
  while (sp < data.length) {
    if (sp + 4 > data.length) throw new SpiceProtocolError('LZ4: truncated block size');
    const n = ((data[sp] << 24) | (data[sp + 1] << 16) | (data[sp + 2] << 8) | data[sp + 3]) >>> 0;
    sp += 4;
    if (sp + n > data.length) throw new SpiceProtocolError(`LZ4: block of ${n} bytes runs past the data`);
    dp = decodeLz4Block(data, sp, sp + n, out, dp);
    sp += n;
  }
  if (dp !== out.length) throw new SpiceProtocolError(`LZ4: decoded ${dp} bytes, the image needs ${out.length}`);
  return decodeBitmap({ format, flags: topDown ? BitmapFlag.TOP_DOWN : 0, width, height, stride, data: out });
}
