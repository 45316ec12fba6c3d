import { BoxParser, DataStream } from 'mp4box';
import { readSpsColour } from '../../codec/h264/sps';
import { serialise, serialiseBoxes } from './mp4-box-serialiser';

/**
 * The initialisation segment of a fragmented MP4 holding one H.264 video track: `ftyp` then a
 * `moov` whose sample tables are empty (the samples live in the fragments) and whose `mvex`
 * announces the fragments. Built with mp4box's box classes and writers: these boxes are plain
 * fields, which mp4box serialises well.
 *
 * The durations (mvhd, tkhd, mdhd, mehd) are unknown while recording and written as 0; on finish
 * the writer builds the segment again with the real duration and overwrites it in place. That
 * only works if the bytes keep their length, so every box with a duration is written at version 1
 * (64-bit times) whatever the value: mp4box would otherwise switch versions on its own once a
 * duration passes 2^32 ticks (13 hours at 90 kHz).
 */

const { box, sampleEntry } = BoxParser;

/** 16.16 fixed-point 1.0 for rates, and the identity transformation matrix of every header. */
const FIXED_ONE = 0x00010000;
const IDENTITY_MATRIX = Int32Array.of(FIXED_ONE, 0, 0, 0, FIXED_ONE, 0, 0, 0, 0x40000000);
/** ISO 639-2 "und" packed in three 5-bit letters, as mdhd stores a language. */
const LANGUAGE_UNDETERMINED = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);
/** tkhd flags: track_enabled | track_in_movie. */
const TRACK_ENABLED_IN_MOVIE = 0x3;
/** vmhd flags must be 1 (ISO/IEC 14496-12 section 12.1.2). */
const VMHD_FLAGS = 0x1;
/** 72 dpi in 16.16, the resolution every visual sample entry declares. */
const RESOLUTION_72_DPI = 72 * FIXED_ONE;
/** Colour with no alpha, the only depth value the spec allows for a visual sample entry. */
const DEPTH_COLOUR = 0x18;
/**
 * Brands: isom/iso5/iso6 for the fragment features used (default-base-is-moof, tfdt), avc1 for
 * the codec, mp41 so that older players accept the file.
 */
const MAJOR_BRAND = 'isom';
const COMPATIBLE_BRANDS = ['isom', 'iso5', 'iso6', 'avc1', 'mp41'];

export interface InitSegmentParams {
  /** Picture size in pixels, as the SPS encodes it. */
  width: number;
  height: number;
  /** Ticks per second of the movie and of the track (one timescale for both). */
  timescale: number;
  trackId: number;
  /** The avcC payload (an AVCDecoderConfigurationRecord). */
  avcDecoderConfig: Uint8Array;
  /** The whole file's duration in ticks, or 0 while it is unknown. */
  durationTicks: number;
}

/** `ftyp`: the file type and the brands a reader needs to support. */
function ftyp() {
  const ftyp = new box.ftyp();
  ftyp.major_brand = MAJOR_BRAND;
  ftyp.minor_version = 0x200;
  ftyp.compatible_brands = COMPATIBLE_BRANDS;
  return ftyp;
}

/** `mvhd`: movie timescale, duration, and the next free track id. */
function mvhd(params: InitSegmentParams) {
  const mvhd = new box.mvhd();
  mvhd.version = 1;
  mvhd.creation_time = 0;
  mvhd.modification_time = 0;
  mvhd.timescale = params.timescale;
  mvhd.duration = params.durationTicks;
  mvhd.rate = FIXED_ONE;
  mvhd.volume = 1;
  mvhd.matrix = IDENTITY_MATRIX;
  mvhd.next_track_id = params.trackId + 1;
  return mvhd;
}

/** `tkhd`: track id, duration and presentation size (16.16 fixed point). */
function tkhd(params: InitSegmentParams) {
  const tkhd = new box.tkhd();
  tkhd.version = 1;
  tkhd.flags = TRACK_ENABLED_IN_MOVIE;
  tkhd.creation_time = 0;
  tkhd.modification_time = 0;
  tkhd.track_id = params.trackId;
  tkhd.duration = params.durationTicks;
  tkhd.layer = 0;
  tkhd.alternate_group = 0;
  tkhd.volume = 0;
  tkhd.matrix = IDENTITY_MATRIX;
  tkhd.width = params.width * FIXED_ONE;
  tkhd.height = params.height * FIXED_ONE;
  return tkhd;
}

/** `mdhd`: media timescale and duration. */
function mdhd(params: InitSegmentParams) {
  const mdhd = new box.mdhd();
  mdhd.version = 1;
  mdhd.creation_time = 0;
  mdhd.modification_time = 0;
  mdhd.timescale = params.timescale;
  mdhd.duration = params.durationTicks;
  mdhd.language = LANGUAGE_UNDETERMINED;
  return mdhd;
}

/** `hdlr`: this is a video track. */
function hdlr() {
  const hdlr = new box.hdlr();
  hdlr.handler = 'vide';
  hdlr.name = 'VideoHandler';
  return hdlr;
}

