/**
 * Frames to `frames/frame-000001.png`... (lossless, so pixel-exact), with `timestamps.txt`
 * appended as each frame lands (so it survives a crash) and, on a clean stop, `frames.ffconcat`
 * giving each frame its real duration for ffmpeg.
 */
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { CapturedFrame } from '../capture-session';
import type { FrameSink } from './frame-sink';

export const PNG_DIRECTORY_NAME = 'frames';
export const TIMESTAMPS_FILE_NAME = 'timestamps.txt';
export const FFCONCAT_FILE_NAME = 'frames.ffconcat';

export function pngFrameName(index: number): string {
  return `frame-${String(index).padStart(6, '0')}.png`;
}

/** Rows of `frame` without stride padding, as sharp's raw input wants. */
function packedPixels(frame: CapturedFrame): Buffer {
  const rowBytes = frame.width * 4;
  if (frame.stride === rowBytes) return frame.pixels.subarray(0, rowBytes * frame.height);
  const packed = Buffer.allocUnsafe(rowBytes * frame.height);
  for (let row = 0; row < frame.height; row++) frame.pixels.copy(packed, row * rowBytes, row * frame.stride, row * frame.stride + rowBytes);
  return packed;
}

export class PngFrameSink implements FrameSink {
  readonly path: string;
  private readonly timestampsPath: string;
  private readonly timestampsUs: number[] = [];
  private bytes = 0;
  private ready: Promise<void> | undefined;

  constructor(directory: string, folderName = PNG_DIRECTORY_NAME) {
    this.path = join(directory, folderName);
    this.timestampsPath = join(this.path, TIMESTAMPS_FILE_NAME);
  }

  get framesWritten(): number {
    return this.timestampsUs.length;
  }

  get bytesOnDisk(): number {
    return this.bytes;
  }

  async write(frame: CapturedFrame, timestampUs: number): Promise<boolean> {
    this.ready ??= mkdir(this.path, { recursive: true }).then(() => writeFile(this.timestampsPath, ''));
    await this.ready;
    if (frame.pixelFormat !== 'rgba8') throw new Error(`PNG recording needs rgba8 frames, got ${frame.pixelFormat}.`);
    const name = pngFrameName(this.timestampsUs.length + 1);
    // sharp encodes on its own thread pool, off the event loop.
    const info = await sharp(packedPixels(frame), { raw: { width: frame.width, height: frame.height, channels: 4 } })
      .png()
      .toFile(join(this.path, name));
    const line = `${name} ${(timestampUs / 1e6).toFixed(6)}\n`;
    await appendFile(this.timestampsPath, line);
    this.bytes += info.size + line.length;
    this.timestampsUs.push(timestampUs);
    return true;
  }

  /** Nothing to do: each frame and its timestamps line are written as the frame comes. */
  async flush(): Promise<void> {}

  async finish(stopTimeUs: number): Promise<void> {
    if (this.timestampsUs.length === 0) return;
    const lines = ['ffconcat version 1.0'];
    this.timestampsUs.forEach((start, i) => {
      const end = this.timestampsUs[i + 1] ?? stopTimeUs;
      lines.push(`file ${pngFrameName(i + 1)}`, `duration ${((end - start) / 1e6).toFixed(6)}`);
    });
    // The concat demuxer ignores the last entry's duration unless the file is listed once more.
    lines.push(`file ${pngFrameName(this.timestampsUs.length)}`, '');
    const path = join(this.path, FFCONCAT_FILE_NAME);
    await writeFile(path, lines.join('\n'));
    this.bytes += (await stat(path)).size;
  }
}
