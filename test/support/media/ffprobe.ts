import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** What the system's ffprobe and ffmpeg make of a file: the tools players are built on. */

const run = promisify(execFile);

export interface ProbedStream {
  codec_name: string;
  codec_tag_string: string;
  profile: string;
  width: number;
  height: number;
  pix_fmt: string;
  duration?: string;
  nb_read_frames?: string;
}

export interface ProbedFile {
  streams: ProbedStream[];
  format: { format_name: string; duration?: string };
}

export interface ProbedFrame {
  /** Presentation time in seconds, as ffprobe prints it (microsecond resolution). */
  pts_time: string;
  key_frame: number;
  pict_type: string;
  width: number;
  height: number;
}

async function ffprobeJson<T>(path: string, args: string[]): Promise<T> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args, path], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as T;
}

/** Streams (with a decoded-frame count) and format of a file. */
export function probeFile(path: string): Promise<ProbedFile> {
  return ffprobeJson<ProbedFile>(path, ['-count_frames', '-show_streams', '-show_format']);
}

/** Every decoded video frame, in presentation order, and the file's duration in seconds. */
export async function probeDecodedFrames(path: string): Promise<{ frames: ProbedFrame[]; duration?: string }> {
  const result = await ffprobeJson<{ frames?: ProbedFrame[]; format?: { duration?: string } }>(path, [
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=pts_time,key_frame,pict_type,width,height:format=duration',
    '-show_frames',
    '-show_format',
  ]);
  return { frames: result.frames ?? [], duration: result.format?.duration };
}

/** Every decoded video frame, in presentation order. */
export async function probeFrames(path: string): Promise<ProbedFrame[]> {
  return (await probeDecodedFrames(path)).frames;
}

/**
 * Decodes every frame with ffmpeg and returns what it reported at level "error" (empty when the
 * file decodes cleanly). Frames pass through with their own timestamps: the null muxer's default
 * constant frame rate would complain about our irregular ones.
 */
export async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await run('ffmpeg', [
    '-v',
    'error',
    '-nostdin',
    '-i',
    path,
    '-fps_mode',
    'passthrough',
    '-enc_time_base',
    '-1',
    '-f',
    'null',
    '-',
  ]);
  return stderr.trim();
}

/** MD5 of each decoded picture, in decode order: equal lists mean identical pictures. */
export async function framePictureHashes(path: string): Promise<string[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-nostdin', '-i', path, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-f', 'framemd5', '-'],
    { maxBuffer: 64 << 20 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());
}
