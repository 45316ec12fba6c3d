import { convertRows, type RowsKind } from '../../../codec/image-transform';
import { BitmapFlag, BitmapFormat } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, flipRows, newImage, type DecodedImage, type ImageAllocator } from './decoded-image';
import { defaultIndexedRows, type IndexedKind } from './indexed-rows';

/** BIT8_A has no palette. */
const NO_PALETTE = new Uint32Array(0);

/** A palette-less 1-bit bitmap is a mask: 0 black, 1 white. */
const MASK_PALETTE = new Uint32Array([0x000000, 0xffffff]);

/** Bytes a row of `width` pixels needs in each SPICE bitmap format. */
export function minimumStride(format: number, width: number): number {
  switch (format) {
    case BitmapFormat.BIT1_LE:
    case BitmapFormat.BIT1_BE:
      return (width + 7) >> 3;
    case BitmapFormat.BIT4_LE:
    case BitmapFormat.BIT4_BE:
      return (width + 1) >> 1;
    case BitmapFormat.BIT8:
    case BitmapFormat.BIT8_A:
      return width;
    case BitmapFormat.BIT16:
      return width * 2;
    case BitmapFormat.BIT24:
      return width * 3;
    case BitmapFormat.BIT32:
    case BitmapFormat.RGBA:
      return width * 4;
    default:
      throw new SpiceProtocolError(`bitmap: format ${format} is not a SPICE bitmap format`);
  }
}

export interface BitmapInput {
  format: number;
  flags: number;
  width: number;
  height: number;
  stride: number;
  data: Uint8Array;
  palette?: Uint32Array;
}

/** The direct-colour formats, converted whole by libyuv (or its portable twin) rather than per pixel here. */
const DIRECT_KINDS: Partial<Record<number, RowsKind>> = {
  [BitmapFormat.BIT32]: 'bgrx32',
  [BitmapFormat.BIT24]: 'bgr24',
  [BitmapFormat.BIT16]: 'rgb555',
};

/**
 * SPICE_IMAGE_TYPE_BITMAP: every format, palettes included; rows bottom-up unless TOP_DOWN.
 * Everything but RGBA and BIT8_A comes out opaque (BIT32's fourth byte is padding).
 */
export function decodeBitmap(input: BitmapInput, allocate: ImageAllocator = newImage): DecodedImage {
  const { format, width, height, stride, data } = input;
  checkDimensions(width, height, 'bitmap');
  if (stride < minimumStride(format, width)) {
    throw new SpiceProtocolError(`bitmap: stride ${stride} is too small for ${width} pixels of format ${format}`);
  }
  if (data.length < stride * height) throw new SpiceProtocolError(`bitmap: ${data.length} bytes for ${height} rows of ${stride}`);
  const needsPalette = format <= BitmapFormat.BIT8 && format >= BitmapFormat.BIT1_LE;
  const palette = input.palette ?? (format === BitmapFormat.BIT1_LE || format === BitmapFormat.BIT1_BE ? MASK_PALETTE : undefined);
  if (needsPalette && !palette) throw new SpiceProtocolError(`bitmap: format ${format} needs a palette and none was sent`);
  const image = allocate(width, height, format === BitmapFormat.RGBA || format === BitmapFormat.BIT8_A);
  const out = image.pixels;
  const direct = DIRECT_KINDS[format];
  if (direct) convertRows(direct, data, 0, stride, out, 0, width * 4, width, height);
  else if (format === BitmapFormat.RGBA) {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    for (let y = 0; y < height; y++) bytes.set(data.subarray(y * stride, y * stride + width * 4), y * width * 4);
  } else
    defaultIndexedRows()(
      { kind: indexedKindOf(format), data, stride, width, height, palette: palette ?? NO_PALETTE, wrapIndexes: false },
      out,
    );
  if (!(input.flags & BitmapFlag.TOP_DOWN)) flipRows(image);
  return image;
}

/** The palette and alpha-only formats' rows (rare: servers send them for cursors and masks). */
function indexedKindOf(format: number): IndexedKind {
  switch (format) {
    case BitmapFormat.BIT8:
      return 'index8';
    case BitmapFormat.BIT8_A:
      return 'alpha8';
    case BitmapFormat.BIT4_LE:
      return 'index4-low-first';
    case BitmapFormat.BIT4_BE:
      return 'index4-high-first';
    case BitmapFormat.BIT1_LE:
      return 'index1-lsb-first';
    case BitmapFormat.BIT1_BE:
      return 'index1-msb-first';
    default:
      throw new SpiceProtocolError(`bitmap: format ${format} is not a SPICE bitmap format`);
  }
}
