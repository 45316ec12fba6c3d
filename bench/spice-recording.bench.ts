/**
 * Recording a SPICE desktop: `screencap serve --record` against the way a VM is recorded without
 * screencap (spice-gtk's `spicy` in an Xvfb, `ffmpeg -f x11grab` at 30 frames a second into
 * x264 ultrafast), on the same Xspice showing the same busy desktop, in alternating rounds.
 *
 *   node dist/bench/spice-recording.bench.js [--seconds N] [--rounds N] [--screencap-args "ARGS"] [--keep]
 *
 * The display: one Xspice set to 1920x1080 with xrandr (it starts in its first mode whatever its
 * configuration says), lossless image compression (auto_glz, no JPEG, no video streaming: what
 * reaches a client is exactly what X drew, so the truth below is exact for both pipelines).
 *
 * The busy desktop (scroll-page.c): a full-screen window scrolling a page of text and photograph
 * 8 rows a frame at 60 frames a second, as a document or web page scrolls. Every pixel between
 * two 40-row bands changes at every frame, which is the recorder's worst case (no static area for
 * the encoder to skip), while the SPICE side stays cheap and steady (a COPY_BITS and an 8-row
 * strip a frame), so what is measured is the recording and not the X server's image compression.
 * It is reproducible pixel for pixel: frame N shows the page N * 8 rows down, and the bands
 * carry N, the top one drawn before the frame's other steps and the bottom one after them.
 *
 * The pipelines, one at a time (a SPICE server takes one client at a time, and two of them at
 * once would share two cores between three busy processes):
 * - screencap: `screencap serve --source spice://… --record DIR --record-cursor hidden` (the real
 *   CLI), with its defaults (a frame per change, at the display's 60 Hz), then with
 *   `--record-fps 30` (constant 30 frames a second, as x11grab records), then with the defaults
 *   it had before they were chosen on this desktop (OLD_DEFAULTS) and with camera usage at their
 *   5 Mbit/s (CAMERA_5M). Counted: the serve process (SPICE client, capture server, recorder and
 *   encoder, all threads).
 * - reference: spicy connected to the same Xspice, its display at 1:1 (scaling, toolbar and status
 *   bar off in its own settings file), recorded from its Xvfb with `ffmpeg -f x11grab -framerate
 *   30 -draw_mouse 0 … -c:v libx264 -preset ultrafast -pix_fmt yuv420p` (4:2:0 like screencap's
 *   file, what players expect). Counted: spicy + its Xvfb + ffmpeg.
 * Xspice's own CPU (Xorg with spice-server inside) is listed beside each, not counted.
 *
 * CPU and frames are taken over the same window: both pipelines report progress every 5 s
 * (screencap's log line, ffmpeg's -progress), and the processes' CPU (utime + stime from /proc)
 * is read the moment a report arrives; the window runs from the first report to the one
 * --seconds later, so that start-up and finishing the file are left out of both.
 *
 * Quality (recording-quality.ts): every picture of each file is decoded and its two frame codes
 * read; a picture whose codes agree shows one whole frame, which is rebuilt losslessly from the
 * page and compared with ffmpeg's psnr filter (RGB). That frame is N, or N + 1 or N + 2 when the
 * SPICE server dropped a lagging client's queued code that the next one covered: each is tried
 * and the best kept (a wrong frame is some 14 dB, far below any coding loss). The PSNR is that of
 * the mean squared error over those pictures, with the median picture's beside it (a few torn
 * pictures that the codes cannot tell weigh much in the mean); pictures whose codes disagree
 * (caught mid-frame, or mid-repaint in spicy's window) are left out and counted.
 *
 * Prints one markdown table, a row per pipeline and round, and the ratios of each screencap
 * pipeline's CPU a recorded frame to the reference's in the same round.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ServeProcess } from '../test/support/cli-process';
import { delay, OwnedProcess, run, waitFor } from '../test/support/spice/processes';
import { setRoot } from '../test/support/spice/scene';
import { Spicy } from '../test/support/spice/spicy';
import { Xspice } from '../test/support/spice/xspice';
import { benchLogger, runBenchmark } from './support/bench-process';
import { cpuSeconds } from './support/process-cpu';
import { recordingQuality, type RecordingQuality } from './support/recording-quality';
import { BUSY_PAGE_LAYOUT, ScrollPage } from './support/scroll-page';

const log = benchLogger('spice-recording');
const LAYOUT = BUSY_PAGE_LAYOUT;
/** How often both pipelines report their progress; the window is a whole number of reports. */
const REPORT_S = 5;
/** Rows above spicy's display that its Xvfb needs room for (the menu bar). */
const SPICY_CHROME_ROWS = 120;
/**
 * The recorder's defaults until they were chosen on this desktop: openh264's screen-content mode
 * at a flat 5 Mbit/s (now camera mode at 0.1 bit a pixel a frame, 12.4 Mbit/s here).
 */
