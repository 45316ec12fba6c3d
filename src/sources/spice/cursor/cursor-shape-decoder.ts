import { CursorType } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { CursorHeader } from './cursor-messages';

/**
 * Cursor shape data to straight RGBA. Plain JavaScript on purpose: a shape is at most a few
 * thousand pixels and is decoded once when the server sends it (a cursor change), never per frame
 * or per pointer motion.
 *
 * Layouts (rows top-down, masks 1 bit per pixel, most significant bit first, rows padded to a byte):
 * - ALPHA: width*height 32-bit pixels, premultiplied ARGB in little-endian words (what X's ARGB
 *   cursors and DRM cursor planes hold; Xspice and the QXL kernel driver pass them on as they are),
 *   unless a colour exceeds its alpha (see isPremultiplied).
 * - MONO: an AND mask, then an XOR mask.
 * - COLOR4 / COLOR8: palette indices (4 bits, high nibble first / 8 bits), then a palette of
 *   16 / 256 xRGB words, then the AND mask.
 * - COLOR16 (xRGB 1:5:5:5), COLOR24 (B, G, R bytes), COLOR32 (xRGB words): pixels, then the AND mask.
 *
 * Mask semantics are the Windows ones: AND 0 paints the colour (MONO: XOR 0 black, XOR 1 white);
 * AND 1 with a colour of 0 leaves the screen alone (transparent); AND 1 with all-ones inverts the
 * screen. RGBA cannot invert, so an inverted pixel is drawn black and every transparent pixel
 * touching one (8 neighbours) white: an I-beam stays readable on any background. AND 1 with any
 * other colour (XOR with that colour; no real cursor uses it) is transparent, as in the reference
 * client.
 */

/** Largest side accepted. X and QXL cursors are at most 64 pixels; spice-server's stream device allows 256. */
export const MAX_CURSOR_SIDE = 512;

export interface DecodedCursor {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  rgba: Buffer;
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CursorType).map(([name, value]) => [value, name]));

export function cursorTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `unknown(${type})`;
}

/** What one pixel of a masked shape does, besides painting its colour (0). */
const TRANSPARENT = 1;
const INVERT = 2;

function maskBit(data: Buffer, offset: number, stride: number, x: number, y: number): number {
  return (data[offset + y * stride + (x >> 3)] >> (7 - (x & 7))) & 1;
}

export function decodeCursorShape(header: CursorHeader, data: Buffer): DecodedCursor {
  const { width, height, type } = header;
  const name = cursorTypeName(type);
  if (width === 0 || height === 0 || width > MAX_CURSOR_SIDE || height > MAX_CURSOR_SIDE) {
    throw new SpiceProtocolError(`cursor shape: ${width}x${height} is outside 1..${MAX_CURSOR_SIDE} pixels per side (${name})`);
  }
  const rgba = Buffer.alloc(width * height * 4);
  const result: DecodedCursor = {
    width,
    height,
    // A hot spot outside the image (seen from some guests) is pulled to its nearest edge pixel.
    hotX: Math.min(header.hotX, width - 1),
    hotY: Math.min(header.hotY, height - 1),
    rgba,
  };
  const maskStride = (width + 7) >> 3;
  const maskSize = maskStride * height;
  const need = (bytes: number) => {
    if (data.length < bytes) {
      throw new SpiceProtocolError(`cursor shape: ${name} ${width}x${height} needs ${bytes} bytes of data, the message has ${data.length}`);
    }
  };

  if (type === CursorType.ALPHA) {
    need(width * height * 4);
    const premultiplied = isPremultiplied(data, width * height);
    for (let i = 0; i < width * height; i++) {
      const o = i * 4;
      const a = data[o + 3];
      if (!premultiplied) {
        rgba[o] = data[o + 2];
        rgba[o + 1] = data[o + 1];
        rgba[o + 2] = data[o];
        rgba[o + 3] = a;
        continue;
      }
      if (a === 0) continue; // rgba is zero-filled
      rgba[o] = Math.round((data[o + 2] * 255) / a);
      rgba[o + 1] = Math.round((data[o + 1] * 255) / a);
      rgba[o + 2] = Math.round((data[o] * 255) / a);
      rgba[o + 3] = a;
    }
    return result;
  }

  const ops = new Uint8Array(width * height);
  if (type === CursorType.MONO) {
    need(2 * maskSize);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const and = maskBit(data, 0, maskStride, x, y);
        const xor = maskBit(data, maskSize, maskStride, x, y);
        const i = y * width + x;
        if (and) ops[i] = xor ? INVERT : TRANSPARENT;
        else paint(rgba, i, xor ? 255 : 0, xor ? 255 : 0, xor ? 255 : 0);
      }
    }
  } else {
    const color = colorReader(type, width, height, data, name);
    need(color.maskOffset + maskSize);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const raw = color.raw(x, y);
        if (maskBit(data, color.maskOffset, maskStride, x, y)) ops[i] = raw === color.allOnes ? INVERT : TRANSPARENT;
        else {
          const rgb = color.rgb(raw);
          paint(rgba, i, (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255);
        }
      }
    }
  }
  outlineInverted(rgba, ops, width, height);
  return result;
}

