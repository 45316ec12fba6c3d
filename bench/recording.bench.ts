/**
 * Recording benchmark: can the recorder keep a busy 1920x1080 display at 60 Hz, every frame, on
 * one core? The real path end to end, in one process: the built-in synthetic desktop in its busy
 * mode (the whole screen scrolls at every step, so every latch is a new full-screen frame), the
 * capture server on 127.0.0.1 at 60 Hz vsync, and the Recorder as a gRPC client of it writing
 * display.mp4 to a temporary directory, for --seconds. The busy desktop is recorded twice, with
 * the frames in shared memory (what a local recorder gets) and inline in the replies (what a
 * remote one gets); the default desktop once; both with the recorder's defaults (camera usage,
 * 0.1 bit a pixel a frame), and again with its old defaults (screen content, 5 Mbit/s); the busy
 * one with two encoder threads, and with a keyframe every second instead of every 5 s.
 *
 * Reported per run: frames the server latched while the recorder was connected (the span of
 * frame numbers it saw), frames delivered to the recorder, frames written, frames skipped
 * (latched but not written: never delivered, or delivered while the encoder was busy, or dropped
 * by rate control), the encoder's own rate (conversion + encoding only), where the recorder's
 * time went per written frame, the process's CPU as a share of one core, and the file's bitrate
 * (its size over the recording's duration).
 *
 * References measured in the same run: the display's 60 Hz (written frames against the frames a
 * 60 Hz display shows in the same time), and the C loop of ../shared/bench/openh264-native.sh
 * encoding frames captured from the same desktop right after, with the run's encoder usage: as
 * many latches apart as the frames the recorder wrote (how fast one core encodes what was written,
 * with nothing else to do), and consecutive ones (every 60 Hz latch: whether one core can encode
 * this content at 60 frames a second at all, before any server, transport or desktop cost).
 *
 *   node dist/bench/recording.bench.js [--seconds N]
 *
 * Prints markdown on stdout; progress goes to stderr. Exits 1 when a run failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureClient, type FrameTransport } from '../src/clients';
import { Recorder, RECORDER_DEFAULTS, type RecordingSummary } from '../src/clients/recorder';
import type { RecorderOptions } from '../src/clients/recorder/recorder-options';
import { isH264Available } from '../src/codec';
import { CaptureServer } from '../src/server';
import { SyntheticDesktop } from '../src/sources/synthetic/synthetic-desktop';
import { createLogger } from '../src/util/logger';
import { benchLogger, runBenchmark } from './support/bench-process';

const WIDTH = 1920;
const HEIGHT = 1080;
const VSYNC_HZ = 60;
const DEFAULT_SECONDS = 10;
/** Frames captured from the desktop for the C loop, which loops over them for REFERENCE_FRAMES. */
const CLIP_FRAMES = 30;
const REFERENCE_FRAMES = 120;
/** The recorder's defaults until they were chosen by measurement (docs/PERFORMANCE.md). */
const OLD_DEFAULTS = { usage: 'screen', bitrateBps: 5_000_000 } as const;
/** How long the desktop's animation runs alone to measure its own CPU. */
const DESKTOP_ALONE_S = 3;
const REFERENCE_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'openh264-native.sh');

const log = benchLogger('recording.bench');

function parseArgs(argv: readonly string[]): { seconds: number } {
  const options = { seconds: DEFAULT_SECONDS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = Number(inline ?? argv[++i]);
    if (flag !== '--seconds') throw new TypeError(`unknown option ${flag} (usage: --seconds N)`);
    if (!(value > 0)) throw new TypeError('--seconds needs a positive number');
    options.seconds = value;
  }
  return options;
}

interface RunResult {
  label: string;
  summary: RecordingSummary;
  /** Frame numbers spanned by the frames the recorder wrote: what the server latched meanwhile. */
  latched: number;
  wallS: number;
  cpuS: number;
  /** CPU of the main JavaScript thread alone (server, desktop, transport, the recorder's calls); undefined off Linux. */
  mainThreadCpuS: number | undefined;
}

