import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, newImage, type DecodedImage, type ImageAllocator } from './decoded-image';
import type { GlzWindow } from './glz-window';
import { copyLiterals, copyMatch, LZ_MAGIC, LZ_VERSION, LzImageType, Pass, readBE32, truncated } from './lz-common';

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

/** One GLZ pass; returns the new input position. */
function decodePass(data: Uint8Array, ip: number, out: Uint32Array, count: number, pass: Pass, imageId: bigint, window: GlzWindow): number {
  const end = data.length;
  const lenBias = pass === Pass.Alpha ? 2 : pass === Pass.Rgb16 ? 1 : 0;
  let op = 0;
  if (ip >= end) throw truncated('GLZ');
  let ctrl = data[ip++];
  for (;;) {
    if (ctrl >= 32) {
      let len = ctrl >> 5;
      let pixelFlag = (ctrl >> 4) & 1;
      let pixelOfs = ctrl & 0x0f;
      if (len === 7) {
        let code;
        do {
          if (ip >= end) throw truncated('GLZ');
          code = data[ip++];
          len += code;
        } while (code === 255);
      }
      if (ip + 2 > end) throw truncated('GLZ');
      pixelOfs += data[ip++] << 4;
      let code = data[ip++];
      const imageFlag = (code >> 6) & 3;
      let imageDist: number;
      if (!pixelFlag) {
        imageDist = code & 0x3f;
        if (ip + imageFlag > end) throw truncated('GLZ');
        for (let i = 0; i < imageFlag; i++) imageDist += data[ip++] * 2 ** (6 + 8 * i);
      } else {
        pixelFlag = (code >> 5) & 1;
        pixelOfs += (code & 0x1f) << 12;
        imageDist = 0;
        if (ip + imageFlag + pixelFlag > end) throw truncated('GLZ');
        for (let i = 0; i < imageFlag; i++) imageDist += data[ip++] * 2 ** (8 * i);
        if (pixelFlag) {
          code = data[ip++];
          pixelOfs += code * 2 ** 17;
        }
      }
      len += lenBias;
      if (op + len > count) throw truncated('GLZ');
      // Distance 0 is this image (offset biased by 1); otherwise an earlier image of the window.
      const src = imageDist === 0 ? out : window.get(imageId - BigInt(imageDist)).pixels;
      const ref = imageDist === 0 ? op - (pixelOfs + 1) : pixelOfs;
      if (ref < 0 || (src !== out && ref + len > src.length)) throw truncated('GLZ');
      copyMatch(src, ref, out, op, len, pass);
      op += len;
    } else {
      const n = ctrl + 1;
      if (op + n > count) throw truncated('GLZ');
      ip = copyLiterals(data, ip, out, op, n, pass, 'GLZ');
      op += n;
    }
    if (op >= count) return ip;
    if (ip >= end) throw truncated('GLZ');
    ctrl = data[ip++];
  }
}

/**
 * Decodes a GLZ image, adds it to the window, and returns it top-down. The window keeps the
 * encoding-order pixels, which is what later references index into.
 */
export function decodeGlz(
  data: Uint8Array,
  window: GlzWindow,
  expected?: { width: number; height: number },
  allocate: ImageAllocator = newImage,
): DecodedImage {
  const header = parseGlzHeader(data);
  const { type, width, height } = header;
  checkDimensions(width, height, 'GLZ', expected);
  const count = width * height;
  const pixels = new Uint32Array(count);
  let hasAlpha = false;
  switch (type) {
    case LzImageType.RGB32:
    case LzImageType.RGB24:
      decodePass(data, header.start, pixels, count, Pass.Rgb32, header.id, window);
      break;
    case LzImageType.RGB16:
      decodePass(data, header.start, pixels, count, Pass.Rgb16, header.id, window);
      break;
    case LzImageType.RGBA: {
      const next = decodePass(data, header.start, pixels, count, Pass.Rgb32, header.id, window);
      decodePass(data, next, pixels, count, Pass.Alpha, header.id, window);
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
