/**
 * Test helpers around the real ffmpeg and ffprobe: source frames, decoding, probing, PSNR, and
 * reading back the byte formats the codec layer writes. Tests only: per-pixel loops are fine here.
 */
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');

/** Large enough for a few dozen raw frames on stdout. */
const MAX_BUFFER = 1 << 30;

/** `count` frames of ffmpeg's busy test pattern as packed pixels (pixFmt 'rgba', 'bgra', 'yuv420p'). */
export function testsrc2Frames(width: number, height: number, count: number, pixFmt = 'rgba', rate = 30): Buffer {
  return execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=${rate}`,
      '-frames:v',
      String(count),
      '-pix_fmt',
      pixFmt,
      '-f',
      'rawvideo',
      '-',
    ],
    { maxBuffer: MAX_BUFFER },
  );
}

/** Converts raw frames between pixel formats with ffmpeg (e.g. rgba -> yuv420p). */
export function convertRaw(frames: Buffer, width: number, height: number, from: string, to: string): Buffer {
  return execFileSync(
    'ffmpeg',
    ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', from, '-s', `${width}x${height}`, '-i', '-', '-pix_fmt', to, '-f', 'rawvideo', '-'],
    { input: frames, maxBuffer: MAX_BUFFER },
  );
}

/** Decodes a video file with ffmpeg into raw frames of `pixFmt`. */
export function decodeRaw(file: string, pixFmt: string): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-pix_fmt', pixFmt, '-f', 'rawvideo', '-'], { maxBuffer: MAX_BUFFER });
}

export interface ProbedStream {
  codecName: string;
  profile: string;
  width: number;
  height: number;
  frameCount: number;
  /** pict_type of each decoded frame ('I', 'P', ...). */
  pictTypes: string[];
  keyFrames: boolean[];
}

/** What ffprobe, decoding every frame, says about the first video stream of `file`. */
export function probe(file: string): ProbedStream {
  const out = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,profile,width,height,nb_read_frames:frame=pict_type,key_frame',
      '-of',
      'json',
      file,
    ],
    { maxBuffer: MAX_BUFFER },
  );
  const json = JSON.parse(out.toString()) as {
    streams: { codec_name: string; profile: string; width: number; height: number; nb_read_frames: string }[];
    frames: { pict_type: string; key_frame: number }[];
  };
  const stream = json.streams[0];
  return {
    codecName: stream.codec_name,
    profile: stream.profile,
    width: stream.width,
    height: stream.height,
    frameCount: Number(stream.nb_read_frames),
    pictTypes: json.frames.map((frame) => frame.pict_type),
    keyFrames: json.frames.map((frame) => frame.key_frame === 1),
  };
}

/** PSNR in dB between two equally sized byte arrays (Infinity when identical). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`psnr: ${a.length} bytes vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / sum);
}

/** Splits an Annex-B byte stream into NAL units (without start codes). */
export function splitAnnexB(stream: Uint8Array): Buffer[] {
  const starts: { at: number; length: number }[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      const four = i > 0 && stream[i - 1] === 0;
      starts.push({ at: four ? i - 1 : i, length: four ? 4 : 3 });
      i += 2;
    }
  }
  return starts.map((start, n) => {
    const end = n + 1 < starts.length ? starts[n + 1].at : stream.length;
    return Buffer.from(stream.subarray(start.at + start.length, end));
  });
}

/** The payload of the first `avcC` box in an MP4 file (found by its type, enough for ffmpeg's output). */
export function avcCPayload(mp4: Buffer): Buffer {
  const at = mp4.indexOf('avcC');
  if (at < 4) throw new Error('no avcC box');
  const size = mp4.readUInt32BE(at - 4);
  return mp4.subarray(at + 4, at - 4 + size);
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function temporaryDirectory(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'screencap-codec-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Swaps bytes 0 and 2 of every pixel: RGBA <-> BGRA. */
export function swapRedBlue(pixels: Buffer): Buffer {
  const out = Buffer.from(pixels);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = pixels[i + 2];
    out[i + 2] = pixels[i];
  }
  return out;
}
