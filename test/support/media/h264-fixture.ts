import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real H.264 for the muxer tests: encoded by the system ffmpeg from its test pattern, then split
 * into access units and converted to what the recorder hands the writer (SPS/PPS apart, samples
 * as AVCC).
 */

const run = promisify(execFile);

export interface AccessUnit {
  /** NAL units with 4-byte lengths, without SPS, PPS or access unit delimiters. */
  avcc: Uint8Array;
  isKeyframe: boolean;
}

export interface H264Fixture {
  /** The raw Annex-B stream ffmpeg wrote. */
  annexBPath: string;
  width: number;
  height: number;
  sps: Uint8Array;
  pps: Uint8Array;
  accessUnits: AccessUnit[];
}

export interface EncodeOptions {
  width: number;
  height: number;
  frames: number;
  /** Keyframe interval in frames. */
  gop: number;
  /** x264 profile; baseline matches what openh264 produces. */
  profile?: 'baseline' | 'main' | 'high';
}

const NAL_IDR = 5;
const NAL_SEI = 6;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;

/** Encodes the lavfi test pattern with libx264 (no B-frames) into `directory`, and splits it. */
export async function encodeTestVideo(directory: string, options: EncodeOptions): Promise<H264Fixture> {
  const annexBPath = join(directory, `testsrc-${options.width}x${options.height}-${options.frames}-g${options.gop}.h264`);
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${options.width}x${options.height}:rate=30`,
    '-frames:v',
    String(options.frames),
    '-c:v',
    'libx264',
    '-profile:v',
    options.profile ?? 'baseline',
    '-bf',
    '0',
    '-g',
    String(options.gop),
    '-keyint_min',
    String(options.gop),
    '-sc_threshold',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-f',
    'h264',
    annexBPath,
  ]);
  return { annexBPath, width: options.width, height: options.height, ...splitAnnexB(await readFile(annexBPath)) };
}

/** The NAL units of an Annex-B byte stream, without their start codes. */
export function annexBNalUnits(stream: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      // A 4-byte start code's leading zero is not part of the previous NAL unit.
      ends.push(i > 0 && stream[i - 1] === 0 ? i - 1 : i);
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((start, index) => stream.subarray(start, index + 1 < starts.length ? ends[index + 1] : stream.length));
}

function isFirstSliceOfPicture(nal: Uint8Array): boolean {
  // first_mb_in_slice is the first ue(v) of the slice header; it is 0 (bit '1') for a new picture.
  return (nal[1] & 0x80) !== 0;
}

/** Splits an Annex-B stream into SPS, PPS and AVCC access units (one slice per picture assumed). */
export function splitAnnexB(stream: Uint8Array): Pick<H264Fixture, 'sps' | 'pps' | 'accessUnits'> {
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  const units: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let currentHasSlice = false;
  const flush = () => {
    if (current.length > 0) units.push(current);
    current = [];
    currentHasSlice = false;
  };
  for (const nal of annexBNalUnits(stream)) {
    const type = nal[0] & 0x1f;
    const isSlice = type === 1 || type === NAL_IDR;
    const startsUnit = isSlice ? isFirstSliceOfPicture(nal) : type >= NAL_SEI && type <= NAL_AUD;
    if (startsUnit && currentHasSlice) flush();
    if (type === NAL_SPS) sps ??= nal.slice();
    else if (type === NAL_PPS) pps ??= nal.slice();
    else if (type !== NAL_AUD) current.push(nal);
    if (isSlice) currentHasSlice = true;
  }
  flush();
  if (sps === undefined || pps === undefined) throw new Error('The stream has no SPS or PPS.');
  const accessUnits = units.map((nals) => ({
    avcc: toAvcc(nals),
    isKeyframe: nals.some((nal) => (nal[0] & 0x1f) === NAL_IDR),
  }));
  return { sps, pps, accessUnits };
}

function toAvcc(nals: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(nals.reduce((total, nal) => total + 4 + nal.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const nal of nals) {
    view.setUint32(offset, nal.length);
    out.set(nal, offset + 4);
    offset += 4 + nal.length;
  }
  return out;
}