/** Clock ticks a second in /proc's stat files (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU seconds of the main thread so far, from /proc (Node has no per-thread figure, and every
 * thread of the process is named "node", so only the main one, whose id is the pid, is told apart).
 */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised name: state is the 3rd field, utime and stime the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

interface RunSettings {
  label: string;
  busy: boolean;
  transport: FrameTransport;
  /** Default the recorder's. */
  usage?: NonNullable<RecorderOptions['usage']>;
  /** Default the recorder's (it scales with the size and rate). */
  bitrateBps?: number;
  /** Encoder threads; the C loop always has one. Default 1. */
  threads?: number;
  /** Default the recorder's (5 s). */
  keyframeIntervalMs?: number;
}

/** Clips of the desktop just recorded, for the C loop: frames as far apart as the written ones, and consecutive ones. */
interface Clips {
  spaced: string;
  consecutive: string;
}

async function record(
  { label, busy, transport, usage, bitrateBps, threads, keyframeIntervalMs }: RunSettings,
  seconds: number,
  dir: string,
): Promise<RunResult & { clips: Clips }> {
  const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT, busy });
  const server = await CaptureServer.start({
    source: desktop,
    listen: '127.0.0.1:0',
    vsync: VSYNC_HZ,
    logger: createLogger('bench', { level: 'error' }),
  });
  const client = new CaptureClient({ address: server.address });
  try {
    const out = fs.mkdtempSync(path.join(dir, 'recording-'));
    let first: number | undefined;
    let last = 0;
    const recorder = new Recorder(client, {
      outDir: out,
      bitrateBps,
      transport,
      usage,
      threads,
      keyframeIntervalMs,
      onFrame: ({ frame }) => {
        first ??= frame.frameNumber;
        last = frame.frameNumber;
      },
    });
    log(`${label}: recording ${seconds} s`);
    const startCpu = process.cpuUsage();
    const startMainCpu = mainThreadCpuSeconds();
    const started = performance.now();
    const summary = await recorder.run({ signal: AbortSignal.timeout(seconds * 1000) });
    const wallS = (performance.now() - started) / 1000;
    const used = process.cpuUsage(startCpu);
    const endMainCpu = mainThreadCpuSeconds();
    fs.rmSync(out, { recursive: true, force: true });
    const latched = first === undefined ? 0 : last - first + 1;
    return {
      label,
      summary,
      latched,
      wallS,
      cpuS: (used.user + used.system) / 1e6,
      mainThreadCpuS: startMainCpu === undefined || endMainCpu === undefined ? undefined : endMainCpu - startMainCpu,
      clips: {
        spaced: await captureClip(
          client,
          path.join(dir, 'spaced.rgba'),
          Math.max(1, Math.round(latched / Math.max(1, summary.framesWritten))),
        ),
        consecutive: await captureClip(client, path.join(dir, 'consecutive.rgba'), 1),
      },
    };
  } finally {
    client.close();
    await server.stop(500);
  }
}

/** CPU share of one core that the desktop's own animation takes, alone (no server, no client). */
async function desktopAloneCpu(busy: boolean, seconds: number): Promise<number> {
  const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT, busy });
  await desktop.start({ damage: () => undefined, requestFrame: () => undefined, pointer: () => undefined });
  try {
    const startCpu = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const used = process.cpuUsage(startCpu);
    return (used.user + used.system) / 1e6 / ((performance.now() - started) / 1000);
  } finally {
    await desktop.stop();
  }
}

/**
 * CLIP_FRAMES frames of the display as packed RGBA, for the C loop, `spacing` latches apart: as
 * far apart as the frames the recorder wrote, since the further apart two frames of a moving
 * screen are, the more the second costs to encode.
 */
