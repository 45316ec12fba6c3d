import { SpiceProtocolError } from '../wire/errors';

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