const OLD_DEFAULTS = ['--record-usage', 'screen', '--record-bitrate', '5M'];
/** Camera mode at the old 5 Mbit/s: what rate control does to it without dropping frames. */
const CAMERA_5M = ['--record-usage', 'camera', '--record-bitrate', '5M'];
const SPICY_SETTINGS = '[general]\nscaling=false\nresize-guest=false\n[ui]\ntoolbar=false\nstatusbar=false\n';

interface Options {
  seconds: number;
  rounds: number;
  screencapArgs: string[];
  /** Keep the recordings (the directory is printed) instead of deleting them. */
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { seconds: 20, rounds: 2, screencapArgs: [], keep: false };
  const usage = 'usage: --seconds N (a multiple of 5) --rounds N --screencap-args "ARGS" --keep';
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2);
    if (flag === '--keep') {
      options.keep = true;
      continue;
    }
    const text = inline ?? argv[++i];
    if (text === undefined) throw new TypeError(`${flag}: needs a value (${usage})`);
    if (flag === '--screencap-args') options.screencapArgs = text.split(/\s+/).filter(Boolean);
    else if (flag === '--seconds' || flag === '--rounds') {
      const value = Number(text);
      if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${flag}: must be a positive whole number, got ${text}`);
      if (flag === '--seconds' && value % REPORT_S !== 0) throw new TypeError(`--seconds: must be a multiple of ${REPORT_S}, got ${text}`);
      options[flag === '--seconds' ? 'seconds' : 'rounds'] = value;
    } else throw new TypeError(`unknown option ${flag} (${usage})`);
  }
  return options;
}

/** What one pipeline did over the measuring window. */
interface Measurement {
  pipeline: string;
  round: number;
  seconds: number;
  frames: number;
  /** CPU seconds of the pipeline's processes, by process. */
  cpu: Record<string, number>;
  xorgCpu: number;
  file: string;
  quality?: RecordingQuality;
}

/**
 * Reads CPU at each progress report `reports` yields (frames so far), and resolves once the
 * window of `seconds` is over, with CPU and frames over it.
 */
function measureWindow(
  seconds: number,
  pids: Record<string, number>,
  xorgPid: number,
  onReport: (listener: (frames: number) => void) => void,
): Promise<Omit<Measurement, 'pipeline' | 'round' | 'file'>> {
  const reports = seconds / REPORT_S;
  return new Promise((resolve) => {
    let start: { at: number; frames: number; cpu: Record<string, number>; xorg: number } | undefined;
    let count = 0;
    const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
    onReport((frames) => {
      const at = performance.now();
      const cpu = cpuNow();
      const xorg = cpuSeconds(xorgPid);
      if (start === undefined) {
        start = { at, frames, cpu, xorg };
        return;
      }
      if (++count < reports) return;
      resolve({
        seconds: (at - start.at) / 1000,
        frames: frames - start.frames,
        cpu: Object.fromEntries(Object.entries(cpu).map(([name, value]) => [name, value - start!.cpu[name]!])),
        xorgCpu: xorg - start.xorg,
      });
    });
  });
}

/** Calls `listener` for each complete line of `stream`. */
function onLines(stream: Readable, listener: (line: string) => void): void {
  let pending = '';
  stream.on('data', (data: Buffer) => {
    pending += data.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) listener(line);
  });
}

async function recordWithScreencap(
  server: Xspice,
  dir: string,
  name: string,
  round: number,
  args: string[],
  options: Options,
): Promise<Measurement> {
  const out = join(dir, `${name.replace(/\W+/g, '-')}-${round}`);
  mkdirSync(out);
  const serve = await ServeProcess.start([
    '--listen',
    '127.0.0.1:0',
    '--source',
    `spice://127.0.0.1:${server.port}`,
    '--record',
    out,
    '--record-cursor',
    'hidden',
    '--log-format',
    'json',
    '--log-level',
    'info',
    ...args,
  ]);
  try {
    const window = measureWindow(options.seconds, { screencap: serve.child.pid! }, server.pid, (listener) =>
      onLines(serve.child.stderr!, (line) => {
        if (!line.startsWith('{')) return;
        const record = JSON.parse(line) as { message?: string; written?: number; again?: number };
        // Samples in the file: frames written, and (constant rate) repeats of the last picture.
        if (record.message === 'recording' && record.written !== undefined) listener(record.written + (record.again ?? 0));
      }),
    );
    const measured = await window;
    const code = await serve.stop();
    if (code !== 0) throw new Error(`screencap serve exited with ${code}: ${serve.output.stderr.slice(-2000)}`);
    const file = readdirSync(out).find((entry) => entry.endsWith('.mp4'));
    if (!file) throw new Error(`no recording in ${out}: ${serve.output.stderr.slice(-2000)}`);
    return { pipeline: name, round, file: join(out, file), ...measured };
  } finally {
    await serve.stop();
  }
}

