import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, flipRows, newImage, type DecodedImage, type ImageAllocator } from './decoded-image';
import { defaultIndexedRows, type IndexedKind } from './indexed-rows';
import { isPaletteType, LZ_MAGIC, LZ_VERSION, LzImageType, type LzPasses, Pass, PLT_PIXELS_PER_BYTE, readBE32 } from './lz-common';
import { defaultLzPasses } from './lz-native';

/**
 * SPICE's LZ (spice-common lz.c, a FastLZ level-2 variant over pixels): LZ_RGB and LZ_PLT images,
 * and the alpha plane of JPEG_ALPHA. Header (big-endian): magic, version, type, width, height,
 * stride, top_down; then the pixel stream. Matches count in pixels (bytes for palette types).
 */

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
  const kind = PLT_KINDS[type];
  if (!kind) throw new SpiceProtocolError(`LZ: type ${type} is not a palette type`);
  // 4-bit indexes wrap around the palette, as the reference decoder reads them.
  defaultIndexedRows()({ kind, data: bytes, stride, width, height, palette, wrapIndexes: PLT_PIXELS_PER_BYTE[type] === 2 }, image.pixels);
  return image;
}

/** The rows each LZ_PLT type holds. */
const PLT_KINDS: Partial<Record<number, IndexedKind>> = {
  [LzImageType.PLT1_LE]: 'index1-lsb-first',
  [LzImageType.PLT1_BE]: 'index1-msb-first',
  [LzImageType.PLT4_LE]: 'index4-low-first',
  [LzImageType.PLT4_BE]: 'index4-high-first',
  [LzImageType.PLT8]: 'index8',
};

/**
 * Decodes an LZ stream into a top-down image. `palette` is required for palette types. The image
 * comes from `allocate` (every pixel is written), but for XXXA, an alpha plane over black.
 * `passes`: the per-pixel loops, native when the addon is built.
 */
export function decodeLz(
  data: Uint8Array,
  palette?: Uint32Array,
  expected?: { width: number; height: number },
  allocate: ImageAllocator = newImage,
  passes: LzPasses = defaultLzPasses(),
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
    passes.bytes(data, header.start, bytes, bytes.length);
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
      passes.pixels(data, header.start, image.pixels, count, Pass.Rgb32);
      break;
    case LzImageType.RGB16:
      image = allocate(width, height, false);
      passes.pixels(data, header.start, image.pixels, count, Pass.Rgb16);
      break;
    case LzImageType.RGBA: {
      image = allocate(width, height, true);
      const next = passes.pixels(data, header.start, image.pixels, count, Pass.Rgb32);
      passes.pixels(data, next, image.pixels, count, Pass.Alpha);
      break;
    }
    case LzImageType.XXXA:
      image = newImage(width, height, true);
      passes.pixels(data, header.start, image.pixels, count, Pass.Alpha);
      break;
    case LzImageType.A8: {
      image = allocate(width, height, true);
      const bytes = new Uint8Array(count);
      passes.bytes(data, header.start, bytes, count);
      for (let i = 0; i < count; i++) image.pixels[i] = (bytes[i] << 24) >>> 0;
      break;
    }
    default:
      throw new SpiceProtocolError(`LZ: image type ${type} is not an LZ image type`);
  }
  if (!topDown) flipRows(image);
  return image;
}
