/**
 * H.264 recording benchmark: the recorder's own path to disk (src/clients/recorder's Mp4FrameSink:
 * libyuv RGBA -> I420 and openh264 on a libuv worker thread, awaited frame by frame from
 * JavaScript, then the fragmented MP4 writer with its file writes and syncs) against the plain C
 * loop of ../shared/bench/openh264-native.sh, on the same raw frames with the same encoder
 * settings (the recorder's defaults: camera usage, 0.1 bit a pixel a frame at 60 fps, 1 thread;
 * the C loop leaves openh264's frame skipping on, the recorder turns it off, which makes no
 * difference at this bitrate), in the same run.
 *
 * The frames are ffmpeg's testsrc2 (moving, colourful, with text: busy screen content), written
 * once to a temporary .rgba file that both paths read; both loop over the clip the same way.
 * "total" for our path is frames per second of everything the sink awaits: conversion, encoding,
 * the thread hand-off, and muxing (the MP4 writer's time, creating the file and finishing it
 * included, with each fragment written and synced to a real file in the temporary directory).
 * The C loop has no muxer: its total is conversion + encoding. So "ours / C" compares the whole
 * recording path with bare encoding. Our path runs with the recorder's defaults: a fragment
 * written and synced every second, a keyframe every 5 s, so in these 2 s of media only the first
 * frame is an IDR, as in the C loop.
 * Both leave out reading the frame into the buffer that is encoded.
 * Each path runs ROUNDS times, alternating. The table shows each path's fastest round (the least
 * disturbed by others on a shared machine) and, for the ratios, the median of the rounds' paired
 * ratios: the two runs of a round are back to back and see nearly the same load.
 *
 *   node dist/bench/encoder.bench.js [--frames N] [--rounds N]
 *
 * Prints a markdown table on stdout; progress goes to stderr. Exits 1 when a path failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CapturedFrame } from '../src/clients/capture-session';
import { defaultRecordingBitrate } from '../src/clients/recorder/default-bitrate';
import { Mp4FrameSink } from '../src/clients/recorder/mp4-frame-sink';
import { RECORDER_DEFAULTS } from '../src/clients/recorder/recorder-options';
import { recordingTiming } from '../src/media/keyframe-policy';
import { isH264Available, nativeAddonStatus } from '../src/codec';
import { benchLogger, runBenchmark } from './support/bench-process';

const RESOLUTIONS = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 720 },
] as const;
/** Distinct frames in the clip; longer runs loop over it (the C loop rewinds the same way). */
const CLIP_FRAMES = 30;
/** About two seconds of media at 16 ms a frame: one fragment written mid-run and the last by finish(), as in a recording. */
const DEFAULT_FRAMES = 120;
const DEFAULT_ROUNDS = 7;
const FRAME_RATE = 60;
const USAGE = RECORDER_DEFAULTS.usage;
/** The recorder's default bitrate at this size and FRAME_RATE. */
const bitrateAt = (width: number, height: number): number => defaultRecordingBitrate(width, height, FRAME_RATE);
/** The C loop stamps frame i at i * 16 ms; ours does the same so that rate control sees the same clock. */
const FRAME_INTERVAL_MS = 16;
const OURS = 'recorder path (Mp4FrameSink)';
const REFERENCE_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'openh264-native.sh');

interface Measurement {
  convertFps: number;
  encodeFps: number;
  /** Infinity for the C loop, which has no muxer. */
  muxFps: number;
  totalFps: number;
  kbPerFrame: number;
  /**
   * CPU time a frame, all threads, reading or copying the input included: unlike the stage times
   * (wall clock), it does not grow when other processes on the machine take the core away.
   */
  cpuMsPerFrame: number;
}