async function recordWithReference(server: Xspice, dir: string, round: number, options: Options): Promise<Measurement> {
  const { width, height } = LAYOUT;
  const spicy = await Spicy.start(server.port, '', { screen: { width, height: height + SPICY_CHROME_ROWS }, settings: SPICY_SETTINGS });
  let ffmpeg: OwnedProcess | undefined;
  try {
    await waitFor(() => (spicy.linked ? true : undefined), 30_000, 'spicy linked');
    // The display widget sits at the window's bottom left (no status bar) at 1:1 (no scaling).
    const top = await waitFor(
      async () => {
        // xdotool fails until the window is there.
        const geometry = (
          await run('xdotool', ['search', '--onlyvisible', '--name', '^spice display', 'getwindowgeometry', '--shell'], {
            env: spicy.env,
          }).catch(() => Buffer.alloc(0))
        ).toString();
        const size = (key: string) => Number(new RegExp(`${key}=(\\d+)`).exec(geometry)?.[1]);
        return size('WIDTH') === width && size('HEIGHT') > height ? size('HEIGHT') - height : undefined;
      },
      30_000,
      `spicy's window showing the whole ${width}x${height} display`,
      200,
    );
    const file = join(dir, `reference-${round}.mp4`);
    ffmpeg = new OwnedProcess(
      'ffmpeg',
      [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'x11grab',
        '-framerate',
        '30',
        '-video_size',
        `${width}x${height}`,
        '-draw_mouse',
        '0',
        '-i',
        `${spicy.env.DISPLAY}+0,${top}`,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-progress',
        'pipe:1',
        '-stats_period',
        String(REPORT_S),
        '-y',
        file,
      ],
      { env: spicy.env },
    );
    const pids = { spicy: spicy.pid, Xvfb: spicy.xvfbPid, ffmpeg: ffmpeg.child.pid! };
    const child = ffmpeg.child;
    let frames = 0;
    const measured = await measureWindow(options.seconds, pids, server.pid, (listener) =>
      onLines(child.stdout!, (line) => {
        const [key, value] = line.split('=');
        if (key === 'frame') frames = Number(value);
        // Each report ends with a progress line: the frame count above it is this report's.
        else if (key === 'progress') listener(frames);
      }),
    );
    await ffmpeg.stop();
    if (ffmpeg.child.exitCode !== 0 && ffmpeg.child.exitCode !== 255) throw new Error(`ffmpeg failed: ${ffmpeg.output.slice(-2000)}`);
    return { pipeline: 'reference: spicy + x11grab 30 fps + x264 ultrafast', round, file, ...measured };
  } finally {
    await ffmpeg?.stop();
    await spicy.stop();
  }
}

async function displaySize(env: NodeJS.ProcessEnv): Promise<string> {
  return /dimensions:\s+(\d+x\d+)/.exec((await run('xdpyinfo', [], { env })).toString())?.[1] ?? 'unknown';
}

function total(cpu: Record<string, number>): number {
  return Object.values(cpu).reduce((sum, value) => sum + value, 0);
}

