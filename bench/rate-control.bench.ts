/**
 * openh264's rate control on the busy SPICE desktop's frames, outside any pipeline: why the
 * recorder's defaults are what they are (docs/recording.md, Encoder settings). The frames are the
 * scrolling page of scroll-page.ts (text and photograph, 8 rows a frame at 60 frames a second),
 * built exactly, so each coded frame is compared with the very frame it codes: a frame rate
 * control skips is left out of the file and of the comparison, not scored as a wrong picture.
 *
 * The encoder is bench/support/openh264-rate-control.c: the recorder's settings (bitrate mode,
 * J420, constant parameter-set ids) with the usage, bitrate, the frame rate rate control budgets
 * for, openh264's frame skipping and a forced IDR period set per run. Runs:
 * - every second frame of the 60, budgeted at 60 frames a second: what the recorder's encoder
 *   gets when it codes every other latch of a 60 Hz display (the old defaults' budget);
 * - consecutive frames at 60, with an IDR every 275 frames (the recorder's 5 s keyframes at the
 *   rate it wrote), at the bitrates the default was chosen from;
 * - every second frame budgeted at 30 frames a second: `--fps 30`.
 *
 *   node dist/bench/rate-control.bench.js
 *
 * Prints one markdown table: per run the frames coded and skipped, their bytes, quantisers
 * (mean, highest) and PSNR (RGB, over the coded frames, with the median frame's).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../test/support/spice/processes';
import { benchLogger, runBenchmark } from './support/bench-process';
import { squaredErrors } from './support/recording-quality';
import { BUSY_PAGE_LAYOUT, ScrollPage } from './support/scroll-page';

const log = benchLogger('rate-control');
const SOURCE = join(__dirname, '..', '..', 'bench', 'support', 'openh264-rate-control.c');
/** The page frame the runs start at: mostly photograph, with the text coming into view later. */
const FIRST_FRAME = 100;

interface RunSettings {
  /** Page frames between two coded frames: 1, every frame of the 60; 2, every second one. */
  step: number;
  count: number;
  usage: 'screen' | 'camera';
  bitrateBps: number;
  /** The frame rate rate control budgets for (and the frames' timestamps). */
  fps: number;
  frameSkip: boolean;
  /** A forced IDR every this many frames; 0 for none but the first. */
  idrEvery: number;
}

const RUNS: RunSettings[] = [
  ...(['camera', 'screen'] as const).flatMap((usage) =>
    [true, false].map((frameSkip) => ({ step: 2, count: 270, usage, bitrateBps: 5_000_000, fps: 60, frameSkip, idrEvery: 0 })),
  ),
  ...[
    { bitrateBps: 5_000_000, frameSkip: true },
    { bitrateBps: 5_000_000, frameSkip: false },
    { bitrateBps: 8_000_000, frameSkip: false },
    { bitrateBps: 12_441_600, frameSkip: false },
  ].map((run) => ({ step: 1, count: 400, usage: 'camera' as const, fps: 60, idrEvery: 275, ...run })),
  ...[
    { bitrateBps: 5_000_000, frameSkip: true },
    { bitrateBps: 5_000_000, frameSkip: false },
    { bitrateBps: 6_220_800, frameSkip: false },
  ].map((run) => ({ step: 2, count: 270, usage: 'camera' as const, fps: 30, idrEvery: 150, ...run })),
];

interface CodedFrame {
  index: number;
  bytes: number;
  qp: number;
}

