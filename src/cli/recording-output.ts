/**
 * Where `record --out` and `serve --record` write: a file (`talk.mp4`), or a directory, in which
 * each recording gets a new dated name (`screencap-2026-12-07_00-45-12.mp4`, or a `…-frames`
 * folder for PNG). Nothing is overwritten unless asked (`--force`, `-y`, as ffmpeg's -y).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RecordingFormat } from '../clients/recorder/recorder-options';
import { UsageError } from './command';

export interface RecordingOutput {
  outDir: string;
  fileName: string;
}

/** `2026-12-07_00-45-12`, local time: sorts by date, and is a valid name everywhere. */
function stamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}_${two(now.getHours())}-${two(now.getMinutes())}-${two(now.getSeconds())}`;
}

/**
 * The directory and name to record into, for `out` as the user gave it (`option` names it in
 * errors). A name ending in .mp4 is the file; anything else is a directory (created if missing).
 */
export function resolveRecordingOutput(
  out: string,
  option: string,
  format: RecordingFormat,
  force: boolean,
  now = new Date(),
): RecordingOutput {
  const isDirectory = existsSync(out) && statSync(out).isDirectory();
  if (!isDirectory && /\.mp4$/i.test(out)) {
    if (format === 'png')
      throw new UsageError(`--${option}: ${out} is an MP4 file name, but the format is png: name a directory for the PNG frames`);
    if (existsSync(out) && !force) {
      throw new UsageError(`--${option}: ${out} exists; add --force (-y) to overwrite it, or name another file`);
    }
    return { outDir: dirname(out), fileName: basename(out) };
  }
  const base = `screencap-${stamp(now)}${format === 'png' ? '-frames' : '.mp4'}`;
  let fileName = base;
  for (let n = 2; existsSync(`${out}/${fileName}`); n++) fileName = base.replace(/(-frames|\.mp4)$/, `-${n}$1`);
  return { outDir: out, fileName };
}