/** `vmhd`: the video media header (no fields of interest). */
function vmhd() {
  const vmhd = new box.vmhd();
  vmhd.flags = VMHD_FLAGS;
  vmhd.graphicsmode = 0;
  vmhd.opcolor = [0, 0, 0];
  return vmhd;
}

/** `dinf`/`dref`/`url `: the media data is in this file. */
function dinf() {
  const dinf = new box.dinf();
  const dref = dinf.addBox(new box.dref());
  dref.entries = [];
  dref.addEntry(new box['url ']());
  return dinf;
}

/** `avcC`: the decoder configuration, parsed into mp4box's box from our record bytes. */
function avcC(record: Uint8Array) {
  const avcC = new box.avcC(record.length);
  avcC.hdr_size = 0;
  avcC.parse(new DataStream(record.slice().buffer));
  return avcC;
}

/**
 * `colr` (nclx, ISO/IEC 14496-12 12.1.5): the colour description of the stream's SPS, repeated
 * where players that read the container look for it; none when the SPS says nothing about colour
 * (a player would then guess, as it would from the stream). mp4box parses this box but cannot
 * write it, so its payload is written here and mp4box adds the header.
 */
function colr(avcC: InstanceType<typeof box.avcC>) {
  const colour = avcC.SPS.length > 0 ? readSpsColour(avcC.SPS[0].data) : undefined;
  if (!colour) return undefined;
  const colr = new box.colr();
  colr.data = serialise((stream) => {
    stream.writeString('nclx', undefined, 4);
    stream.writeUint16(colour.colourPrimaries);
    stream.writeUint16(colour.transferCharacteristics);
    stream.writeUint16(colour.matrixCoefficients);
    stream.writeUint8(colour.fullRange ? 0x80 : 0); // full_range_flag, then 7 reserved bits
  });
  return colr;
}

/** `avc1`: the H.264 sample entry, with the picture size, the avcC and the colours. */
function avc1(params: InitSegmentParams) {
  const avc1 = new sampleEntry.avc1();
  avc1.data_reference_index = 1;
  avc1.width = params.width;
  avc1.height = params.height;
  avc1.horizresolution = RESOLUTION_72_DPI;
  avc1.vertresolution = RESOLUTION_72_DPI;
  avc1.frame_count = 1;
  avc1.compressorname = '';
  avc1.depth = DEPTH_COLOUR;
  const config = avc1.addBox(avcC(params.avcDecoderConfig));
  const colours = colr(config);
  if (colours) avc1.addBox(colours);
  return avc1;
}

/** `stbl`: one sample description and empty sample tables (all samples are in fragments). */
function stbl(params: InitSegmentParams) {
  const stbl = new box.stbl();
  const stsd = stbl.addBox(new box.stsd());
  stsd.entries = [];
  stsd.addEntry(avc1(params));
  const stts = stbl.addBox(new box.stts());
  stts.sample_counts = [];
  stts.sample_deltas = [];
  const stsc = stbl.addBox(new box.stsc());
  stsc.first_chunk = [];
  stsc.samples_per_chunk = [];
  stsc.sample_description_index = [];
  const stsz = stbl.addBox(new box.stsz());
  stsz.sample_size = 0;
  stsz.sample_sizes = [];
  const stco = stbl.addBox(new box.stco());
  stco.chunk_offsets = [];
  return stbl;
}

/** `trak`: the one video track. */
function trak(params: InitSegmentParams) {
  const trak = new box.trak();
  trak.addBox(tkhd(params));
  const mdia = trak.addBox(new box.mdia());
  mdia.addBox(mdhd(params));
  mdia.addBox(hdlr());
  const minf = mdia.addBox(new box.minf());
  minf.addBox(vmhd());
  minf.addBox(dinf());
  minf.addBox(stbl(params));
  return trak;
}

/** `mvex`: the movie is fragmented; `mehd` gives its total duration, `trex` the track defaults. */
function mvex(params: InitSegmentParams) {
  const mvex = new box.mvex();
  const mehd = mvex.addBox(new box.mehd());
  mehd.version = 1;
  mehd.fragment_duration = params.durationTicks;
  const trex = mvex.addBox(new box.trex());
  trex.track_id = params.trackId;
  trex.default_sample_description_index = 1;
  trex.default_sample_duration = 0;
  trex.default_sample_size = 0;
  trex.default_sample_flags = 0;
  return mvex;
}

/** `moov`: the movie header, the track, then the fragment announcement. */
function moov(params: InitSegmentParams) {
  const moov = new box.moov();
  moov.addBox(mvhd(params));
  moov.addBox(trak(params));
  moov.addBox(mvex(params));
  return moov;
}

/** Builds `ftyp` + `moov`. The length does not depend on `durationTicks`. */
export function buildInitSegment(params: InitSegmentParams): Uint8Array {
  return serialiseBoxes([ftyp(), moov(params)]);
}
