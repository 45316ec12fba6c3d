import { SpiceProtocolError } from '../wire/errors';
import { OPAQUE, rgb555ToPixel } from './decoded-image';

/** LzImageType (spice-common lz_common.h): shared by LZ and GLZ. */
export const LzImageType = {
  INVALID: 0,
  PLT1_LE: 1,
  PLT1_BE: 2,
  PLT4_LE: 3,
  PLT4_BE: 4,
  PLT8: 5,
  RGB16: 6,
  RGB24: 7,
  RGB32: 8,
  RGBA: 9,
  XXXA: 10,
  A8: 11,
} as const;

export const LZ_MAGIC = 0x20205a4c; // "LZ  " as the encoder's native u32, written big-endian
export const LZ_VERSION = 0x00010001;

/** Pixels per byte of the palette types, indexed by LzImageType. */
export const PLT_PIXELS_PER_BYTE = [0, 8, 8, 2, 2, 1];

export function isPaletteType(type: number): boolean {
  return type >= LzImageType.PLT1_LE && type <= LzImageType.PLT8;
}

/** Big-endian u32 with a bounds check; LZ and GLZ headers are big-endian. */
export function readBE32(data: Uint8Array, pos: number, what: string): number {
  if (pos + 4 > data.length) throw new SpiceProtocolError(`${what}: truncated header`);
  return ((data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]) >>> 0;
}

export function truncated(what: string): SpiceProtocolError {
  return new SpiceProtocolError(`${what}: compressed data ends early or refers outside the image`);
}

/** Which part of a 32-bit pixel an LZ/GLZ pass writes, and so how its literals are read. */
export enum Pass {
  /** 3 bytes b,g,r per pixel (RGB24 and RGB32 streams). */
  Rgb32,
  /** 2 bytes, high first, 0555. */
  Rgb16,
  /** 1 byte into the alpha byte only (the second pass of RGBA, and XXXA). */
  Alpha,
}

/**
 * Copies `n` literal pixels from data[ip] to out[op]; returns the new input position. Shared by
 * LZ and GLZ, which store literals identically.
 */
export function copyLiterals(data: Uint8Array, ip: number, out: Uint32Array, op: number, n: number, pass: Pass, what: string): number {
  if (pass === Pass.Rgb32) {
    if (ip + 3 * n > data.length) throw truncated(what);
    for (; n > 0; n--, ip += 3) out[op++] = (OPAQUE | data[ip] | (data[ip + 1] << 8) | (data[ip + 2] << 16)) >>> 0;
  } else if (pass === Pass.Rgb16) {
    if (ip + 2 * n > data.length) throw truncated(what);
    for (; n > 0; n--, ip += 2) out[op++] = rgb555ToPixel((data[ip] << 8) | data[ip + 1]);
  } else {
    if (ip + n > data.length) throw truncated(what);
    for (; n > 0; n--, op++) out[op] = ((out[op] & 0x00ffffff) | (data[ip++] << 24)) >>> 0;
  }
  return ip;
}

/**
 * Copies a match of `len` pixels from src[ref] to out[op] (src may be out itself, overlapping
 * forwards, which repeats the pattern as LZ intends). Alpha passes copy only the alpha byte.
 */
export function copyMatch(src: Uint32Array, ref: number, out: Uint32Array, op: number, len: number, pass: Pass): void {
  if (pass === Pass.Alpha && src === out && ref === op - 1) {
    // A run of one alpha value (most of an RGBA image's alpha pass): read it once, rather than
    // each pixel from the one just written.
    const alpha = out[ref] & 0xff000000;
    for (; len > 0; len--, op++) out[op] = ((out[op] & 0x00ffffff) | alpha) >>> 0;
  } else if (pass === Pass.Alpha) {
    for (; len > 0; len--, op++, ref++) out[op] = ((out[op] & 0x00ffffff) | (src[ref] & 0xff000000)) >>> 0;
  } else if (src !== out) {
    out.set(src.subarray(ref, ref + len), op);
  } else if (ref === op - 1) {
    out.fill(out[ref], op, op + len);
  } else {
    for (; len > 0; len--) out[op++] = out[ref++];
  }
}

/**
 * The per-pixel loops of LZ and GLZ, which the decoders (lz.ts, glz.ts) run between reading
 * headers and handling image types: in the native addon when it is built (lz-native.ts), in
 * JavaScript otherwise (lz-javascript.ts). Each returns the input position after its pass and
 * throws a SpiceProtocolError when the data ends early or a match refers outside the image.
 */
export interface LzPasses {
  /** One LZ pass over `count` pixels of `out`, from data[ip]. */
  pixels(data: Uint8Array, ip: number, out: Uint32Array, count: number, pass: Pass): number;
  /** The byte-unit LZ variant (palette indexes, A8): `count` bytes of `out`. */
  bytes(data: Uint8Array, ip: number, out: Uint8Array, count: number): number;
  /** One GLZ pass; `image(distance)` gives the pixels of the dictionary's image that far back. */
  glz(data: Uint8Array, ip: number, out: Uint32Array, count: number, pass: Pass, image: (distance: number) => Uint32Array): number;
}