/**
 * Premultiplied colour never exceeds its alpha. Some guest programs fill the cursor plane with
 * straight alpha anyway (libdrm's modetest does, in a QEMU guest with the qxl kernel driver); a
 * shape with any colour above its alpha is taken as straight alpha as a whole, rather than having
 * its colours blown out by the division.
 */
function isPremultiplied(data: Buffer, pixels: number): boolean {
  for (let o = 0; o < pixels * 4; o += 4) {
    const a = data[o + 3];
    if (data[o] > a || data[o + 1] > a || data[o + 2] > a) return false;
  }
  return true;
}

function paint(rgba: Buffer, i: number, r: number, g: number, b: number): void {
  rgba[i * 4] = r;
  rgba[i * 4 + 1] = g;
  rgba[i * 4 + 2] = b;
  rgba[i * 4 + 3] = 255;
}

/** Inverted pixels black, the transparent pixels around them white (see the file comment). */
function outlineInverted(rgba: Buffer, ops: Uint8Array, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (ops[i] === INVERT) {
        paint(rgba, i, 0, 0, 0);
        continue;
      }
      if (ops[i] !== TRANSPARENT) continue;
      let touches = false;
      for (let dy = -1; dy <= 1 && !touches; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < width && ny < height && ops[ny * width + nx] === INVERT) {
            touches = true;
            break;
          }
        }
      }
      if (touches) paint(rgba, i, 255, 255, 255);
    }
  }
}

/**
 * The colour pixels of a COLORn shape: `raw` in the type's own depth, `rgb` of a raw value as
 * 0xRRGGBB, where the AND mask starts, and the raw value that means "invert" under a set mask bit.
 */
function colorReader(
  type: number,
  width: number,
  height: number,
  data: Buffer,
  name: string,
): { raw: (x: number, y: number) => number; rgb: (raw: number) => number; maskOffset: number; allOnes: number } {
  const check = (bytes: number) => {
    if (data.length < bytes) {
      throw new SpiceProtocolError(`cursor shape: ${name} ${width}x${height} needs ${bytes} bytes of data, the message has ${data.length}`);
    }
  };
  const paletteEntry = (offset: number, index: number) => data.readUInt32LE(offset + index * 4) & 0xffffff;
  const same = (raw: number) => raw;
  switch (type) {
    case CursorType.COLOR4: {
      const stride = (width + 1) >> 1;
      const paletteOffset = stride * height;
      check(paletteOffset + 16 * 4);
      return {
        raw: (x, y) => paletteEntry(paletteOffset, (data[y * stride + (x >> 1)] >> (x & 1 ? 0 : 4)) & 15),
        rgb: same,
        maskOffset: paletteOffset + 16 * 4,
        allOnes: 0xffffff,
      };
    }
    case CursorType.COLOR8: {
      const paletteOffset = width * height;
      check(paletteOffset + 256 * 4);
      return {
        raw: (x, y) => paletteEntry(paletteOffset, data[y * width + x]),
        rgb: same,
        maskOffset: paletteOffset + 256 * 4,
        allOnes: 0xffffff,
      };
    }
    case CursorType.COLOR16: {
      const widen = (v: number) => (v << 3) | (v >> 2);
      return {
        raw: (x, y) => data.readUInt16LE((y * width + x) * 2) & 0x7fff,
        // 5 bits widened to 8 by repeating the top bits, so that 31 is 255
        rgb: (p) => (widen((p >> 10) & 31) << 16) | (widen((p >> 5) & 31) << 8) | widen(p & 31),
        maskOffset: width * height * 2,
        allOnes: 0x7fff,
      };
    }
    case CursorType.COLOR24:
      return {
        raw: (x, y) => {
          const o = (y * width + x) * 3;
          return (data[o + 2] << 16) | (data[o + 1] << 8) | data[o];
        },
        rgb: same,
        maskOffset: width * height * 3,
        allOnes: 0xffffff,
      };
    case CursorType.COLOR32:
      return {
        raw: (x, y) => data.readUInt32LE((y * width + x) * 4) & 0xffffff,
        rgb: same,
        maskOffset: width * height * 4,
        allOnes: 0xffffff,
      };
    default:
      throw new SpiceProtocolError(`cursor shape: type ${type} is not a SPICE cursor type`);
  }
}