const log = benchLogger('encoder.bench');

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
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=${FRAME_RATE}`,
    '-frames:v',
    String(CLIP_FRAMES),
    '-pix_fmt',
    'rgba',
    '-f',
    'rawvideo',
    file,
  ]);
}

/** A frame as the recorder receives it from a session: only what the sink reads is meaningful. */
function capturedFrame(pixels: Buffer, width: number, height: number): CapturedFrame {
  return {
    bufferIndex: 0,
    frameNumber: 0,
    captureTimeMs: 0,
    captureMonotonicNs: 0n,
    width,
    height,
    stride: width * 4,
    pixelFormat: 'rgba8',
    pixels,
    damage: [],
    displayWidth: width,
    displayHeight: height,
    releaseToken: '',
    release: async () => undefined,
  };
}

async function measureOurs(clip: Buffer, width: number, height: number, frames: number, dir: string): Promise<Measurement> {
  const frameBytes = width * height * 4;
  const frameAt = (i: number) => clip.subarray((i % CLIP_FRAMES) * frameBytes, ((i % CLIP_FRAMES) + 1) * frameBytes);
  const options = {
    width,
    height,
    usage: USAGE,
    bitrateBps: bitrateAt(width, height),
    maxFrameRate: FRAME_RATE,
    ...recordingTiming({}),
  } as const;
  const out = fs.mkdtempSync(path.join(dir, 'out-'));
  // Warm up V8 and the thread pool on a throwaway sink; the measured one starts fresh, like the C loop.
  const warm = new Mp4FrameSink(out, options);
  for (let i = 0; i < 3; i++) await warm.write(capturedFrame(Buffer.from(frameAt(i)), width, height), i * FRAME_INTERVAL_MS * 1000);
  await warm.finish(3 * FRAME_INTERVAL_MS * 1000);

  const sink = new Mp4FrameSink(out, options);
  // Like the C loop's fread into one buffer, each frame is first copied into one staging buffer,
  // outside the timing: that is also what the frame scheduler's latch does before an encode, and
  // it leaves the frame in the CPU cache for both paths alike.
  const staging = Buffer.allocUnsafe(frameBytes);
  const frame = capturedFrame(staging, width, height);
  const startCpu = process.cpuUsage();
  let nanoseconds = 0n;
  for (let i = 0; i < frames; i++) {
    frameAt(i).copy(staging);
    const start = process.hrtime.bigint();
    await sink.write(frame, i * FRAME_INTERVAL_MS * 1000);
    nanoseconds += process.hrtime.bigint() - start;
  }
  const start = process.hrtime.bigint();
  await sink.finish(frames * FRAME_INTERVAL_MS * 1000);
  nanoseconds += process.hrtime.bigint() - start;
  const cpu = process.cpuUsage(startCpu);
  const bytes = sink.bytesOnDisk;
  fs.rmSync(out, { recursive: true, force: true });
  const timing = sink.timing;
  return {
    convertFps: frames / (timing.convertMicros / 1e6),
    encodeFps: frames / (timing.encodeMicros / 1e6),
    muxFps: frames / (timing.muxMicros / 1e6),
    totalFps: frames / (Number(nanoseconds) / 1e9),
    // The file holds the samples plus some 100 bytes of boxes a fragment; the C loop counts
    // Annex-B start codes, the same size as the AVCC length prefixes.
    kbPerFrame: bytes / 1024 / frames,
    cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / frames,
  };
}

function measureReference(clipFile: string, width: number, height: number, frames: number): Measurement {
  // Through bash's `times`, which prints the CPU time of the loop's process (and of bash, a few
  // ms) after it exits: the figure to set against our process's CPU time.
  // stderr piped: openh264's parameter warnings would clutter the progress lines; on failure it is in the error.
  const out = execFileSync(
    'bash',
    [
      '-c',
      'bash "$@"; times',
      'bash',
      REFERENCE_SCRIPT,
      clipFile,
      String(width),
      String(height),
      String(frames),
      USAGE,
      String(bitrateAt(width, height)),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).toString();
  const match = /convert (\S+) fps, encode (\S+) fps, total (\S+) fps, (\S+) KB\/frame/.exec(out);
  // The second line of `times` is the children's user and system time, e.g. "0m1.234s 0m0.056s".
  const times = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/gm;
  const children = [...out.matchAll(times)][1];
  if (!match || !children) throw new Error(`unexpected output from ${REFERENCE_SCRIPT}: ${out.trim()}`);
  const [convertFps, encodeFps, totalFps, kbPerFrame] = match.slice(1).map(Number);
  const [userMin, userS, systemMin, systemS] = children.slice(1).map(Number);
  const cpuS = userMin * 60 + userS + systemMin * 60 + systemS;
  return { convertFps, encodeFps, muxFps: Infinity, totalFps, kbPerFrame, cpuMsPerFrame: (cpuS * 1000) / frames };
}

function openh264Version(): string {
  try {
    return execFileSync('pkg-config', ['--modversion', 'openh264']).toString().trim();
  } catch {
    return 'version unknown';
  }
}

/** The least disturbed round: the fastest, with that same round's CPU time. */
function best(runs: readonly Measurement[]): Measurement {
  return runs.reduce((a, b) => (b.totalFps > a.totalFps ? b : a));
}

/**
 * Ours over the C loop, round by round: the two paths of a round run back to back, so they see
 * nearly the same load from the rest of the machine, and the median of those paired ratios is
 * steadier than a ratio of two best rounds taken minutes apart. Also the lowest and highest.
 */
function pairedRatios(
  ours: readonly Measurement[],
  reference: readonly Measurement[],
  of: (m: Measurement) => number,
): { median: number; low: number; high: number } {
  const ratios = ours.map((run, i) => of(run) / of(reference[i])).sort((a, b) => a - b);
  const middle = ratios.length >> 1;
  const median = ratios.length % 2 ? ratios[middle] : (ratios[middle - 1] + ratios[middle]) / 2;
  return { median, low: ratios[0], high: ratios[ratios.length - 1] };
}

function row(resolution: string, label: string, m: Measurement, ratios: string): string {
  const ms = (fps: number) => 1000 / fps;
  // What is none of the stages: for our path the hand-off to the worker thread and back.
  const rest = Math.max(0, ms(m.totalFps) - ms(m.convertFps) - ms(m.encodeFps) - ms(m.muxFps));
  const mux = Number.isFinite(m.muxFps) ? ms(m.muxFps).toFixed(2) : '-';
  return `| ${resolution} | ${label} | ${ms(m.convertFps).toFixed(2)} | ${ms(m.encodeFps).toFixed(2)} | ${mux} | ${rest.toFixed(2)} | ${m.totalFps.toFixed(1)} | ${m.cpuMsPerFrame.toFixed(2)} | ${m.kbPerFrame.toFixed(1)} | ${ratios} |`;
}

/** "0.93 (0.85–1.01)": the median paired ratio and its range over the rounds. */
function ratioCell({ median, low, high }: { median: number; low: number; high: number }): string {
  return `${median.toFixed(2)} (${low.toFixed(2)}–${high.toFixed(2)})`;
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
    `## Encoder: H.264 (openh264 ${openh264Version()}, ${USAGE} usage, ${RESOLUTIONS.map(({ width, height }) => `${(bitrateAt(width, height) / 1e6).toFixed(1)} Mbit/s at ${width}x${height}`).join(', ')}, ${FRAME_RATE} fps, 1 thread)`,
    '',
    `${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, Node ${process.version}; ` +
      `testsrc2, ${frames} frames a run (a ${CLIP_FRAMES}-frame clip looped), best of ${rounds} alternating rounds.`,
    '',
    `Load average at the start (1, 5, 15 min): ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(', ')}.`,
    '',
    '| size | path | convert ms/frame | encode ms/frame | mux ms/frame | other ms/frame | total fps | CPU ms/frame | KB/frame | ours / C, fps | ours / C, CPU |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
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
        ours.push(await measureOurs(clip, width, height, frames, dir));
      }
      fs.rmSync(clipFile);
      const oursBest = best(ours);
      if (haveReference) {
        const fps = ratioCell(pairedRatios(ours, reference, (m) => m.totalFps));
        // Inverted so that above 1 means ours costs less, like the fps ratio.
        const cpu = ratioCell(pairedRatios(ours, reference, (m) => 1 / m.cpuMsPerFrame));
        lines.push(row(resolution, OURS, oursBest, `${fps} | ${cpu}`));
        lines.push(row(resolution, 'C loop (openh264-native.sh)', best(reference), '1.00 | 1.00'));
      } else {
        lines.push(row(resolution, OURS, oursBest, 'no C reference | -'));
        lines.push(`| ${resolution} | C loop | not found at ${REFERENCE_SCRIPT} | | | | | | | | |`);
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
    'mux: the fragmented MP4 writer (samples, fragments written and synced to disk, finish), averaged over the frames; the C loop has none. ' +
      'other: total time less the stages; for our path, the hand-off to the worker thread and back. ' +
      'ours / C, fps compares total fps: our whole path to disk against bare conversion and encoding. ' +
      "CPU ms/frame is the process's CPU time (all threads, reading or copying the input frames included) over the frames. " +
      "The stage and fps columns are each path's fastest round; the two ratio columns are the median, lowest and highest of the per-round ratios " +
      "(each round runs both paths back to back, so they share its load): ours / C, CPU is the C loop's CPU a frame over ours (above 1: ours costs less).",
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

runBenchmark(module, log, main);