async function captureClip(client: CaptureClient, file: string, spacing: number): Promise<string> {
  const session = await client.openSession({ clientName: 'bench-clip' });
  const output = fs.openSync(file, 'w');
  try {
    await session.configure({ width: WIDTH, height: HEIGHT, pixelFormat: 'rgba8', bufferCount: 2 });
    let count = 0;
    let last = -Infinity;
    for await (const frame of session.frames({ signal: AbortSignal.timeout(60_000) })) {
      if (frame.frameNumber - last < spacing) continue;
      last = frame.frameNumber;
      for (let row = 0; row < HEIGHT; row++) fs.writeSync(output, frame.pixels, row * frame.stride, WIDTH * 4);
      if (++count === CLIP_FRAMES) break;
    }
  } finally {
    fs.closeSync(output);
    await session.close();
  }
  return file;
}

/** The C loop at the recording's own usage and bitrate. */
function referenceFps(clip: string, usage: string, bitrateBps: number): number {
  const out = execFileSync(
    'bash',
    [REFERENCE_SCRIPT, clip, String(WIDTH), String(HEIGHT), String(REFERENCE_FRAMES), usage, String(bitrateBps)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).toString();
  const match = /total (\S+) fps/.exec(out);
  if (!match) throw new Error(`unexpected output from ${REFERENCE_SCRIPT}: ${out.trim()}`);
  return Number(match[1]);
}

/** The C loop's frames/s on the same desktop's frames; undefined without the script. */
interface References {
  spaced: number;
  consecutive: number;
}

function rowLine(run: RunResult, reference: References | undefined): string {
  const { summary } = run;
  const timing = summary.timing;
  const seconds = summary.durationUs / 1e6;
  const perFrame = (micros: number) => (timing && timing.framesEncoded > 0 ? (micros / 1000 / timing.framesEncoded).toFixed(2) : '-');
  const written = summary.framesWritten;
  const skipped = run.latched - written;
  const shown = seconds * VSYNC_HZ;
  return [
    run.label,
    seconds.toFixed(1),
    run.latched,
    summary.framesDelivered,
    written,
    `${skipped} (${((100 * skipped) / Math.max(1, run.latched)).toFixed(0)}%)`,
    `${(written / seconds).toFixed(1)} (${((100 * written) / shown).toFixed(0)}% of ${VSYNC_HZ} Hz)`,
    summary.encodeFps.toFixed(1),
    reference === undefined ? '-' : `${reference.spaced.toFixed(1)} (ours ${(summary.encodeFps / reference.spaced).toFixed(2)})`,
    reference === undefined ? '-' : reference.consecutive.toFixed(1),
    `${perFrame(timing?.convertMicros ?? 0)} / ${perFrame(timing?.encodeMicros ?? 0)} / ${perFrame(timing?.muxMicros ?? 0)}`,
    `${((100 * run.cpuS) / run.wallS).toFixed(0)}%`,
    run.mainThreadCpuS === undefined ? '-' : `${((100 * run.mainThreadCpuS) / run.wallS).toFixed(0)}%`,
    run.mainThreadCpuS === undefined ? '-' : `${((100 * (run.cpuS - run.mainThreadCpuS)) / run.wallS).toFixed(0)}%`,
    written > 0 ? ((run.cpuS * 1000) / written).toFixed(1) : '-',
    ((summary.bytesOnDisk * 8) / seconds / 1e6).toFixed(2),
  ]
    .join(' | ')
    .replace(/^/, '| ')
    .concat(' |');
}

async function main(): Promise<number> {
  const { seconds } = parseArgs(process.argv.slice(2));
  if (!isH264Available()) {
    log('H.264 unavailable: the native addon could not be loaded');
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'screencap-recording-bench-'));
  const loadBefore = os.loadavg();
  const lines = [
    `## Recording: ${WIDTH}x${HEIGHT} at ${VSYNC_HZ} Hz, server and recorder in one process`,
    '',
    `${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, Node ${process.version}; ` +
      `${seconds} s a run, the recorder's defaults (camera usage, 0.1 bit a pixel a frame: 12.4 Mbit/s here, 1 encoder thread, a keyframe every 5 s, a fragment every second) unless the row says otherwise (the C loop always has 1 thread, and the row's usage and bitrate). ` +
      `Load average at the start (1, 5, 15 min): ${loadBefore.map((load) => load.toFixed(2)).join(', ')}.`,
    '',
    '| desktop, transport, encoder usage | s | frames latched | delivered | written | skipped | written/s | encoder fps | C loop fps, frames as far apart | C loop fps, consecutive frames | convert / encode / mux ms a frame | process CPU (100% = one core) | main thread | other threads (encoder, transport file I/O, GC) | CPU ms a written frame | file Mbit/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let failed = false;
  let desktopNote = '';
  try {
    const haveReference = fs.existsSync(REFERENCE_SCRIPT);
    if (!haveReference) log(`C loop not found at ${REFERENCE_SCRIPT}`);
    const old = 'screen, 5 Mbit/s (the old defaults)';
    const runs: RunSettings[] = [
      { label: 'busy (whole screen scrolls), shared memory, defaults', busy: true, transport: 'shared-memory' },
      { label: `busy (whole screen scrolls), shared memory, ${old}`, busy: true, transport: 'shared-memory', ...OLD_DEFAULTS },
      {
        label: 'busy (whole screen scrolls), shared memory, defaults, a keyframe every second',
        busy: true,
        transport: 'shared-memory',
        keyframeIntervalMs: 1000,
      },
      { label: 'busy (whole screen scrolls), inline, defaults', busy: true, transport: 'inline' },
      {
        label: 'busy (whole screen scrolls), shared memory, defaults, 2 encoder threads',
        busy: true,
        transport: 'shared-memory',
        threads: 2,
      },
      { label: 'default (window, typing, clock), shared memory, defaults', busy: false, transport: 'shared-memory' },
      { label: `default (window, typing, clock), shared memory, ${old}`, busy: false, transport: 'shared-memory', ...OLD_DEFAULTS },
    ];
    for (const settings of runs) {
      const run = await record(settings, seconds, dir);
      let reference: References | undefined;
      if (haveReference) {
        log(`${settings.label}: C loop on ${CLIP_FRAMES} frames of the same desktop`);
        const usage = settings.usage ?? RECORDER_DEFAULTS.usage;
        const bitrateBps = run.summary.bitrateBps!;
        reference = {
          spaced: referenceFps(run.clips.spaced, usage, bitrateBps),
          consecutive: referenceFps(run.clips.consecutive, usage, bitrateBps),
        };
      }
      fs.rmSync(run.clips.spaced);
      fs.rmSync(run.clips.consecutive);
      lines.push(rowLine(run, reference));
    }
    log('the desktop alone');
    const busyAlone = await desktopAloneCpu(true, DESKTOP_ALONE_S);
    const defaultAlone = await desktopAloneCpu(false, DESKTOP_ALONE_S);
    desktopNote =
      `The desktop's animation alone (no server, no client, ${DESKTOP_ALONE_S} s) takes ${(busyAlone * 100).toFixed(0)}% of a core busy, ` +
      `${(defaultAlone * 100).toFixed(0)}% by default: part of the main thread's share above.`;
  } catch (error) {
    failed = true;
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  lines.push(
    '',
    `Load average at the end: ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(', ')}. ${desktopNote} ` +
      'Skipped = latched - written. Encoder fps is conversion + encoding only, on the encoder thread, while the server runs beside it. ' +
      'Process CPU includes the server, the desktop animation, the transport and the encoder thread; ' +
      "the main thread runs the server, the desktop, the transport and the recorder's calls, the other threads the encoder, the shared-memory transport's file writes and reads (libuv's thread pool) and GC. " +
      "Convert / encode / mux are wall times on their threads, so they grow when the machine's other load takes the core away.",
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

runBenchmark(module, log, main);