/** Encodes the run's frames with the C program; the coded frames, in order, and the skipped count. */
function encode(program: string, page: ScrollPage, settings: RunSettings, out: string): Promise<{ coded: CodedFrame[]; skipped: number }> {
  const { width, height } = page.layout;
  const args = [
    '-',
    width,
    height,
    settings.count,
    settings.usage,
    settings.bitrateBps,
    settings.fps,
    settings.frameSkip ? 1 : 0,
    settings.idrEvery,
    out,
  ].map(String);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('error', reject);
    // The program exiting early closes its stdin: the exit handler reports why.
    child.stdin.on('error', () => undefined);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${program} ${args.join(' ')}: exit ${code}: ${stderr.slice(-2000)}`));
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' '));
      const coded = lines.filter((f) => f[2] !== 'skip').map((f) => ({ index: Number(f[1]), bytes: Number(f[3]), qp: Number(f[4]) }));
      resolve({ coded, skipped: lines.length - coded.length });
    });
    const picture = Buffer.alloc(width * height * 3);
    const feed = async () => {
      for (let i = 0; i < settings.count; i++) {
        page.frame(FIRST_FRAME + i * settings.step, picture);
        if (!child.stdin.write(picture)) await new Promise((drained) => child.stdin.once('drain', drained));
      }
      child.stdin.end();
    };
    feed().catch(reject);
  });
}

function row(settings: RunSettings, coded: CodedFrame[], skipped: number, errors: number[]): string {
  const toDb = (error: number) => 10 * Math.log10((255 * 255) / error);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const sorted = [...errors].sort((a, b) => a - b);
  const bytes = coded.map((frame) => frame.bytes);
  const qps = coded.map((frame) => frame.qp);
  const mbps = (bytes.reduce((sum, value) => sum + value, 0) * 8 * settings.fps) / settings.count / 1e6;
  const frames = `${settings.step === 1 ? 'consecutive' : `every ${settings.step}nd`}, ${settings.count}${settings.idrEvery > 0 ? `, IDR every ${settings.idrEvery}` : ''}`;
  return `| ${frames} | ${settings.usage} | ${(settings.bitrateBps / 1e6).toFixed(1)} | ${settings.fps} | ${settings.frameSkip ? 'on' : 'off'} | ${coded.length} | ${skipped} | ${mbps.toFixed(2)} | ${(mean(bytes) / 1000).toFixed(1)} | ${(Math.max(...bytes) / 1000).toFixed(0)} | ${mean(qps).toFixed(1)} | ${Math.max(...qps)} | ${toDb(mean(errors)).toFixed(2)} | ${toDb(sorted[sorted.length >> 1]!).toFixed(2)} |`;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'screencap-rate-control-'));
  const loadBefore = loadavg();
  const lines: string[] = [];
  try {
    const page = await ScrollPage.prepare(dir, BUSY_PAGE_LAYOUT);
    const program = join(dir, 'openh264-rate-control');
    await run('gcc', ['-O2', '-o', program, SOURCE, ...(await pkgConfig('openh264')), '-lyuv']);
    for (const settings of RUNS) {
      log(JSON.stringify(settings));
      const file = join(dir, 'coded.h264');
      const { coded, skipped } = await encode(program, page, settings, file);
      const errors = await squaredErrors(
        file,
        page,
        coded.length,
        (i, out) => page.frame(FIRST_FRAME + coded[i]!.index * settings.step, out),
        join(dir, 'psnr.log'),
      );
      lines.push(row(settings, coded, skipped, errors));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const format = (load: number[]) => load.map((value) => value.toFixed(2)).join(' ');
  console.log(
    `openh264's rate control on the scrolling 1080p page (${new Date().toISOString()}; load average ${format(loadBefore)} before, ${format(loadavg())} after):`,
  );
  console.log('');
  console.log(
    '| frames of the page | usage | Mbit/s | budgeted fps | frame skipping | coded | skipped | Mbit/s coded | KB a coded frame | largest KB | mean QP | highest QP | PSNR dB | median frame dB |',
  );
  console.log('| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const line of lines) console.log(line);
  return 0;
}

async function pkgConfig(name: string): Promise<string[]> {
  return (await run('pkg-config', ['--cflags', '--libs', name])).toString().trim().split(/\s+/);
}

runBenchmark(module, log, main);
