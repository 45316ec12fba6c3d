import sharp from 'sharp';
import { SpiceProtocolError } from '../wire/errors';
import { newImage, OPAQUE, type DecodedImage } from './decoded-image';

/**
 * JPEG (images, JPEG_ALPHA's colour part, MJPEG stream frames) through sharp: decoding happens off
 * the event loop, so the caller awaits it and keeps the display unlatchable meanwhile.
 */
export async function decodeJpeg(data: Uint8Array, what = 'JPEG'): Promise<DecodedImage> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(data, { failOn: 'truncated' }).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new SpiceProtocolError(`${what}: cannot decode (${error instanceof Error ? error.message : String(error)})`);
  }
  const { width, height, channels } = raw.info;
  const image = newImage(width, height, false);
  const out = image.pixels;
  const src = raw.data;
  const n = width * height;
  if (channels >= 3) {
    for (let i = 0, s = 0; i < n; i++, s += channels) out[i] = (OPAQUE | (src[s] << 16) | (src[s + 1] << 8) | src[s + 2]) >>> 0;
  } else {
    for (let i = 0, s = 0; i < n; i++, s += channels) out[i] = (OPAQUE | (src[s] * 0x010101)) >>> 0;
  }
  return image;
}
