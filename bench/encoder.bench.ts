/**
 * H.264 encoder benchmark: our path (src/codec's H264Encoder: libyuv RGBA -> I420 and openh264,
 * on a libuv worker thread, awaited frame by frame from JavaScript) against the plain C loop of
 * ../shared/bench/openh264-native.sh, on the same raw frames with the same settings (screen
 * content, 5 Mbit/s, 60 fps, 1 thread), in the same run.
 *
 * The frames are ffmpeg's testsrc2 (moving, colourful, with text: busy screen content), written
 * once to a temporary .rgba file that both paths read; both loop over the clip the same way.
 * "total" for our path is frames per second of the time JavaScript waits for encode() (thread
 * hand-off, promise and output buffers included); for the C loop it is frames over conversion +
 * encoding time. Both leave out reading the frame into the buffer that is encoded.
 * Each path runs ROUNDS times, alternating, and the best round counts: the machine is shared, and
 * the best round is the one least disturbed by others.
 *
 *   node dist/bench/encoder.bench.js [--frames N] [--rounds N]
 *
 * Prints a markdown table on stdout; progress goes to stderr. Exits 1 when a path failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { H264Encoder, isH264Available, nativeAddonStatus } from '../src/codec';

const RESOLUTIONS = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 720 },
] as const;
/** Distinct frames in the clip; longer runs loop over it (the C loop rewinds the same way). */
const CLIP_FRAMES = 30;
const DEFAULT_FRAMES = 60;
const DEFAULT_ROUNDS = 5;
const BITRATE_BPS = 5_000_000;
const FRAME_RATE = 60;
/** The C loop stamps frame i at i * 16 ms; ours does the same so that rate control sees the same clock. */
const FRAME_INTERVAL_MS = 16;
const REFERENCE_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'openh264-native.sh');

interface Measurement {
  convertFps: number;
  encodeFps: number;
  totalFps: number;
  kbPerFrame: number;
}

function log(message: string): void {
  process.stderr.write(`encoder.bench: ${message}\n`);
}

function parseArgs(argv: readonly string[]): { frames: number; rounds: number } {
  const options = { frames: DEFAULT_FRAMES, rounds: DEFAULT_ROUNDS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = Number(inline ?? argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`${flag} needs a positive integer`);
    if (flag === '--frames') options.frames = value;
    else if (flag === '--rounds') options.rounds = value;
    else throw new TypeError(`unknown option ${flag} (usage: --frames N --rounds N)`);
  }
  return options;
}

