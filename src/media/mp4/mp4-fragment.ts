import { BoxParser } from 'mp4box';
import { serialise } from './mp4-box-serialiser';

/**
 * One movie fragment of the video track: the `moof` describing the samples and the header of the
 * `mdat` that holds them. The sample bytes themselves are not copied here: the writer hands them
 * to the file right after these bytes, in the order given.
 *
 * mp4box writes `moof` and its children well (we use its classes and writers). Its `mdat` writer
 * would copy every sample into one buffer first, so the 8-byte `mdat` header is written here.
 */

const { box } = BoxParser;

/** tfhd: sample data offsets count from the start of the moof (the CMAF/MSE convention). */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/** trun flags: data offset present, and per-sample duration, size and flags. */
const TRUN_DATA_OFFSET_PRESENT = 0x000001;
const TRUN_SAMPLE_DURATION_PRESENT = 0x000100;
const TRUN_SAMPLE_SIZE_PRESENT = 0x000200;
const TRUN_SAMPLE_FLAGS_PRESENT = 0x000400;
/**
 * Sample flags (ISO/IEC 14496-12 section 8.8.3.1). A keyframe depends on no other sample
 * (sample_depends_on = 2) and is a sync sample; any other frame depends on earlier ones
 * (sample_depends_on = 1) and sets sample_is_non_sync_sample.
 */
const SAMPLE_FLAGS_KEYFRAME = 0x02000000;
const SAMPLE_FLAGS_DELTA_FRAME = 0x01010000;
/** A trun entry with the flags above: duration, size and flags, 32 bits each. */
const TRUN_SAMPLE_ENTRY_SIZE = 12;
/** Box header: 32-bit size and fourcc. */
const BOX_HEADER_SIZE = 8;
const MAX_BOX_SIZE = 0xffffffff;

/**
 * Where the moof's fourcc sits in the bytes buildFragmentHeader() returns, and the two values it
 * takes. The writer first writes a fragment as a `free` box and only then turns it into a `moof`
 * (see CrashSafeMp4File): readers skip a truncated `free` box, but ffmpeg (and so Chromium)
 * refuses a whole file whose last `moof` is cut short.
 */
export const MOOF_TYPE_OFFSET = 4;
export const MOOF_TYPE = new TextEncoder().encode('moof');
export const FREE_TYPE = new TextEncoder().encode('free');

export interface FragmentSample {
  /** Duration in track ticks; always at least 1. */
  durationTicks: number;
  /** Size of the sample's bytes in the mdat. */
  size: number;
  isKeyframe: boolean;
}

export interface FragmentParams {
  /** mfhd sequence number: 1 for the first fragment, then +1 each. */
  sequenceNumber: number;
  trackId: number;
  /** Decode time of the first sample, in track ticks from the start of the file. */
  baseMediaDecodeTimeTicks: number;
  samples: readonly FragmentSample[];
}

/** Builds `moof` + the `mdat` header. The sample bytes must follow, in `samples` order. */
export function buildFragmentHeader(params: FragmentParams): Uint8Array {
  const { samples } = params;
  if (samples.length === 0) throw new RangeError('A fragment needs at least one sample.');
  const payloadSize = samples.reduce((total, sample) => total + sample.size, 0);
  if (payloadSize + BOX_HEADER_SIZE > MAX_BOX_SIZE) {
    throw new RangeError(`A fragment's mdat cannot hold ${payloadSize} bytes (more than 4 GiB).`);
  }

  const moof = new box.moof();
  const mfhd = moof.addBox(new box.mfhd());
  mfhd.sequence_number = params.sequenceNumber;
  const traf = moof.addBox(new box.traf());
  const tfhd = traf.addBox(new box.tfhd());
  tfhd.flags = TFHD_DEFAULT_BASE_IS_MOOF;
  tfhd.track_id = params.trackId;
  const tfdt = traf.addBox(new box.tfdt());
  // Version 1 (64-bit) always: at 90 kHz a 32-bit decode time wraps after 13 hours.
  tfdt.version = 1;
  tfdt.baseMediaDecodeTime = params.baseMediaDecodeTimeTicks;
  const trun = traf.addBox(new box.trun());
  trun.version = 0;
  trun.flags = TRUN_DATA_OFFSET_PRESENT | TRUN_SAMPLE_DURATION_PRESENT | TRUN_SAMPLE_SIZE_PRESENT | TRUN_SAMPLE_FLAGS_PRESENT;
  trun.sample_count = samples.length;
  trun.data_offset = 0;
  trun.sample_duration = samples.map((sample) => sample.durationTicks);
  trun.sample_size = samples.map((sample) => sample.size);
  trun.sample_flags = samples.map((sample) => (sample.isKeyframe ? SAMPLE_FLAGS_KEYFRAME : SAMPLE_FLAGS_DELTA_FRAME));
  trun.sample_composition_time_offset = [];

  return serialise((stream) => {
    moof.write(stream);
    // The first sample starts right after the moof and the mdat header; the moof's size is
    // only known once written, so the offset is patched in afterwards (as mp4box itself does).
    stream.adjustUint32(trun.data_offset_position, moof.size + BOX_HEADER_SIZE);
    stream.writeUint32(payloadSize + BOX_HEADER_SIZE);
    stream.writeString('mdat', undefined, 4);
  });
}

/**
 * Where the last sample's duration sits in the bytes buildFragmentHeader() returns: the trun is
 * the moof's last box and the last sample's entry its last 12 bytes, duration first. The writer
 * rewrites it in place when a fragment written early (FragmentedMp4Writer.flush) learns how long
 * its last sample really lasts.
 */
export function lastSampleDurationOffset(header: Uint8Array): number {
  const moofSize = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(0);
  return moofSize - TRUN_SAMPLE_ENTRY_SIZE;
}