function row(m: Measurement, referenceMsPerFrame: number | undefined): string {
  const cpu = total(m.cpu);
  const msPerFrame = (cpu * 1000) / m.frames;
  const parts = Object.entries(m.cpu)
    .map(([name, value]) => `${name} ${(value / m.seconds).toFixed(2)}`)
    .join(', ');
  const q = m.quality;
  const quality = q
    ? `${q.psnrDb.toFixed(2)} | ${q.medianDb.toFixed(2)} | ${q.worstDb.toFixed(1)} | ${q.compared} of ${q.frames}`
    : '- | - | - | -';
  const ratio = referenceMsPerFrame === undefined ? '1.00' : (msPerFrame / referenceMsPerFrame).toFixed(2);
  return `| ${m.pipeline} | ${m.round} | ${m.seconds.toFixed(1)} | ${m.frames} | ${(m.frames / m.seconds).toFixed(1)} | ${(cpu / m.seconds).toFixed(2)} (${parts}) | ${(m.xorgCpu / m.seconds).toFixed(2)} | ${msPerFrame.toFixed(1)} | ${ratio} | ${quality} |`;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-recording-'));
  const server = await Xspice.start({ width: LAYOUT.width, height: LAYOUT.height, compression: 'auto_glz' });
  let scrolling: OwnedProcess | undefined;
  const measurements: Measurement[] = [];
  const loadBefore = loadavg();
  const startedAt = new Date();
  try {
    await server.resize(LAYOUT.width, LAYOUT.height);
    const size = await displaySize(server.env);
    if (size !== `${LAYOUT.width}x${LAYOUT.height}`)
      throw new Error(`Xspice is ${size} after xrandr, not ${LAYOUT.width}x${LAYOUT.height}`);
    await setRoot(server.env, dir, '#336699');
    await run('xdotool', ['mousemove', String(LAYOUT.width - 1), String(LAYOUT.height - 1)], { env: server.env });
    const page = await ScrollPage.prepare(dir, LAYOUT);
    scrolling = page.start(server.env);
    await delay(2000);
    if (!scrolling.running) throw new Error(`the scrolling page stopped: ${scrolling.output}`);
    const screencapPipelines: [string, string[]][] = [
      ['screencap serve --record (defaults: a frame per change)', []],
      ['screencap serve --record --record-fps 30', ['--record-fps', '30']],
      [`screencap serve --record ${OLD_DEFAULTS.join(' ')} (the old defaults)`, OLD_DEFAULTS],
      [`screencap serve --record ${CAMERA_5M.join(' ')}`, CAMERA_5M],
    ];
    for (let round = 1; round <= options.rounds; round++) {
      for (const [name, args] of screencapPipelines) {
        log(`round ${round}: ${name}`);
        measurements.push(await recordWithScreencap(server, dir, name, round, [...args, ...options.screencapArgs], options));
        await delay(1000);
      }
      log(`round ${round}: reference`);
      measurements.push(await recordWithReference(server, dir, round, options));
      await delay(1000);
    }
    await scrolling.stop();
    for (const m of measurements) {
      log(`PSNR of ${m.file}`);
      m.quality = await recordingQuality(m.file, page, join(dir, 'psnr.log'));
    }
  } finally {
    await scrolling?.stop();
    await server.stop();
    if (options.keep) log(`recordings kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const extra = options.screencapArgs.length > 0 ? ` (screencap also given ${options.screencapArgs.join(' ')})` : '';
  console.log(
    `Recording a 1920x1080 Xspice desktop scrolling at 60 frames/s, ${options.seconds} s windows, ${startedAt.toISOString()}${extra}; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ${loadAfter.map((v) => v.toFixed(2)).join(' ')} after:`,
  );
  console.log('');
  console.log(
    '| pipeline | round | s | frames recorded | frames/s | cores (by process) | Xspice cores (not counted) | CPU ms a recorded frame | / reference | PSNR dB | median picture dB | worst dB | whole pictures compared |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of measurements) {
    const reference = measurements.find((r) => r.round === m.round && r.pipeline.startsWith('reference'));
    const referenceMs = reference && reference !== m ? (total(reference.cpu) * 1000) / reference.frames : undefined;
    console.log(row(m, referenceMs));
  }
  return 0;
}

runBenchmark(module, log, main);
