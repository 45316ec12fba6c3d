import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, flipRows, newImage, paletteColor, type DecodedImage, type ImageAllocator } from './decoded-image';
import {
  copyLiterals,
  copyMatch,
  isPaletteType,
  LZ_MAGIC,
  LZ_VERSION,
  LzImageType,
  Pass,
  PLT_PIXELS_PER_BYTE,
  readBE32,
  truncated,
} from './lz-common';

/**
 * SPICE's LZ (spice-common lz.c, a FastLZ level-2 variant over pixels): LZ_RGB and LZ_PLT images,
 * and the alpha plane of JPEG_ALPHA. Header (big-endian): magic, version, type, width, height,
 * stride, top_down; then the pixel stream. Matches count in pixels (bytes for palette types).
 */

const MAX_DISTANCE = 8191;

export interface LzHeader {
  type: number;
  width: number;
  height: number;
  stride: number;
  topDown: boolean;
  /** Offset of the compressed stream. */
  start: number;
}

export function parseLzHeader(data: Uint8Array): LzHeader {
  const magic = readBE32(data, 0, 'LZ');
  if (magic !== LZ_MAGIC) throw new SpiceProtocolError(`LZ: bad magic 0x${magic.toString(16)}`);
  const version = readBE32(data, 4, 'LZ');
  if (version !== LZ_VERSION) throw new SpiceProtocolError(`LZ: unsupported version 0x${version.toString(16)}`);
  return {
    type: readBE32(data, 8, 'LZ'),
    width: readBE32(data, 12, 'LZ'),
    height: readBE32(data, 16, 'LZ'),
    stride: readBE32(data, 20, 'LZ'),
    topDown: readBE32(data, 24, 'LZ') !== 0,
    start: 28,
  };
}

/**
 * One LZ pass over `count` pixels of `out` (32-bit), reading from `ip`. Returns the new input
 * position. Alpha passes copy only the alpha byte of referenced pixels.
 */
function decompressPixels(data: Uint8Array, ip: number, out: Uint32Array, count: number, pass: Pass): number {
  const end = data.length;
  const lenBias = pass === Pass.Alpha ? 3 : pass === Pass.Rgb16 ? 2 : 1;
  let op = 0;
  if (ip >= end) throw truncated('LZ');
  let ctrl = data[ip++];
  for (;;) {
    if (ctrl >= 32) {
      ip = readMatch(data, ip, ctrl);
      const len = MATCH[0] + lenBias;
      const ref = op - MATCH[1];
      if (ref < 0 || op + len > count) throw truncated('LZ');
      copyMatch(out, ref, out, op, len, pass);
      op += len;
    } else {
      const n = ctrl + 1;
      if (op + n > count) throw truncated('LZ');
      ip = copyLiterals(data, ip, out, op, n, pass, 'LZ');
      op += n;
    }
    if (op >= count) return ip;
    if (ip >= end) throw truncated('LZ');
    ctrl = data[ip++];
  }
}

/** The last match read: [length before bias, distance]. A scratch array avoids an allocation per match. */
const MATCH = new Int32Array(2);

/** Reads a match's length and distance after its control byte; returns the new input position. */
function readMatch(data: Uint8Array, ip: number, ctrl: number): number {
  const end = data.length;
  let len = (ctrl >> 5) - 1;
  let ofs = (ctrl & 31) << 8;
  if (len === 6) {
    let code;
    do {
      if (ip >= end) throw truncated('LZ');
      code = data[ip++];
      len += code;
    } while (code === 255);
  }
  if (ip >= end) throw truncated('LZ');
  const code = data[ip++];
  ofs += code;
  if (code === 255 && ofs - code === 31 << 8) {
    if (ip + 2 > end) throw truncated('LZ');
    ofs = (data[ip] << 8) + data[ip + 1] + MAX_DISTANCE;
    ip += 2;
  }
  MATCH[0] = len;
  MATCH[1] = ofs + 1;
  return ip;
}

