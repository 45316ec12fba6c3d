import { serialise } from './mp4-box-serialiser';

/**
 * The movie fragment random access box (`mfra`, ISO/IEC 14496-12 section 8.8.9) written at the end
 * of a finished file: a `tfra` listing, for the video track, the time and file offset of every
 * fragment that starts with a keyframe, then `mfro` giving the size of the whole `mfra` so a
 * reader can find it from the end of the file. Players use it to seek without scanning every
 * fragment.
 *
 * mp4box 2.4 can parse `tfra` and `mfro` but has no writer for them, so they are written here with
 * the same DataStream API its writers use.
 */

/** tfra version 1: 64-bit times and offsets, so neither long recordings nor big files overflow. */
const TFRA_VERSION = 1;
/**
 * length_size_of_traf_num, _trun_num and _sample_num all 0: each number is stored in one byte
 * (each entry points at traf 1, trun 1, sample 1 of its fragment).
 */
const TFRA_LENGTH_SIZES = 0;
const FIRST = 1;
/** Full box header (size, fourcc, version, flags), and the fixed tfra and mfro fields. */
const FULL_BOX_HEADER_SIZE = 12;
const BOX_HEADER_SIZE = 8;
const TFRA_FIXED_SIZE = FULL_BOX_HEADER_SIZE + 4 + 4 + 4;
const TFRA_ENTRY_SIZE = 8 + 8 + 1 + 1 + 1;
const MFRO_SIZE = FULL_BOX_HEADER_SIZE + 4;

export interface RandomAccessPoint {
  /** Decode (= presentation) time of the fragment's first sample, in track ticks. */
  timeTicks: number;
  /** Offset of the fragment's `moof` from the start of the file. */
  moofOffset: number;
}

/** Builds `mfra` (`tfra` + `mfro`) for one track. */
export function buildRandomAccessIndex(trackId: number, points: readonly RandomAccessPoint[]): Uint8Array {
  const tfraSize = TFRA_FIXED_SIZE + TFRA_ENTRY_SIZE * points.length;
  const mfraSize = BOX_HEADER_SIZE + tfraSize + MFRO_SIZE;
  return serialise((stream) => {
    stream.writeUint32(mfraSize);
    stream.writeString('mfra', undefined, 4);

    stream.writeUint32(tfraSize);
    stream.writeString('tfra', undefined, 4);
    stream.writeUint8(TFRA_VERSION);
    stream.writeUint24(0);
    stream.writeUint32(trackId);
    stream.writeUint32(TFRA_LENGTH_SIZES);
    stream.writeUint32(points.length);
    for (const point of points) {
      stream.writeUint64(point.timeTicks);
      stream.writeUint64(point.moofOffset);
      stream.writeUint8(FIRST); // traf_number
      stream.writeUint8(FIRST); // trun_number
      stream.writeUint8(FIRST); // sample_number
    }

    stream.writeUint32(MFRO_SIZE);
    stream.writeString('mfro', undefined, 4);
    stream.writeUint8(0);
    stream.writeUint24(0);
    stream.writeUint32(mfraSize);
  });
}
