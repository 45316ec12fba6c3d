import { FieldError } from '../../core/field-error';
/**
 * Reading an H.264 sequence parameter set (ITU-T H.264 section 7.3.2.1.1): the format fields at
 * its start (profile, level, chroma format and bit depths), which an avcC record of a High
 * profile stream must repeat; and the colour description in its VUI (annex E.1.1), which an MP4
 * sample entry's colr box repeats.
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

  /** `needed` completes "sps ends before ..." when the bytes run out. */
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly needed: string,
  ) {
    this.byteOffset = start;
  }

  private bit(): number {
    if (this.bitOffset === 0) {
      if (this.byteOffset >= this.bytes.length) throw new TypeError(`sps ends before ${this.needed}.`);
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

  /** se(v): signed Exp-Golomb. */
  signed(): number {
    const code = this.unsigned();
    return code % 2 === 1 ? (code + 1) / 2 : -code / 2;
  }

  flag(): boolean {
    return this.bit() === 1;
  }

  /** u(n): an n-bit unsigned number, n at most 16. */
  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }
}

/** Reads the format fields of an SPS NAL unit (header byte first, no start code). */
export function readSpsFormat(sps: Uint8Array): SpsFormat {
  if (sps.length < 4) throw new FieldError('sps', `must be at least 4 bytes long; got ${sps.length}.`);
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
  const reader = new RbspReader(sps, 4, 'its chroma format and bit depths');
  reader.unsigned(); // seq_parameter_set_id
  format.chromaFormatIdc = reader.unsigned();
  if (format.chromaFormatIdc === 3) reader.flag(); // separate_colour_plane_flag
  format.bitDepthLuma = 8 + reader.unsigned();
  format.bitDepthChroma = 8 + reader.unsigned();
  return format;
}

/**
 * How the pictures' samples map to colours (H.264 annex E.2.1, the same code points as
 * ISO/IEC 23091-2 and an MP4 nclx colr box).
 */
export interface SpsColour {
  /** video_full_range_flag: luma 0-255 rather than 16-235. */
  fullRange: boolean;
  /** colour_primaries, e.g. 1 for BT.709 (sRGB's primaries); 2 when not given. */
  colourPrimaries: number;
  /** transfer_characteristics, e.g. 13 for sRGB (IEC 61966-2-1); 2 when not given. */
  transferCharacteristics: number;
  /** matrix_coefficients, e.g. 6 for BT.601 (SMPTE 170M), 1 for BT.709; 2 when not given. */
  matrixCoefficients: number;
}

/** "Unspecified", the code point of a colour field the VUI leaves out (annex E.2.1). */
const UNSPECIFIED = 2;
/** aspect_ratio_idc for a sample aspect ratio given as two 16-bit numbers (table E-1). */
const EXTENDED_SAR = 255;

/** Skips a scaling_list() of `size` entries (7.3.2.1.1.1): only delta_scale is coded, and only while the next scale is not 0. */
function skipScalingList(reader: RbspReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) nextScale = (lastScale + reader.signed() + 256) % 256;
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/**
 * The colour description of an SPS NAL unit (header byte first, no start code): undefined when
 * it has no VUI or its VUI has no video_signal_type (the stream then says nothing about colour).
 */
export function readSpsColour(sps: Uint8Array): SpsColour | undefined {
  const format = readSpsFormat(sps);
  const reader = new RbspReader(sps, 4, 'its VUI colour description');
  reader.unsigned(); // seq_parameter_set_id
  if (PROFILES_WITH_CHROMA_INFO.has(format.profileIdc)) {
    const chromaFormatIdc = reader.unsigned();
    if (chromaFormatIdc === 3) reader.flag(); // separate_colour_plane_flag
    reader.unsigned(); // bit_depth_luma_minus8
    reader.unsigned(); // bit_depth_chroma_minus8
    reader.flag(); // qpprime_y_zero_transform_bypass_flag
    if (reader.flag()) {
      // seq_scaling_matrix_present_flag: 6 lists of 4x4, then 2 (6 for 4:4:4) of 8x8.
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (reader.flag()) skipScalingList(reader, i < 6 ? 16 : 64);
    }
  }
  reader.unsigned(); // log2_max_frame_num_minus4
  const picOrderCntType = reader.unsigned();
  if (picOrderCntType === 0) {
    reader.unsigned(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    reader.flag(); // delta_pic_order_always_zero_flag
    reader.signed(); // offset_for_non_ref_pic
    reader.signed(); // offset_for_top_to_bottom_field
    const cycle = reader.unsigned(); // num_ref_frames_in_pic_order_cnt_cycle
    for (let i = 0; i < cycle; i++) reader.signed(); // offset_for_ref_frame
  }
  reader.unsigned(); // max_num_ref_frames
  reader.flag(); // gaps_in_frame_num_value_allowed_flag
  reader.unsigned(); // pic_width_in_mbs_minus1
  reader.unsigned(); // pic_height_in_map_units_minus1
  if (!reader.flag()) reader.flag(); // frame_mbs_only_flag, else mb_adaptive_frame_field_flag
  reader.flag(); // direct_8x8_inference_flag
  if (reader.flag()) {
    // frame_cropping_flag: left, right, top, bottom offsets.
    for (let i = 0; i < 4; i++) reader.unsigned();
  }
  if (!reader.flag()) return undefined; // vui_parameters_present_flag
  if (reader.flag() && reader.bits(8) === EXTENDED_SAR) {
    // aspect_ratio_info_present_flag, aspect_ratio_idc; then sar_width, sar_height.
    reader.bits(16);
    reader.bits(16);
  }
  if (reader.flag()) reader.flag(); // overscan_info_present_flag, overscan_appropriate_flag
  if (!reader.flag()) return undefined; // video_signal_type_present_flag
  reader.bits(3); // video_format
  const fullRange = reader.flag();
  if (!reader.flag()) {
    // colour_description_present_flag
    return { fullRange, colourPrimaries: UNSPECIFIED, transferCharacteristics: UNSPECIFIED, matrixCoefficients: UNSPECIFIED };
  }
  return { fullRange, colourPrimaries: reader.bits(8), transferCharacteristics: reader.bits(8), matrixCoefficients: reader.bits(8) };
}
