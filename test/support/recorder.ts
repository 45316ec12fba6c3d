/** A real server on a synthetic desktop for recorder tests, and ffprobe/ffmpeg readers of the output. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CaptureClient } from '../../src/clients';
import { CaptureServer } from '../../src/server';
import { SyntheticDesktop } from '../../src/sources';
import { quietLogger } from './fixture';

const run = promisify(execFile);

export class DesktopServer {
  private constructor(
    readonly server: CaptureServer,
    readonly desktop: SyntheticDesktop,
    readonly client: CaptureClient,
  ) {}

  /** The synthetic desktop at `width` x `height` on the real 60 Hz clock. */
  static async start(width = 320, height = 240): Promise<DesktopServer> {
    const desktop = new SyntheticDesktop({ width, height });
    const server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: 60, logger: quietLogger });
    return new DesktopServer(server, desktop, new CaptureClient({ address: server.address }));
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.server.stop(500);
  }
}

export async function temporaryDirectory(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'screencap-recorder-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface ProbedVideo {
  codec: string;
  width: number;
  height: number;
  durationS: number;
  /** Presentation times of the packets, in seconds, in file order. */
  ptsS: number[];
  keyframes: number;
  /** Whether each packet is a keyframe, in file order. */
  isKeyframe: boolean[];
}

export async function probe(path: string): Promise<ProbedVideo> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', '-show_packets', '-select_streams', 'v:0', path],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const json = JSON.parse(stdout) as {
    streams: { codec_name: string; width: number; height: number }[];
    format: { duration: string };
    packets: { pts_time: string; flags: string }[];
  };
  const stream = json.streams[0];
  return {
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    durationS: Number(json.format.duration),
    ptsS: json.packets.map((packet) => Number(packet.pts_time)),
    keyframes: json.packets.filter((packet) => packet.flags.startsWith('K')).length,
    isKeyframe: json.packets.map((packet) => packet.flags.startsWith('K')),
  };
}

/** Every frame of the video decoded to planar I420 (one frame per packet: no frame-rate conversion). */
export async function decodeI420(path: string, width: number, height: number): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
    {
      encoding: 'buffer',
      maxBuffer: 1024 * 1024 * 1024,
    },
  );
  const size = (width * height * 3) / 2;
  const frames: Buffer[] = [];
  for (let offset = 0; offset + size <= stdout.length; offset += size) frames.push(stdout.subarray(offset, offset + size));
  return frames;
}

/** Packed RGBA to I420 with ffmpeg (BT.601 limited range, as decodeI420 gives the recording's full range back). */
export async function rgbaToI420(rgba: Buffer, width: number, height: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgba',
        '-s',
        `${width}x${height}`,
        '-i',
        '-',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-',
      ],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin!.end(rgba);
  });
}

/**
 * Peak signal-to-noise ratio over all bytes of two same-sized images, in dB. Measured on I420
 * (what H.264 codes, and how encoder quality is usually quoted): in RGB, 4:2:0 chroma alone caps
 * the synthetic desktop's coloured text at about 37.5 dB before any encoding loss.
 */
export function psnr(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length, 'images of different sizes');
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    squared += d * d;
  }
  const mse = squared / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Packed RGBA copy of a frame's pixels. */
export function packedCopy(pixels: Buffer, width: number, height: number, stride: number): Buffer {
  const rowBytes = width * 4;
  const copy = Buffer.alloc(rowBytes * height);
  for (let row = 0; row < height; row++) pixels.copy(copy, row * rowBytes, row * stride, row * stride + rowBytes);
  return copy;
}
