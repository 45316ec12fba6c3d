import sharp from 'sharp';
import { convertRows } from '../../../codec/image-transform';
import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, newImage, type DecodedImage } from './decoded-image';

/**
 * JPEG (images, JPEG_ALPHA's colour part, MJPEG stream frames) through sharp: decoding happens off
 * the event loop, so the caller awaits it and keeps the display unlatchable meanwhile. sharp hands
 * back R,G,B (or grey) bytes; libyuv turns them into opaque surface pixels in one pass.
 */
export async function decodeJpeg(data: Uint8Array, what = 'JPEG'): Promise<DecodedImage> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(data, { failOn: 'truncated' }).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new SpiceProtocolError(`${what}: cannot decode (${error instanceof Error ? error.message : String(error)})`);
  }
  const { width, height, channels } = raw.info;
  checkDimensions(width, height, what);
  if (channels !== 3 && channels !== 1) throw new SpiceProtocolError(`${what}: decoded to ${channels} channels (expected colour or grey)`);
  const image = newImage(width, height, false);
  convertRows(channels === 3 ? 'rgb24' : 'gray8', raw.data, 0, width * channels, image.pixels, 0, width * 4, width, height);
  return image;
}
