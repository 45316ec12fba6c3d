import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, newImage, type DecodedImage, type ImageAllocator } from './decoded-image';
import type { GlzWindow } from './glz-window';
import { LZ_MAGIC, LZ_VERSION, LzImageType, type LzPasses, Pass, readBE32 } from './lz-common';
import { defaultLzPasses } from './lz-native';

/**
 * GLZ_RGB (spice-gtk decode-glz.c): LZ whose matches may point into earlier images of the
 * session's dictionary. Header (big-endian): magic, version, one byte (type | top_down << 4),
 * width, height, stride, image id (u64), win_head_dist. Servers use GLZ for RGB images only.
 */

export interface GlzHeader {
  type: number;
  topDown: boolean;
  width: number;
  height: number;
  id: bigint;
  winHeadDist: number;
  start: number;
}

export function parseGlzHeader(data: Uint8Array): GlzHeader {
  const magic = readBE32(data, 0, 'GLZ');
  if (magic !== LZ_MAGIC) throw new SpiceProtocolError(`GLZ: bad magic 0x${magic.toString(16)}`);
  const version = readBE32(data, 4, 'GLZ');
  if (version !== LZ_VERSION) throw new SpiceProtocolError(`GLZ: unsupported version 0x${version.toString(16)}`);
  if (data.length < 37) throw new SpiceProtocolError('GLZ: truncated header');
  const typeByte = data[8];
  const width = readBE32(data, 9, 'GLZ');
  const height = readBE32(data, 13, 'GLZ');
  readBE32(data, 17, 'GLZ'); // stride: implied by width for RGB types
  const id = (BigInt(readBE32(data, 21, 'GLZ')) << 32n) | BigInt(readBE32(data, 25, 'GLZ'));
  const winHeadDist = readBE32(data, 29, 'GLZ');
  return { type: typeByte & 0x0f, topDown: typeByte >> 4 !== 0, width, height, id, winHeadDist, start: 33 };
}

/**
 * Decodes a GLZ image, adds it to the window, and returns it top-down. The window keeps the
 * encoding-order pixels, which is what later references index into. `passes`: the per-pixel
 * loops, native when the addon is built.
 */
export function decodeGlz(
  data: Uint8Array,
  window: GlzWindow,
  expected?: { width: number; height: number },
  allocate: ImageAllocator = newImage,
  passes: LzPasses = defaultLzPasses(),
): DecodedImage {
  const header = parseGlzHeader(data);
  const { type, width, height } = header;
  checkDimensions(width, height, 'GLZ', expected);
  const count = width * height;
  const pixels = new Uint32Array(count);
  // The dictionary's earlier images, by how many ids back from this one.
  const earlier = (distance: number) => window.get(header.id - BigInt(distance)).pixels;
  let hasAlpha = false;
  switch (type) {
    case LzImageType.RGB32:
    case LzImageType.RGB24:
      passes.glz(data, header.start, pixels, count, Pass.Rgb32, earlier);
      break;
    case LzImageType.RGB16:
      passes.glz(data, header.start, pixels, count, Pass.Rgb16, earlier);
      break;
    case LzImageType.RGBA: {
      const next = passes.glz(data, header.start, pixels, count, Pass.Rgb32, earlier);
      passes.glz(data, next, pixels, count, Pass.Alpha, earlier);
      hasAlpha = true;
      break;
    }
    default:
      throw new SpiceProtocolError(`GLZ: image type ${type} is not one servers send as GLZ (RGB16/24/32/RGBA)`);
  }
  window.add({ id: header.id, pixels }, header.winHeadDist);
  // Top-down, the window's pixels are the image: nothing writes to either, so no copy.
  if (header.topDown) return { width, height, stride: width, pixels, hasAlpha };
  const image = allocate(width, height, hasAlpha);
  for (let y = 0; y < height; y++) image.pixels.set(pixels.subarray((height - 1 - y) * width, (height - y) * width), y * width);
  return image;
}
