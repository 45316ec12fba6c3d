/**
 * Rows of palette indexes (8, 4 or 1 bits a pixel) or of alpha bytes, widened into 32-bit pixels:
 * SPICE's palette bitmaps and LZ_PLT images, and the BIT8_A alpha-only bitmaps. The addon does it
 * (native/src/indexed-rows.cc); the loops here are its twin where the addon is not built, and
 * give the same pixels.
 */
import { loadNativeAddon, nativeAddonStatus } from '../../../codec/native-addon';
import { paletteColor } from './decoded-image';

/**
 * What a row holds: palette indexes of 8, 4 (the first pixel in the low or the high nibble) or 1
 * bit (the first pixel in the least or the most significant bit), or alpha bytes (no palette).
 */
export type IndexedKind = 'index8' | 'index4-low-first' | 'index4-high-first' | 'index1-lsb-first' | 'index1-msb-first' | 'alpha8';

export const INDEXED_KINDS: readonly IndexedKind[] = [
  'index8',
  'index4-low-first',
  'index4-high-first',
  'index1-lsb-first',
  'index1-msb-first',
  'alpha8',
];

export interface IndexedRows {
  kind: IndexedKind;
  data: Uint8Array;
  /** Bytes from one row to the next in `data`; rows start at 0. */
  stride: number;
  width: number;
  height: number;
  /** The colours (0xRRGGBB, read as opaque); an index past its end is opaque black. Unused by alpha8. */
  palette: Uint32Array;
  /**
   * 4-bit indexes wrap around the palette's length (LZ_PLT's 4-bit images, as the reference
   * decoder reads them); otherwise an index past the end is opaque black.
   */
  wrapIndexes: boolean;
}

/** Writes `rows` into `out`, width * height pixels packed: alpha8 as A,0,0,0, the rest opaque. */
export type ExpandIndexedRows = (rows: IndexedRows, out: Uint32Array) => void;

export const JAVASCRIPT_INDEXED_ROWS: ExpandIndexedRows = ({ kind, data, stride, width, height, palette, wrapIndexes }, out) => {
  const nibble = (index: number) => paletteColor(palette, wrapIndexes && palette.length > 0 ? index % palette.length : index);
  for (let y = 0; y < height; y++) {
    const s = y * stride;
    let o = y * width;
    const end = o + width;
    switch (kind) {
      case 'index8':
        for (let x = 0; o < end; x++, o++) out[o] = paletteColor(palette, data[s + x]);
        break;
      case 'alpha8':
        for (let x = 0; o < end; x++, o++) out[o] = (data[s + x] << 24) >>> 0;
        break;
      case 'index4-low-first':
      case 'index4-high-first': {
        const lowFirst = kind === 'index4-low-first';
        for (let x = 0; o < end; x++, o++) {
          const byte = data[s + (x >> 1)];
          out[o] = nibble(((x & 1) === 0) === lowFirst ? byte & 0x0f : byte >> 4);
        }
        break;
      }
      case 'index1-lsb-first':
      case 'index1-msb-first': {
        const lsbFirst = kind === 'index1-lsb-first';
        const fore = paletteColor(palette, 1);
        const back = paletteColor(palette, 0);
        for (let x = 0; o < end; x++, o++) {
          const byte = data[s + (x >> 3)];
          const bit = lsbFirst ? (byte >> (x & 7)) & 1 : (byte >> (7 - (x & 7))) & 1;
          out[o] = bit ? fore : back;
        }
        break;
      }
    }
  }
};

let chosen: ExpandIndexedRows | undefined;

/** The addon's expansion when it has one, the JavaScript one otherwise. */
export function defaultIndexedRows(): ExpandIndexedRows {
  if (!chosen) {
    const addon = nativeAddonStatus().available ? loadNativeAddon() : undefined;
    const expand = addon?.expandIndexedRows?.bind(addon);
    chosen = expand
      ? (rows, out) => expand(rows.kind, rows.data, rows.stride, rows.width, rows.height, rows.palette, rows.wrapIndexes, out)
      : JAVASCRIPT_INDEXED_ROWS;
  }
  return chosen;
}

/** Bytes a row of `width` pixels of `kind` needs. */
export function indexedRowBytes(kind: IndexedKind, width: number): number {
  if (kind === 'index8' || kind === 'alpha8') return width;
  return kind.startsWith('index4') ? (width + 1) >> 1 : (width + 7) >> 3;
}