/** The byte-unit variant for palette images and A8: decompresses `count` bytes into `out`. */
function decompressBytes(data: Uint8Array, ip: number, out: Uint8Array, count: number): number {
  const end = data.length;
  let op = 0;
  if (ip >= end) throw truncated('LZ');
  let ctrl = data[ip++];
  for (;;) {
    if (ctrl >= 32) {
      ip = readMatch(data, ip, ctrl);
      let len = MATCH[0] + 3;
      let ref = op - MATCH[1];
      if (ref < 0 || op + len > count) throw truncated('LZ');
      for (; len > 0; len--) out[op++] = out[ref++];
    } else {
      const n = ctrl + 1;
      if (op + n > count || ip + n > end) throw truncated('LZ');
      out.set(data.subarray(ip, ip + n), op);
      ip += n;
      op += n;
    }
    if (op >= count) return ip;
    if (ip >= end) throw truncated('LZ');
    ctrl = data[ip++];
  }
}

/** Expands palette-index rows (LZ_PLT's byte form) into pixels. */
export function expandPaletteRows(
  bytes: Uint8Array,
  type: number,
  width: number,
  height: number,
  stride: number,
  palette: Uint32Array,
  allocate: ImageAllocator = newImage,
): DecodedImage {
  const image = allocate(width, height, false);
  const out = image.pixels;
  const perByte = PLT_PIXELS_PER_BYTE[type];
  const n = palette.length;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    let o = y * width;
    for (let x = 0; x < width; x++, o++) {
      let index: number;
      if (perByte === 1) index = bytes[row + x];
      else if (perByte === 2) {
        const byte = bytes[row + (x >> 1)];
        index = type === LzImageType.PLT4_LE ? ((x & 1) === 0 ? byte & 15 : byte >> 4) : (x & 1) === 0 ? byte >> 4 : byte & 15;
        if (n > 0) index %= n;
      } else {
        const byte = bytes[row + (x >> 3)];
        index = type === LzImageType.PLT1_LE ? (byte >> (x & 7)) & 1 : (byte >> (7 - (x & 7))) & 1;
      }
      out[o] = paletteColor(palette, index);
    }
  }
  return image;
}

/**
 * Decodes an LZ stream into a top-down image. `palette` is required for palette types. The image
 * comes from `allocate` (every pixel is written), but for XXXA, an alpha plane over black.
 */
export function decodeLz(
  data: Uint8Array,
  palette?: Uint32Array,
  expected?: { width: number; height: number },
  allocate: ImageAllocator = newImage,
): DecodedImage {
  const header = parseLzHeader(data);
  const { type, width, height, stride, topDown } = header;
  checkDimensions(width, height, 'LZ', expected);
  if (isPaletteType(type)) {
    if (!palette) throw new SpiceProtocolError(`LZ: palette image (type ${type}) without a palette`);
    if (stride * PLT_PIXELS_PER_BYTE[type] < width || stride > width) {
      throw new SpiceProtocolError(`LZ: stride ${stride} does not fit width ${width} for palette type ${type}`);
    }
    const bytes = new Uint8Array(stride * height);
    decompressBytes(data, header.start, bytes, bytes.length);
    const image = expandPaletteRows(bytes, type, width, height, stride, palette, allocate);
    if (!topDown) flipRows(image);
    return image;
  }
  const count = width * height;
  let image: DecodedImage;
  switch (type) {
    case LzImageType.RGB32:
    case LzImageType.RGB24:
      image = allocate(width, height, false);
      decompressPixels(data, header.start, image.pixels, count, Pass.Rgb32);
      break;
    case LzImageType.RGB16:
      image = allocate(width, height, false);
      decompressPixels(data, header.start, image.pixels, count, Pass.Rgb16);
      break;
    case LzImageType.RGBA: {
      image = allocate(width, height, true);
      const next = decompressPixels(data, header.start, image.pixels, count, Pass.Rgb32);
      decompressPixels(data, next, image.pixels, count, Pass.Alpha);
      break;
    }
    case LzImageType.XXXA:
      image = newImage(width, height, true);
      decompressPixels(data, header.start, image.pixels, count, Pass.Alpha);
      break;
    case LzImageType.A8: {
      image = allocate(width, height, true);
      const bytes = new Uint8Array(count);
      decompressBytes(data, header.start, bytes, count);
      for (let i = 0; i < count; i++) image.pixels[i] = (bytes[i] << 24) >>> 0;
      break;
    }
    default:
      throw new SpiceProtocolError(`LZ: image type ${type} is not an LZ image type`);
  }
  if (!topDown) flipRows(image);
  return image;
}
