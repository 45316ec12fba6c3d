import { FieldError } from '../../core/field-error';
import { AVCC_LENGTH_SIZE, NalUnitType, nalUnitType } from '../../codec/h264/avc';

/**
 * Checks the framing of one H.264 sample as the MP4 track stores it ("AVCC"): NAL units each
 * prefixed by a 4-byte big-endian length, with the parameter sets kept out (they live in the
 * avcC box). Only the NAL headers are read, so the cost is one step per NAL unit, not per byte.
 */

export interface AvccSampleInfo {
  /** Number of NAL units in the sample. */
  nalUnitCount: number;
  /** True when the sample holds an IDR slice, i.e. decoding can start here. */
  hasIdrSlice: boolean;
}

/**
 * True when `bytes` begins with an Annex-B start code. Valid AVCC can begin the same way (a
 * 256-byte NAL unit's length is 00 00 01 00), so this only explains a sample that failed to parse.
 */
function startsWithStartCode(bytes: Uint8Array): boolean {
  return bytes[0] === 0 && bytes[1] === 0 && (bytes[2] === 1 || (bytes[2] === 0 && bytes[3] === 1));
}

/** Walks the length prefixes; returns what is wrong (a reason, for a FieldError), or the sample's facts. */
function walk(data: Uint8Array): AvccSampleInfo | string {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  let nalUnitCount = 0;
  let hasIdrSlice = false;
  while (offset < data.length) {
    if (offset + AVCC_LENGTH_SIZE > data.length) {
      return `ends with a truncated NAL unit length at byte ${offset}.`;
    }
    const length = view.getUint32(offset);
    const start = offset + AVCC_LENGTH_SIZE;
    if (length === 0 || start + length > data.length) {
      return `has a NAL unit length of ${length} at byte ${offset}, which does not fit the ${data.length}-byte sample.`;
    }
    const nal = data.subarray(start, start + length);
    if ((nal[0] & 0x80) !== 0) return `has a NAL unit with the forbidden_zero_bit set at byte ${start}.`;
    const type = nalUnitType(nal);
    if (type === NalUnitType.sequenceParameterSet || type === NalUnitType.pictureParameterSet) {
      return `must not contain SPS or PPS NAL units (found type ${type}): they belong in the avcC.`;
    }
    if (type === NalUnitType.idrSlice) hasIdrSlice = true;
    nalUnitCount++;
    offset = start + length;
  }
  return { nalUnitCount, hasIdrSlice };
}

/** Validates `data` as an AVCC sample; throws a FieldError naming `field` when it is not one. */
export function checkAvccSample(data: Uint8Array, field: string): AvccSampleInfo {
  if (data.length === 0) throw new FieldError(field, 'must not be empty.');
  const result = walk(data);
  if (typeof result === 'string') {
    if (startsWithStartCode(data)) {
      throw new FieldError(field, `must be AVCC (4-byte length-prefixed NAL units), not Annex-B (it starts with a start code).`);
    }
    throw new FieldError(field, result);
  }
  return result;
}
