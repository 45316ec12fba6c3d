/**
 * Packaging H.264 NAL units for MP4 and for browsers (ISO/IEC 14496-15, "AVC file format"):
 * length-prefixed samples, the avcC record and the RFC 6381 codec string; plus Annex-B for raw
 * .h264 files. Pure functions over bytes.
 */
import { FieldError } from '../../core/field-error';
import { readSpsFormat } from './sps';

/** nal_unit_type values (ITU-T H.264 table 7-1) this layer looks at. */
export const NalUnitType = {
  nonIdrSlice: 1,
  /** Coded slice of an IDR picture: an access unit holding one is a keyframe (sync sample). */
  idrSlice: 5,
  sei: 6,
  sequenceParameterSet: 7,
  pictureParameterSet: 8,
  accessUnitDelimiter: 9,
} as const;

/** NAL units are prefixed by 4-byte big-endian lengths in samples (avcC lengthSizeMinusOne = 3). */
export const AVCC_LENGTH_SIZE = 4;

const ANNEX_B_START_CODE = Buffer.from([0, 0, 0, 1]);
/**
 * Baseline, Main and Extended: the profiles whose avcC ends after the PPS list. For every other
 * profile the record goes on with chroma_format and bit depths, as 14496-15 5.3.3.1.2 and ffmpeg
 * write it.
 */
const PROFILES_WITHOUT_AVCC_EXTENSION = new Set([66, 77, 88]);
/** Each parameter set is stored in avcC after a 16-bit length. */
const MAX_PARAMETER_SET_LENGTH = 0xffff;

/** The nal_unit_type of a NAL unit (without start code): the low 5 bits of its header byte. */
export function nalUnitType(nal: Uint8Array): number {
  if (nal.length === 0) throw new FieldError('nal', 'must hold at least its header byte; got 0 bytes.');
  return nal[0] & 0x1f;
}

/**
 * One MP4 sample from an access unit's NAL units: each prefixed by its 4-byte length. SPS and
 * PPS are dropped because the track's avcC carries them (the encoder keeps them constant), and
 * so are access unit delimiters, which 14496-15 keeps out of samples.
 */
export function avccSample(nalUnits: readonly Uint8Array[]): Buffer {
  const kept = nalUnits.filter((nal) => {
    const type = nalUnitType(nal);
    return (
      type !== NalUnitType.sequenceParameterSet && type !== NalUnitType.pictureParameterSet && type !== NalUnitType.accessUnitDelimiter
    );
  });
  const sample = Buffer.allocUnsafe(kept.reduce((total, nal) => total + AVCC_LENGTH_SIZE + nal.length, 0));
  let offset = 0;
  for (const nal of kept) {
    offset = sample.writeUInt32BE(nal.length, offset);
    sample.set(nal, offset);
    offset += nal.length;
  }
  return sample;
}

/** An Annex-B byte stream (each NAL unit after 00 00 00 01), as raw .h264 files and ffmpeg take it. */
export function annexB(nalUnits: readonly Uint8Array[]): Buffer {
  return Buffer.concat(nalUnits.flatMap((nal) => [ANNEX_B_START_CODE, nal]));
}

/** An SPS needs its header byte plus profile_idc, the constraint flags and level_idc. */
const MIN_SPS_LENGTH = 4;
/** A PPS is its header byte and at least one byte of payload. */
const MIN_PPS_LENGTH = 2;

function checkParameterSet(nal: unknown, field: string, type: number, minLength: number): Uint8Array {
  if (!(nal instanceof Uint8Array)) throw new FieldError(field, `must be a Uint8Array.`);
  if (nal.length < minLength || nal.length > MAX_PARAMETER_SET_LENGTH) {
    throw new FieldError(field, `must be from ${minLength} to ${MAX_PARAMETER_SET_LENGTH} bytes long; got ${nal.length}.`);
  }
  if ((nal[0] & 0x80) !== 0 || nalUnitType(nal) !== type) {
    throw new FieldError(
      field,
      `must be a NAL unit of type ${type} without start code; its first byte is 0x${nal[0].toString(16).padStart(2, '0')}.`,
    );
  }
  return nal;
}

/**
 * The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1): the payload of an `avcC` box,
 * without the box header, for one SPS and one PPS (raw NAL units, no start codes). Also the
 * `description` a WebCodecs VideoDecoder takes for length-prefixed input.
 */
export function avcDecoderConfigurationRecord(sps: Uint8Array, pps: Uint8Array): Buffer {
  checkParameterSet(sps, 'sps', NalUnitType.sequenceParameterSet, MIN_SPS_LENGTH);
  checkParameterSet(pps, 'pps', NalUnitType.pictureParameterSet, MIN_PPS_LENGTH);
  const format = readSpsFormat(sps);
  const extension = !PROFILES_WITHOUT_AVCC_EXTENSION.has(format.profileIdc);
  const record = Buffer.alloc(6 + 2 + sps.length + 1 + 2 + pps.length + (extension ? 4 : 0));
  let offset = 0;
  offset = record.writeUInt8(1, offset); // configurationVersion
  offset = record.writeUInt8(format.profileIdc, offset); // AVCProfileIndication
  offset = record.writeUInt8(format.constraintFlags, offset); // profile_compatibility
  offset = record.writeUInt8(format.levelIdc, offset); // AVCLevelIndication
  offset = record.writeUInt8(0xfc | (AVCC_LENGTH_SIZE - 1), offset); // 6 reserved bits, lengthSizeMinusOne
  offset = record.writeUInt8(0xe0 | 1, offset); // 3 reserved bits, numOfSequenceParameterSets
  offset = record.writeUInt16BE(sps.length, offset);
  record.set(sps, offset);
  offset += sps.length;
  offset = record.writeUInt8(1, offset); // numOfPictureParameterSets
  offset = record.writeUInt16BE(pps.length, offset);
  record.set(pps, offset);
  offset += pps.length;
  if (extension) {
    offset = record.writeUInt8(0xfc | format.chromaFormatIdc, offset);
    offset = record.writeUInt8(0xf8 | (format.bitDepthLuma - 8), offset);
    offset = record.writeUInt8(0xf8 | (format.bitDepthChroma - 8), offset);
    record.writeUInt8(0, offset); // numOfSequenceParameterSetExt
  }
  return record;
}

/**
 * The RFC 6381 codecs parameter ("avc1.42c01f": profile, constraint flags, level in hex), as
 * MediaSource.isTypeSupported, canPlayType and WebCodecs' VideoDecoder.configure expect it.
 */
export function avcCodecString(sps: Uint8Array): string {
  checkParameterSet(sps, 'sps', NalUnitType.sequenceParameterSet, MIN_SPS_LENGTH);
  const hex = (byte: number) => byte.toString(16).padStart(2, '0');
  return `avc1.${hex(sps[1])}${hex(sps[2])}${hex(sps[3])}`;
}