function writeClip(file: string, width: number, height: number): void {
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${FRAME_RATE}`,
    '-frames:v', String(CLIP_FRAMES), '-pix_fmt', 'rgba', '-f', 'rawvideo', file,
  ]);
}

async function measureOurs(clip: Buffer, width: number, height: number, frames: number): Promise<Measurement> {
  const frameBytes = width * height * 4;
  const frameAt = (i: number) => clip.subarray((i % CLIP_FRAMES) * frameBytes, (i % CLIP_FRAMES + 1) * frameBytes);
  const options = { width, height, usage: 'screen', bitrateBps: BITRATE_BPS, maxFrameRate: FRAME_RATE, threads: 1 } as const;
  // Warm up V8 and the thread pool on a throwaway encoder; the measured one starts fresh, like the C loop.
  const warm = new H264Encoder(options);
  for (let i = 0; i < 3; i++) await warm.encode(frameAt(i), { format: 'rgba8', timestampMs: i * FRAME_INTERVAL_MS });
  warm.close();

  const encoder = new H264Encoder(options);
  // Like the C loop's fread into one buffer, each frame is first copied into one staging buffer,
  // outside the timing: that is also what the frame scheduler's latch does before an encode, and
  // it leaves the frame in the CPU cache for both paths alike.
  const staging = Buffer.allocUnsafe(frameBytes);
  let convertMicros = 0;
  let encodeMicros = 0;
  let bytes = 0;
  let nanoseconds = 0n;
  for (let i = 0; i < frames; i++) {
    frameAt(i).copy(staging);
    const start = process.hrtime.bigint();
    const frame = await encoder.encode(staging, { format: 'rgba8', timestampMs: i * FRAME_INTERVAL_MS });
    nanoseconds += process.hrtime.bigint() - start;
    convertMicros += frame.convertMicros;
    encodeMicros += frame.encodeMicros;
    for (const nal of frame.nalUnits) bytes += nal.length;
  }
  const seconds = Number(nanoseconds) / 1e9;
  encoder.close();
  return {
    convertFps: frames / (convertMicros / 1e6),
    encodeFps: frames / (encodeMicros / 1e6),
    totalFps: frames / seconds,
    // Annex-B start codes (4 bytes a NAL unit) are in the C loop's count; AVCC length prefixes are the same size.
    kbPerFrame: bytes / 1024 / frames,
  };
}

function measureReference(clipFile: string, width: number, height: number, frames: number): Measurement {
  // stderr piped: openh264's parameter warnings would clutter the progress lines; on failure it is in the error.
  const out = execFileSync('bash', [REFERENCE_SCRIPT, clipFile, String(width), String(height), String(frames), 'screen', String(BITRATE_BPS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const match = /convert (\S+) fps, encode (\S+) fps, total (\S+) fps, (\S+) KB\/frame/.exec(out);
  if (!match) throw new Error(`unexpected output from ${REFERENCE_SCRIPT}: ${out.trim()}`);
  const [convertFps, encodeFps, totalFps, kbPerFrame] = match.slice(1).map(Number);
  return { convertFps, encodeFps, totalFps, kbPerFrame };
}

function openh264Version(): string {
  try {
    return execFileSync('pkg-config', ['--modversion', 'openh264']).toString().trim();
  } catch {
    return 'version unknown';
  }
}

function best(runs: readonly Measurement[]): Measurement {
  return runs.reduce((a, b) => (b.totalFps > a.totalFps ? b : a));
}

function row(resolution: string, label: string, m: Measurement, ratio: string): string {
  const ms = (fps: number) => 1000 / fps;
  // What is neither conversion nor encoding: for our path the hand-off to the worker thread and back.
  const rest = Math.max(0, ms(m.totalFps) - ms(m.convertFps) - ms(m.encodeFps));
  return `| ${resolution} | ${label} | ${ms(m.convertFps).toFixed(2)} | ${ms(m.encodeFps).toFixed(2)} | ${rest.toFixed(2)} | - | ${m.totalFps.toFixed(1)} | ${m.kbPerFrame.toFixed(1)} | ${ratio} |`;
}

async function main(): Promise<number> {
  const { frames, rounds } = parseArgs(process.argv.slice(2));
  if (!isH264Available()) {
    const status = nativeAddonStatus();
    log(`H.264 unavailable: ${status.available ? '' : status.reason}`);
    return 1;
  }
  const haveReference = fs.existsSync(REFERENCE_SCRIPT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'screencap-encoder-bench-'));
  const lines = [
    `## Encoder: H.264 (openh264 ${openh264Version()}, screen content, ${BITRATE_BPS / 1e6} Mbit/s, ${FRAME_RATE} fps, 1 thread)`,
    '',
    `${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, Node ${process.version}; ` +
      `testsrc2, ${frames} frames a run (a ${CLIP_FRAMES}-frame clip looped), best of ${rounds} alternating rounds.`,
    '',
    '| size | path | convert ms/frame | encode ms/frame | other ms/frame | mux | total fps | KB/frame | ours / C |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  let failed = false;
  try {
    for (const { width, height } of RESOLUTIONS) {
      const resolution = `${width}x${height}`;
      const clipFile = path.join(dir, `testsrc2-${resolution}.rgba`);
      log(`${resolution}: writing a ${CLIP_FRAMES}-frame clip`);
      writeClip(clipFile, width, height);
      const clip = fs.readFileSync(clipFile);
      const ours: Measurement[] = [];
      const reference: Measurement[] = [];
      for (let round = 0; round < rounds; round++) {
        if (haveReference) {
          log(`${resolution}: C loop, round ${round + 1}/${rounds}`);
          reference.push(measureReference(clipFile, width, height, frames));
        }
        log(`${resolution}: our path, round ${round + 1}/${rounds}`);
        ours.push(await measureOurs(clip, width, height, frames));
      }
      fs.rmSync(clipFile);
      const oursBest = best(ours);
      if (haveReference) {
        const referenceBest = best(reference);
        lines.push(row(resolution, 'src/codec H264Encoder', oursBest, (oursBest.totalFps / referenceBest.totalFps).toFixed(2)));
        lines.push(row(resolution, 'C loop (openh264-native.sh)', referenceBest, '1.00'));
      } else {
        lines.push(row(resolution, 'src/codec H264Encoder', oursBest, 'no C reference'));
        lines.push(`| ${resolution} | C loop | not found at ${REFERENCE_SCRIPT} | | | | | | |`);
      }
    }
  } catch (error) {
    failed = true;
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  lines.push(
    '',
    'other: total time less conversion and encoding; for our path, the hand-off to the worker thread and back. ' +
      'mux: MP4 muxing is not part of this path (src/media/mp4 measures its own). ' +
      'ours / C compares total fps; our total is the time JavaScript awaits encode().',
  );
  process.stdout.write(lines.join('\n') + '\n');
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
