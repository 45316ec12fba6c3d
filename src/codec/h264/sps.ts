/**
 * The start of an H.264 sequence parameter set (ITU-T H.264 section 7.3.2.1.1): profile, level,
 * chroma format and bit depths, which an avcC record of a High profile stream must repeat.
 * Parses no further than that.
 */

export interface SpsFormat {
  profileIdc: number;
  /** The constraint_set0..5 flags and reserved bits, as one byte. */
  constraintFlags: number;
  levelIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

/** profile_idc values whose SPS carries chroma_format_idc and the bit depths (7.3.2.1.1). */
const PROFILES_WITH_CHROMA_INFO = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Reads bits MSB first from a NAL unit's payload, skipping emulation prevention bytes (00 00 03). */
class RbspReader {
  private byteOffset: number;
  private bitOffset = 0;
  private zeros = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.byteOffset = start;
  }

  private bit(): number {
    if (this.bitOffset === 0) {
      if (this.byteOffset >= this.bytes.length) throw new TypeError('sps ends before its chroma format and bit depths.');
      const byte = this.bytes[this.byteOffset];
      if (this.zeros >= 2 && byte === 3) {
        // An emulation prevention byte: not part of the payload.
        this.zeros = 0;
        this.byteOffset++;
        return this.bit();
      }
      this.zeros = byte === 0 ? this.zeros + 1 : 0;
    }
    const value = (this.bytes[this.byteOffset] >> (7 - this.bitOffset)) & 1;
    this.bitOffset++;
    if (this.bitOffset === 8) {
      this.bitOffset = 0;
      this.byteOffset++;
    }
    return value;
  }

  /** ue(v): unsigned Exp-Golomb. */
  unsigned(): number {
    let leadingZeros = 0;
    while (this.bit() === 0) {
      leadingZeros++;
      if (leadingZeros > 31) throw new TypeError('sps holds an Exp-Golomb code longer than 32 bits.');
    }
    let value = 0;
    for (let i = 0; i < leadingZeros; i++) value = value * 2 + this.bit();
    return 2 ** leadingZeros - 1 + value;
  }

  flag(): boolean {
    return this.bit() === 1;
  }
}

/** Reads the format fields of an SPS NAL unit (header byte first, no start code). */
export function readSpsFormat(sps: Uint8Array): SpsFormat {
  if (sps.length < 4) throw new TypeError(`sps must be at least 4 bytes long; got ${sps.length}.`);
  const profileIdc = sps[1];
  const format = {
    profileIdc,
    constraintFlags: sps[2],
    levelIdc: sps[3],
    chromaFormatIdc: 1,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
  };
  if (!PROFILES_WITH_CHROMA_INFO.has(profileIdc)) return format;
  const reader = new RbspReader(sps, 4);
  reader.unsigned(); // seq_parameter_set_id
  format.chromaFormatIdc = reader.unsigned();
  if (format.chromaFormatIdc === 3) reader.flag(); // separate_colour_plane_flag
  format.bitDepthLuma = 8 + reader.unsigned();
  format.bitDepthChroma = 8 + reader.unsigned();
  return format;
}
