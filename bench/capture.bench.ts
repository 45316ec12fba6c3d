/**
 * Capture-server benchmark: how fast and how fresh frames reach 1, 8 and 32 clients with each
 * transport, INLINE (the pixels travel inside GetNextFrame's answer) and SHARED_MEMORY (the
 * server writes them into the client's buffer file), against the reference of what Node's
 * loopback TCP carries at best, all measured in the same run.
 *
 * The server runs in this process, on 127.0.0.1 port 0, and so do most rows' clients, on the
 * server's event loop; the rows marked "in a child process" run them in a process of their own,
 * as a recorder or a viewer runs (process.hrtime.bigint() is CLOCK_MONOTONIC on Linux, one clock
 * for both processes, which the row checks), with the built-in synthetic desktop at 60 Hz:
 * its window moves every animation step, so there is a new frame at nearly every vsync. In most
 * rows each client asks for the display's own size in rgba8, so the server sends the latched
 * frame as is (no scaling or conversion): what is measured is the transport. The scaled rows ask
 * for 1280x720 of the 1920x1080 display, as a live viewer does, and so include the render. The
 * busy row runs the desktop's stress mode (the whole screen changes every frame) for the
 * transport's worst case.
 *
 * The last tables hold SHARED_MEMORY to the targets of issue 12 against the same-run references
 * (one memcpy of a 1080p frame, and the default desktop's moving window copied into 8 clients'
 * mapped buffers, back to back and once a frame, measured here), and INLINE for networks: full
 * frames against raw loopback TCP, and damage rects (only the changed rectangles, compressed,
 * rebuilt by the client library) by frames/s, bytes on the wire per frame and CPU per frame.
 *
 * SHARED_MEMORY clients take their frames on the server's local frame socket, as the client
 * library does whenever the server offers it; one row takes them over gRPC (StreamFrames) instead,
 * from a server that serves no socket, to show what the socket saves in the same run.
 *
 * Latency is vsync-to-client: from the frame's latch time (frame.captureMonotonicNs) to the
 * moment the client's iterator hands the frame over. A client that cannot keep up does not fail:
 * it gets the newest frame when it asks again, and the frames it never saw are counted as
 * skipped (gaps in frame numbers).
 *
 * Prints markdown on stdout; progress goes to stderr. Exits 1 when a client or a row failed.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_FLAGS } from '../src/cli/node-flags';
import type { FrameTransport } from '../src/clients';
import { isImageTransformAvailable } from '../src/codec/image-transform';
import { CaptureServer } from '../src/server';
import { SyntheticDesktop } from '../src/sources/synthetic/synthetic-desktop';
import { createLogger } from '../src/util/logger';
import type { FromClients, ToClients } from './support/capture-clients-process';
import { startClients, within, type ClientsSettings, type ClientStats } from './support/frame-consumer';
import { measureGrpcLoopback, type GrpcLoopback } from './support/grpc-loopback';
import { type CoreStalls, measureCoreStalls, STALL_THRESHOLDS_MS } from './support/core-stalls';
import { measureWindowCopies, type WindowCopies } from './support/window-copies';

/**
 * How a row's clients take frames: the two transports, and INLINE with damage rects (the
 * client library's default compression).
 */
type RowMode = Exclude<FrameTransport, 'auto'> | 'inline-rects';

/**
 * Display sizes, and the image sizes asked for of each (the first is the display's own); busy:
 * the desktop's stress mode; transports: those measured when not both.
 */
const DISPLAYS: readonly {
  width: number;
  height: number;
  busy?: boolean;
  /** The display's rate (and the desktop's animation's); default VSYNC_HZ. */
  hz?: number;
  /**
   * The server serves no local frame socket: frames are announced over gRPC (StreamFrames), as
   * to a client that cannot reach the socket. The p99 target's row again, to show what the
   * socket saves in the same run.
   */
  framesOverGrpc?: boolean;
  images: readonly {
    width: number;
    height: number;
    clients: readonly number[];
    transports?: readonly RowMode[];
    /**
     * The clients in a child process of their own, as a recorder or a viewer is, rather than on
     * the server's event loop: the server as deployed. Their CPU time is added to the server's.
     */
    childProcess?: boolean;
  }[];
}[] = [
  { width: 1280, height: 720, images: [{ width: 1280, height: 720, clients: [1, 8, 32] }] },
  {
    width: 1920,
    height: 1080,
    images: [
      { width: 1920, height: 1080, clients: [1, 8, 32] },
      { width: 1920, height: 1080, clients: [8], transports: ['shared-memory'], childProcess: true },
      { width: 1920, height: 1080, clients: [1], transports: ['inline'], childProcess: true },
      { width: 1280, height: 720, clients: [1, 8] },
      { width: 1920, height: 1080, clients: [1], transports: ['inline-rects'] },
    ],
  },
  {
    width: 1920,
    height: 1080,
    busy: true,
    images: [
      { width: 1920, height: 1080, clients: [8], transports: ['shared-memory'] },
      { width: 1920, height: 1080, clients: [8], transports: ['shared-memory'], childProcess: true },
    ],
  },
  {
    width: 1920,
    height: 1080,
    framesOverGrpc: true,
    images: [{ width: 1920, height: 1080, clients: [8], transports: ['shared-memory'], childProcess: true }],
  },
  // At 60 Hz a 1080p display makes 497 MB/s, less than half of what loopback TCP carries on a
  // quiet machine: at twice the rate, the transport rather than the display is the limit.
  {
    width: 1920,
    height: 1080,
    hz: 120,
    images: [
      { width: 1920, height: 1080, clients: [1], transports: ['inline'] },
      { width: 1920, height: 1080, clients: [1], transports: ['inline'], childProcess: true },
    ],
  },
];
const TRANSPORTS: readonly Exclude<FrameTransport, 'auto'>[] = ['inline', 'shared-memory'];
const VSYNC_HZ = 60;
/**
 * Lets connections, sessions and V8's optimiser settle before a row is measured; long enough for
 * the slowest row (32 clients at 1080p) to get through its first round of frames.
 */
const WARMUP_MS = 2000;
const MEASURE_MS = 3000;
/**
 * The rows of the p99 latency target measure longer: a 99th percentile over 3 s of 8 clients at
 * 60 Hz rests on its 15 slowest frames of 1440, and moved by 2-3 ms from one run to the next.
 */
const LATENCY_TARGET_MEASURE_MS = 10_000;
const LOOPBACK_WARMUP_MS = 300;
const LOOPBACK_MEASURE_MS = 2000;
const LOOPBACK_WRITE_BYTES = 8 * 1024 * 1024;
const GRPC_WARMUP_MS = 500;
const GRPC_MEASURE_MS = 2000;
/** A reply the size of a SHARED_MEMORY FrameInfo, and as many callers as the 8-client rows. */
const SMALL_REPLY_BYTES = 100;
const GRPC_CALLERS = 8;
/** Bound on every setup and teardown call: a hung server must not hang the benchmark. */
const CALL_TIMEOUT_MS = 5000;
/** How long the clients get to wind down after a row before the row is called failed. */
const TEARDOWN_MS = 5000;
/**
 * The whole run takes ~90 s; past this something is stuck, and the runner (and CI) should hear
 * about it rather than wait.
 */
const WATCHDOG_MS = 300_000;
const MB = 1e6;
/** The flow-control window the tuned grpc-js reference runs with: a whole 1080p frame and more. */
const LARGE_WINDOW = 16 * 1024 * 1024;

const USAGE = `usage: node dist/bench/capture.bench.js [--rows TEXT]...

Measures the capture server's transports against same-run references (raw loopback TCP, a bare
grpc-js call, one memcpy, a moving window copied into 8 mapped buffers) and prints markdown
tables on stdout.

  --rows TEXT   run only the rows whose label (as printed on stderr, e.g. "1920x1080 of
                1920x1080, shared-memory, 8 clients", which also matches the same row with
                "in a child process" after it) contains TEXT; repeat for several.
                The references are always measured.
  --help        show this text
`;

/** The row labels to run (substrings); empty: every row. */
function rowFilters(argv: readonly string[]): string[] | 'help' {
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--rows' || arg.startsWith('--rows=')) {
      const value = arg === '--rows' ? argv[++i] : arg.slice('--rows='.length);
      if (!value) throw new Error('--rows: needs a text to look for in row labels');
      filters.push(value);
      continue;
    }
    throw new Error(`unknown argument ${arg} (--help lists the options)`);
  }
  return filters;
}

const watchdog = setTimeout(() => {
  process.stderr.write(`capture bench: still running after ${WATCHDOG_MS / 1000} s; giving up\n`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

function progress(message: string): void {
  process.stderr.write(`capture bench: ${message}\n`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * CPU time of this process since `start`, in seconds. On a machine shared with other work the
 * wall-clock rates depend on what else runs; CPU time per frame does much less.
 */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

// --- reference: raw loopback TCP ---------------------------------------------------------------

interface Loopback {
  bytesPerSecond: number;
  /** This process's CPU time (all threads, user + system) per byte carried. */
  cpuSecondsPerByte: number;
}

/** What node:net carries over loopback with both ends in this process, and at what CPU cost. */
async function measureLoopback(): Promise<Loopback> {
  const server = net.createServer();
  const accepted = new Set<net.Socket>();
  let received = 0;
  server.on('connection', (socket) => {
    accepted.add(socket);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', () => undefined); // the writer's destroy() at the end resets it
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const writer = net.connect(port, '127.0.0.1');
  writer.on('error', () => undefined);
  try {
    await once(writer, 'connect');
    const chunk = Buffer.alloc(LOOPBACK_WRITE_BYTES, 0xa5);
    let writing = true;
    const pump = (async () => {
      while (writing) {
        if (!writer.write(chunk)) await once(writer, 'drain');
      }
    })();
    pump.catch(() => undefined);
    await sleep(LOOPBACK_WARMUP_MS);
    const startBytes = received;
    const startNs = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    await sleep(LOOPBACK_MEASURE_MS);
    const bytes = received - startBytes;
    const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
    const cpuSeconds = cpuSecondsSince(startCpu);
    writing = false;
    await within(pump, 2000);
    return { bytesPerSecond: bytes / seconds, cpuSecondsPerByte: cpuSeconds / bytes };
  } finally {
    writer.destroy();
    for (const socket of accepted) socket.destroy();
    server.close();
  }
}

// --- reference: one memcpy of a frame ---------------------------------------------------------

const MEMCPY_MEASURE_MS = 1000;
/** Each of the window copies' two measurements (see support/window-copies.ts). */
const WINDOW_COPIES_MEASURE_MS = 1000;
/** The cores' stalls (see support/core-stalls.ts): long enough to see a few of them. */
const CORE_STALLS_MEASURE_MS = 10_000;

interface Memcpy {
  /** Wall-clock and CPU milliseconds per copy of a 1920x1080 RGBA frame, into the same buffer each time. */
  msPerFrame: number;
  cpuMsPerFrame: number;
  /**
   * The same, into eight buffers in turn (64 MB, more than a shared cache holds): memory out of
   * the caches, as a client's buffer is when the server writes a frame into it. On a machine whose
   * shared cache holds both 8 MB frames, the copy above never leaves it and is two to three
   * times as fast as this one.
   */
  coldMsPerFrame: number;
  coldCpuMsPerFrame: number;
}

/** Buffer.copy (a memcpy) of one 1080p frame into another buffer, and into one of eight in turn. */
function measureMemcpy(): Memcpy {
  const bytes = 1920 * 1080 * 4;
  const from = Buffer.alloc(bytes, 0x5a);
  const targets = Array.from({ length: 8 }, () => Buffer.alloc(bytes, 0));
  for (const to of targets) from.copy(to);
  const measure = (targetCount: number) => {
    let copies = 0;
    const startCpu = process.cpuUsage();
    const startNs = process.hrtime.bigint();
    const endNs = startNs + BigInt(MEMCPY_MEASURE_MS) * 1_000_000n;
    while (process.hrtime.bigint() < endNs) {
      from.copy(targets[copies % targetCount]!);
      copies++;
    }
    const ms = Number(process.hrtime.bigint() - startNs) / 1e6;
    return { ms: ms / copies, cpuMs: (1000 * cpuSecondsSince(startCpu)) / copies };
  };
  const hot = measure(1);
  const cold = measure(targets.length);
  return { msPerFrame: hot.ms, cpuMsPerFrame: hot.cpuMs, coldMsPerFrame: cold.ms, coldCpuMsPerFrame: cold.cpuMs };
}

// --- reference: the busy desktop drawing on its own ----------------------------------------------

const DESKTOP_MEASURE_MS = 2000;

/**
 * CPU milliseconds the busy 1080p desktop takes to draw one step, with no server: part of the
 * process CPU in the busy row that is the source's, not the transport's.
 */
async function measureBusyDesktop(): Promise<number> {
  const desktop = new SyntheticDesktop({ width: 1920, height: 1080, busy: true });
  let steps = 0;
  await desktop.start({ damage: () => steps++, requestFrame: () => undefined, pointer: () => undefined, status: () => undefined });
  try {
    await sleep(300);
    const startSteps = steps;
    const startCpu = process.cpuUsage();
    await sleep(DESKTOP_MEASURE_MS);
    return (1000 * cpuSecondsSince(startCpu)) / Math.max(1, steps - startSteps);
  } finally {
    await desktop.stop();
  }
}

// --- capture rows ------------------------------------------------------------------------------

interface RowResult {
  displayWidth: number;
  displayHeight: number;
  busy: boolean;
  hz: number;
  width: number;
  height: number;
  transport: RowMode;
  clients: number;
  /** Whether the clients ran in a child process (childProcess). */
  childProcess: boolean;
  /** Whether frames were announced over gRPC, the server serving no local frame socket. */
  framesOverGrpc: boolean;
  /** How long the row is measured for. */
  measureMs: number;
  seconds: number;
  /** The server's process and, with childProcess, the clients' process. */
  cpuSeconds: number;
  latchedPerSecond: number;
  stats: ClientStats[];
  errors: string[];
}

async function measureRow(
  server: CaptureServer,
  display: { width: number; height: number; busy?: boolean; hz?: number; framesOverGrpc?: boolean },
  width: number,
  height: number,
  transport: RowMode,
  clientCount: number,
  childProcess: boolean,
): Promise<RowResult> {
  const result: RowResult = {
    displayWidth: display.width,
    displayHeight: display.height,
    busy: display.busy ?? false,
    hz: display.hz ?? VSYNC_HZ,
    width,
    height,
    transport,
    clients: clientCount,
    childProcess,
    framesOverGrpc: display.framesOverGrpc ?? false,
    measureMs: MEASURE_MS,
    seconds: 0,
    cpuSeconds: 0,
    latchedPerSecond: 0,
    stats: [],
    errors: [],
  };
  if (isTargetRow(result, 8, false) || isGrpcComparisonRow(result)) result.measureMs = LATENCY_TARGET_MEASURE_MS;
  const settings: ClientsSettings = {
    address: server.address,
    width,
    height,
    transport: transportOf(transport),
    inlineEncoding: transport === 'inline-rects' ? 'damage-rects' : 'full',
    count: clientCount,
    callTimeoutMs: CALL_TIMEOUT_MS,
  };
  try {
    if (childProcess) await measureInChild(server, settings, result);
    else await measureHere(server, settings, result);
  } catch (error) {
    result.errors.push(errorText(error));
  }
  return result;
}

/** The window: the latches counted around it, the server's CPU over it. */
async function measureWindow(
  server: CaptureServer,
  result: RowResult,
  open: (latchedAtStart: number) => void,
  close: () => void,
): Promise<void> {
  const latchedBefore = server.scheduler.latest()?.number ?? 0;
  const startNs = process.hrtime.bigint();
  const startCpu = process.cpuUsage();
  open(latchedBefore);
  await sleep(result.measureMs);
  close();
  const endNs = process.hrtime.bigint();
  result.cpuSeconds += cpuSecondsSince(startCpu);
  const latchedAfter = server.scheduler.latest()?.number ?? 0;
  result.seconds = Number(endNs - startNs) / 1e9;
  result.latchedPerSecond = (latchedAfter - latchedBefore) / result.seconds;
}

/** Counts the frames of clients that never got one in the window as all skipped. */
function countStarved(server: CaptureServer, result: RowResult, latchedBefore: number): void {
  const latchedAfter = server.scheduler.latest()?.number ?? 0;
  for (const stats of result.stats) {
    if (stats.frames === 0) stats.skipped = Math.max(0, latchedAfter - Math.max(stats.lastFrame, latchedBefore));
  }
}

/** The clients on this process's event loop, the server's. */
async function measureHere(server: CaptureServer, settings: ClientsSettings, result: RowResult): Promise<void> {
  const clients = await startClients(settings);
  let latchedBefore = 0;
  try {
    await sleep(WARMUP_MS);
    await measureWindow(
      server,
      result,
      (latchedAtStart) => {
        latchedBefore = latchedAtStart;
        clients.window.latchedAtStart = latchedAtStart;
        clients.window.startNs = process.hrtime.bigint();
      },
      () => {
        clients.window.endNs = process.hrtime.bigint();
      },
    );
  } finally {
    result.errors.push(...(await clients.stop(TEARDOWN_MS)));
  }
  result.stats = [...clients.stats];
  countStarved(server, result, latchedBefore);
}

/** How far apart the child's and this process's monotonic clocks may read at its 'ready' (an IPC hop). */
const CLOCK_AGREEMENT_NS = 50_000_000n;

/** The clients in a child process (capture-clients-process.ts); its CPU is added to the server's. */
async function measureInChild(server: CaptureServer, settings: ClientsSettings, result: RowResult): Promise<void> {
  const child = fork(path.join(__dirname, 'support', 'capture-clients-process.js'), [JSON.stringify(settings)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: FromClients[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (message: FromClients) => {
    messages.push(message);
    wake?.();
  });
  const exited = once(child, 'exit');
  const next = async (ms: number): Promise<FromClients> => {
    const deadline = Date.now() + ms;
    while (messages.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the clients' process did not answer within ${ms} ms`);
      await within(Promise.race([new Promise<void>((resolve) => (wake = resolve)), exited.then(() => undefined)]), left);
      if (messages.length === 0 && child.exitCode !== null) throw new Error(`the clients' process exited (${child.exitCode})`);
    }
    return messages.shift()!;
  };
  try {
    const ready = await next(CALL_TIMEOUT_MS * 3);
    if (ready.type === 'failed') throw new Error(ready.error);
    if (ready.type !== 'ready') throw new Error(`the clients' process said ${ready.type} before ready`);
    // Latencies compare the child's clock with the server's latch times: they must be one clock.
    const apartNs = process.hrtime.bigint() - BigInt(ready.monotonicNs);
    if (apartNs < 0n || apartNs > CLOCK_AGREEMENT_NS) {
      throw new Error(`the clients' process's monotonic clock reads ${Number(apartNs) / 1e6} ms apart from this one's`);
    }
    await sleep(WARMUP_MS);
    let latchedBefore = 0;
    await measureWindow(
      server,
      result,
      (latchedAtStart) => {
        latchedBefore = latchedAtStart;
        child.send({ type: 'start', latchedAtStart } satisfies ToClients);
      },
      () => child.send({ type: 'end', teardownMs: TEARDOWN_MS } satisfies ToClients),
    );
    const report = await next(TEARDOWN_MS + CALL_TIMEOUT_MS + 1000);
    if (report.type !== 'stats') throw new Error(`the clients' process said ${report.type} instead of its figures`);
    result.stats = report.stats;
    result.cpuSeconds += report.cpuSeconds;
    result.errors.push(...report.errors);
    countStarved(server, result, latchedBefore);
  } finally {
    if ((await within(exited, TEARDOWN_MS)) === 'timeout') {
      result.errors.push(`the clients' process (pid ${child.pid}) did not exit; killed`);
      child.kill('SIGKILL');
    }
  }
}

function transportOf(mode: RowMode): Exclude<FrameTransport, 'auto'> {
  return mode === 'inline-rects' ? 'inline' : mode;
}

// --- report ------------------------------------------------------------------------------------

const MODE_LABELS: Record<RowMode, string> = { inline: 'INLINE', 'shared-memory': 'SHARED_MEMORY', 'inline-rects': 'INLINE damage rects' };

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function rowLine(row: RowResult, loopback: Loopback): string {
  const perClient = row.stats.map((s) => s.frames / row.seconds);
  const total = perClient.reduce((a, b) => a + b, 0);
  const mean = perClient.length > 0 ? total / perClient.length : NaN;
  const skippedPerClient = row.stats.length > 0 ? row.stats.reduce((a, s) => a + s.skipped, 0) / row.stats.length / row.seconds : NaN;
  const latencies = row.stats.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const bytesPerS = row.stats.reduce((a, s) => a + s.bytes, 0) / row.seconds;
  const frames = row.stats.reduce((a, s) => a + s.frames, 0);
  const cpuMsPerFrame = frames > 0 ? (1000 * row.cpuSeconds) / frames : NaN;
  const spread = perClient.length > 1 ? ` (${fixed(Math.min(...perClient), 1)}–${fixed(Math.max(...perClient), 1)})` : '';
  const image =
    (row.width === row.displayWidth && row.height === row.displayHeight
      ? `${row.width}x${row.height}`
      : `${row.width}x${row.height} of ${row.displayWidth}x${row.displayHeight}`) +
    (row.busy ? ', busy desktop' : '') +
    (row.hz !== VSYNC_HZ ? `, display at ${row.hz} Hz` : '') +
    (row.childProcess ? ', clients in a child process' : '') +
    (row.framesOverGrpc ? ', frames over gRPC (no local frame socket)' : '');
  return `| ${image} | ${MODE_LABELS[row.transport]} | ${row.clients} | ${fixed(row.latchedPerSecond, 1)} | ${fixed(mean, 1)}${spread} | ${fixed(total, 1)} | ${fixed(skippedPerClient, 1)} | ${fixed(percentile(latencies, 50), 1)} | ${fixed(percentile(latencies, 99), 1)} | ${fixed(bytesPerS / MB, 0)} | ${fixed((100 * bytesPerS) / loopback.bytesPerSecond, 0)}% | ${fixed((100 * row.cpuSeconds) / row.seconds, 0)}% | ${fixed(cpuMsPerFrame, 1)} |`;
}

/** Mean frames/s per client, skipped/s per client, p99 latency and CPU ms per delivered frame of a row. */
function rowFigures(row: RowResult): { perClient: number; skippedPerClient: number; p50: number; p99: number; cpuMsPerFrame: number } {
  const count = Math.max(1, row.stats.length);
  const frames = row.stats.reduce((a, s) => a + s.frames, 0);
  const latencies = row.stats.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  return {
    perClient: frames / count / row.seconds,
    skippedPerClient: row.stats.reduce((a, s) => a + s.skipped, 0) / count / row.seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMsPerFrame: frames > 0 ? (1000 * row.cpuSeconds) / frames : NaN,
  };
}

/** " (clients in a child process)" for such a row: the targets' tables show both kinds side by side. */
function whereClients(row: RowResult): string {
  return row.childProcess ? ' (clients in a child process)' : '';
}

/** Whether `row` is one of the SHARED_MEMORY targets' rows: `clients` at 1080p of the 60 Hz 1080p desktop, busy or not. */
function isTargetRow(row: RowResult, clients: number, busy: boolean): boolean {
  return (
    !row.framesOverGrpc &&
    row.transport === 'shared-memory' &&
    row.clients === clients &&
    row.busy === busy &&
    row.hz === VSYNC_HZ &&
    row.width === 1920 &&
    row.height === 1080 &&
    row.displayWidth === 1920
  );
}

/** The p99 target's row with frames announced over gRPC instead of the local frame socket. */
function isGrpcComparisonRow(row: RowResult): boolean {
  return row.framesOverGrpc && isTargetRow({ ...row, framesOverGrpc: false }, 8, false);
}

/** The SHARED_MEMORY targets of issue 12, each with what this run measured and whether it is met. */
function targetsTable(rows: readonly RowResult[], memcpy: Memcpy, stalls: CoreStalls, desktopMsPerStep: number): string[] {
  const findAll = (clients: number, busy: boolean) => rows.filter((row) => isTargetRow(row, clients, busy));
  const verdict = (met: boolean, missedBy: string) => (met ? 'met' : `missed by ${missedBy}`);
  const lines = ['| SHARED_MEMORY, 1920x1080 | target | measured | |', '|---|---|---|---|'];
  for (const quiet8 of findAll(8, false)) {
    const f = rowFigures(quiet8);
    const skipped = f.skippedPerClient * quiet8.seconds;
    const misses = [skipped > 0 ? `${fixed(skipped, 1)} skipped frames` : '', f.p99 > 4 ? `${fixed(f.p99 - 4, 1)} ms of p99` : ''].filter(
      Boolean,
    );
    lines.push(
      `| 8 clients, default desktop${whereClients(quiet8)} | 0 skipped, p99 latch-to-client ≤ 4 ms | ${fixed(skipped, 1)} skipped per client in ${fixed(quiet8.seconds, 1)} s, p50 ${fixed(f.p50, 1)} ms, p99 ${fixed(f.p99, 1)} ms | ${misses.length === 0 ? 'met' : `missed by ${misses.join(' and ')}`} |`,
    );
  }
  if (findAll(8, false).length > 0) {
    // A stall of one of the threads a frame passes through delays that frame by as much: once
    // stalls begin in more than 1% of frame periods, they are what p99 measures.
    const overTwoMs = stalls.perSecondOver[STALL_THRESHOLDS_MS.indexOf(2)]!;
    lines.push(
      `| (this machine's stalls, from the reference above) | | a core stalled for over 2 ms ${fixed(overTwoMs, 2)} times a second: one began in ${fixed((100 * overTwoMs * stalls.threads) / VSYNC_HZ, 1)}% of 60 Hz frame periods | |`,
    );
  }
  for (const overGrpc of rows.filter(isGrpcComparisonRow)) {
    const f = rowFigures(overGrpc);
    lines.push(
      `| the same, frames over gRPC (no local frame socket)${whereClients(overGrpc)} | (what the socket saves) | p50 ${fixed(f.p50, 1)} ms, p99 ${fixed(f.p99, 1)} ms, ${fixed(f.cpuMsPerFrame, 2)} CPU ms per delivered frame | |`,
    );
  }
  for (const busy8 of findAll(8, true)) {
    const f = rowFigures(busy8);
    const where = whereClients(busy8);
    const ratio = f.cpuMsPerFrame / memcpy.cpuMsPerFrame;
    lines.push(
      `| 8 clients, busy desktop${where} | ≥ 45 frames/s each | ${fixed(f.perClient, 1)} | ${verdict(f.perClient >= 45, `${fixed(45 - f.perClient, 1)} frames/s`)} |`,
    );
    lines.push(
      `| 8 clients, busy desktop${where} | CPU per delivered frame ≤ 3x one memcpy (${fixed(3 * memcpy.cpuMsPerFrame, 2)} ms) | ${fixed(f.cpuMsPerFrame, 2)} ms = ${fixed(ratio, 2)}x | ${verdict(ratio <= 3, `${fixed(ratio - 3, 2)}x`)} |`,
    );
    const coldRatio = f.cpuMsPerFrame / memcpy.coldCpuMsPerFrame;
    lines.push(
      `| 8 clients, busy desktop${where} | (the same against a memcpy into memory out of the caches, ${fixed(memcpy.coldCpuMsPerFrame, 2)} ms) | ${fixed(coldRatio, 2)}x | |`,
    );
    // The desktop draws about once per latched frame (more when latches are starved: then this
    // understates its share).
    const frames = busy8.stats.reduce((a, s) => a + s.frames, 0);
    const serverMs = f.cpuMsPerFrame - (desktopMsPerStep * busy8.latchedPerSecond * busy8.seconds) / Math.max(1, frames);
    const serverRatio = serverMs / memcpy.cpuMsPerFrame;
    lines.push(
      `| 8 clients, busy desktop${where} | the same less the desktop's drawing (${fixed(desktopMsPerStep, 2)} ms a step, alone) | ${fixed(serverMs, 2)} ms = ${fixed(serverRatio, 2)}x | ${verdict(serverRatio <= 3, `${fixed(serverRatio - 3, 2)}x`)} |`,
    );
  }
  for (const quiet32 of findAll(32, false)) {
    const f = rowFigures(quiet32);
    lines.push(
      `| 32 clients, default desktop${whereClients(quiet32)} | ≥ 55 frames/s each | ${fixed(f.perClient, 1)} | ${verdict(f.perClient >= 55, `${fixed(55 - f.perClient, 1)} frames/s`)} |`,
    );
  }
  return lines;
}

/** INLINE for networks (issue 12): full frames against raw loopback, damage rects by their cost. */
function inlineTable(rows: readonly RowResult[], loopback: Loopback, grpc: GrpcReferences): string[] {
  const findAll = (mode: RowMode, hz = VSYNC_HZ) =>
    rows.filter(
      (row) =>
        row.transport === mode &&
        row.clients === 1 &&
        !row.busy &&
        row.hz === hz &&
        row.width === 1920 &&
        row.height === 1080 &&
        row.displayWidth === 1920,
    );
  const share = (row: RowResult) => (100 * row.stats.reduce((a, s) => a + s.wireBytes, 0)) / row.seconds / loopback.bytesPerSecond;
  const lines = ['| INLINE, 1 client, 1920x1080 | target | measured | |', '|---|---|---|---|'];
  let best: number | undefined;
  for (const full of findAll('inline')) {
    const measured = share(full);
    best = Math.max(best ?? 0, measured);
    lines.push(
      `| full frames${whereClients(full)} | ≥ 50% of raw loopback TCP bytes/s | ${fixed(measured, 0)}% (${fixed(rowFigures(full).perClient, 1)} frames/s, ${fixed(rowFigures(full).cpuMsPerFrame, 1)} CPU ms a frame) | ${measured >= 50 ? 'met' : `missed by ${fixed(50 - measured, 0)} points`} |`,
    );
  }
  if (best !== undefined) {
    const atSixty = (VSYNC_HZ * 1920 * 1080 * 4) / loopback.bytesPerSecond;
    lines.push(
      `| full frames, the most a ${VSYNC_HZ} Hz display gives | | every frame, ${fixed(VSYNC_HZ, 0)} frames/s, is ${fixed(100 * atSixty, 0)}% of raw loopback in this run | |`,
    );
  }
  for (const fast of findAll('inline', 2 * VSYNC_HZ)) {
    const measured = share(fast);
    best = Math.max(best ?? 0, measured);
    lines.push(
      `| full frames, display at ${fast.hz} Hz (the transport, not the display, is the limit)${whereClients(fast)} | ≥ 50% of raw loopback TCP bytes/s | ${fixed(measured, 0)}% (${fixed(rowFigures(fast).perClient, 1)} frames/s of ${fixed(fast.latchedPerSecond, 1)} latched, ${fixed(rowFigures(fast).cpuMsPerFrame, 1)} CPU ms a frame) | ${measured >= 50 ? 'met' : `missed by ${fixed(50 - measured, 0)} points`} |`,
    );
  }
  if (best !== undefined) {
    const ceiling = Math.max(grpc.defaults.bytesPerSecond, grpc.largeWindow.bytesPerSecond);
    lines.push(
      `| full frames, against bare grpc-js (same run) | | bare grpc-js carries ${fixed((100 * ceiling) / loopback.bytesPerSecond, 0)}% of raw loopback at best; INLINE ${fixed((best * loopback.bytesPerSecond) / ceiling, 0)}% of that | |`,
    );
  }
  for (const rects of findAll('inline-rects')) {
    const f = rowFigures(rects);
    const frames = rects.stats.reduce((a, s) => a + s.frames, 0);
    const bytesPerFrame = frames > 0 ? rects.stats.reduce((a, s) => a + s.wireBytes, 0) / frames : NaN;
    lines.push(
      `| damage rects, default desktop | 60 frames/s | ${fixed(f.perClient, 1)} frames/s (${fixed(rects.latchedPerSecond, 1)} latched/s) | ${f.perClient >= 0.95 * rects.latchedPerSecond ? 'met (every latched frame)' : `missed by ${fixed(rects.latchedPerSecond - f.perClient, 1)} frames/s`} |`,
    );
    lines.push(
      `| damage rects, default desktop | bytes and CPU per frame | ${fixed(bytesPerFrame / 1000, 1)} kB per frame (a full frame is ${fixed((1920 * 1080 * 4) / 1000, 0)} kB), ${fixed(f.cpuMsPerFrame, 2)} CPU ms per frame (server and client) | |`,
    );
  }
  return lines;
}

/** The bare grpc-js references: with its default flow-control window, and with a large one. */
interface GrpcReferences {
  defaults: GrpcLoopback;
  largeWindow: GrpcLoopback;
  /** Small replies, GRPC_CALLERS callers: the fixed cost of a call. */
  smallCalls: GrpcLoopback;
}

/** Whether this process runs with the command's Node flags (src/cli/node-flags.ts), as `npm run bench` starts it. */
function nodeFlagsNote(): string {
  const missing = NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  return missing.length === 0
    ? `with the command's flags (${NODE_FLAGS.join(' ')})`
    : `WITHOUT the command's flag ${missing.join(' ')} (run it through npm run bench, or pass it to node): INLINE figures are lower than the command's`;
}

function report(
  loopback: Loopback,
  grpc: GrpcReferences,
  memcpy: Memcpy,
  windowCopies: WindowCopies | undefined,
  stalls: CoreStalls,
  desktopMsPerStep: number,
  rows: readonly RowResult[],
): string {
  const frame1080 = 1920 * 1080 * 4;
  const frame720 = 1280 * 720 * 4;
  const cpus = os.cpus();
  const lines = [
    '### Capture server, INLINE and SHARED_MEMORY transports',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version} ${nodeFlagsNote()}. ` +
      `Load average ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(', ')} at the end of the run. ` +
      `Server and clients in one process on 127.0.0.1 (rows marked "clients in a child process": the clients in one process of their own); synthetic desktop at ${VSYNC_HZ} Hz; each client asks for the display's size in rgba8 ` +
      `(the frame goes out as is) unless the image column says otherwise (scaled by ${isImageTransformAvailable() ? 'the native libyuv transform' : 'sharp'}), 2 buffers, frames() iterator (its requests on one StreamFrames stream per client); ` +
      `${MEASURE_MS / 1000} s per row (${LATENCY_TARGET_MEASURE_MS / 1000} s for the rows of the p99 target, 8 SHARED_MEMORY clients of the 1080p default desktop) after ${WARMUP_MS / 1000} s of warm-up. ` +
      'Skipped: frames latched in the window that a client never received. ' +
      `Process CPU: user + system time of this process (server, clients, synthetic desktop), plus the clients' process's where they have one, over the window; ${cpus.length * 100}% is every core. ` +
      'CPU ms per delivered frame includes the per-vsync latch and animation, shared by all clients. MB = 10^6 bytes.',
    '',
    '| reference | MB/s | 1920x1080 RGBA frames/s | 1280x720 RGBA frames/s | CPU ms per 1920x1080 frame | CPU ms per 1280x720 frame |',
    '|---|---:|---:|---:|---:|---:|',
    `| node:net loopback, one process both ends, ${LOOPBACK_WRITE_BYTES / 1024 / 1024} MiB writes, ${LOOPBACK_MEASURE_MS / 1000} s | ` +
      `${fixed(loopback.bytesPerSecond / MB, 0)} | ${fixed(loopback.bytesPerSecond / frame1080, 0)} | ${fixed(loopback.bytesPerSecond / frame720, 0)} | ` +
      `${fixed(1000 * loopback.cpuSecondsPerByte * frame1080, 1)} | ${fixed(1000 * loopback.cpuSecondsPerByte * frame720, 1)} |`,
    ...(
      [
        ['default channel options', grpc.defaults],
        [`grpc-node.flow_control_window ${LARGE_WINDOW / 1024 / 1024} MiB`, grpc.largeWindow],
      ] as const
    ).map(
      ([options, measured]) =>
        `| bare grpc-js unary call, one 1920x1080 RGBA frame as a bytes field per reply, ${options}, ${GRPC_MEASURE_MS / 1000} s | ` +
        `${fixed(measured.bytesPerSecond / MB, 0)} | ${fixed(measured.bytesPerSecond / frame1080, 0)} | | ` +
        `${fixed(1000 * measured.cpuSecondsPerByte * frame1080, 1)} | |`,
    ),
    `| one memcpy (Buffer.copy) of a 1920x1080 RGBA frame, ${MEMCPY_MEASURE_MS / 1000} s | ${fixed(frame1080 / memcpy.msPerFrame / 1000, 0)} | ${fixed(1000 / memcpy.msPerFrame, 0)} | | ${fixed(memcpy.cpuMsPerFrame, 2)} | |`,
    `| the same into one of 8 frames in turn (64 MB: memory out of the caches, as a client's buffer is), ${MEMCPY_MEASURE_MS / 1000} s | ${fixed(frame1080 / memcpy.coldMsPerFrame / 1000, 0)} | ${fixed(1000 / memcpy.coldMsPerFrame, 0)} | | ${fixed(memcpy.coldCpuMsPerFrame, 2)} | |`,
    '',
    ...(windowCopies
      ? [
          "| reference: a moving window (620x243, 600 kB) written into 8 clients' mapped buffers by the native transform, in one batch | CPU µs a copy | a batch of 8, wall ms (median) |",
          '|---|---:|---:|',
          `| batches back to back, ${WINDOW_COPIES_MEASURE_MS / 1000} s | ${fixed(windowCopies.backToBackCpuUs, 0)} | |`,
          `| one batch every 16.7 ms, as at 60 Hz (the buffers cold again each time), ${WINDOW_COPIES_MEASURE_MS / 1000} s | ${fixed(windowCopies.paced60HzCpuUs, 0)} | ${fixed(windowCopies.paced60HzRoundMs, 2)} |`,
          '',
        ]
      : []),
    `| reference: this machine's stalls, a thread spinning on each of its ${stalls.threads} cores with nothing else of the bench running, ${stalls.seconds} s | ${STALL_THRESHOLDS_MS.map((ms) => `gaps over ${ms} ms, a second per core`).join(' | ')} | longest gap, ms | time lost in gaps over ${STALL_THRESHOLDS_MS[0]} ms |`,
    `|---|${STALL_THRESHOLDS_MS.map(() => '---:|').join('')}---:|---:|`,
    `| the monotonic clock read in a loop: a gap is time the thread did not run | ${stalls.perSecondOver.map((rate) => fixed(rate, 2)).join(' | ')} | ${fixed(stalls.longestMs, 1)} | ${fixed(100 * stalls.lostShare, 2)}% |`,
    '',
    '| reference | calls/s | CPU µs per call, both ends |',
    '|---|---:|---:|',
    `| bare grpc-js unary call, ${SMALL_REPLY_BYTES}-byte replies, ${GRPC_CALLERS} callers each with one call in flight, ${GRPC_MEASURE_MS / 1000} s | ${fixed(grpc.smallCalls.callsPerSecond, 0)} | ${fixed(1e6 * grpc.smallCalls.cpuSecondsPerCall, 0)} |`,
    '',
    '| image | transport | clients | frames latched/s | frames/s per client, mean (min–max) | frames/s all clients | skipped/s per client | latency p50 ms | latency p99 ms | pixels MB/s delivered | of raw loopback | process CPU | CPU ms per delivered frame |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => rowLine(row, loopback)),
  ];
  const failures = rows.flatMap((row) =>
    row.errors.map((error) => `- ${row.width}x${row.height}, ${row.transport}, ${row.clients} clients: ${error}`),
  );
  lines.push('', ...targetsTable(rows, memcpy, stalls, desktopMsPerStep), '', ...inlineTable(rows, loopback, grpc));
  if (failures.length > 0) lines.push('', 'Failures:', '', ...failures);
  return `${lines.join('\n')}\n`;
}

/** How a row is named in the progress lines (and found by --rows). */
function rowLabel(
  display: { width: number; height: number; busy?: boolean; hz?: number; framesOverGrpc?: boolean },
  image: { width: number; height: number; childProcess?: boolean },
  mode: RowMode,
  clients: number,
): string {
  const rate = display.hz !== undefined && display.hz !== VSYNC_HZ ? ` at ${display.hz} Hz` : '';
  const where = image.childProcess ? ' in a child process' : '';
  const overGrpc = display.framesOverGrpc ? ', frames over gRPC' : '';
  return `${image.width}x${image.height} of ${display.width}x${display.height}${display.busy ? ' (busy)' : ''}${rate}, ${mode}, ${clients} client${clients === 1 ? '' : 's'}${where}${overGrpc}`;
}

// --- main --------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const filters = rowFilters(process.argv.slice(2));
  if (filters === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  progress(`loopback TCP reference (${(LOOPBACK_WARMUP_MS + LOOPBACK_MEASURE_MS) / 1000} s)`);
  const loopback = await measureLoopback();
  progress(`loopback: ${fixed(loopback.bytesPerSecond / MB, 0)} MB/s`);
  const frame1080 = 1920 * 1080 * 4;
  const grpc: GrpcReferences = {
    defaults: await measureGrpcLoopback(frame1080, GRPC_WARMUP_MS, GRPC_MEASURE_MS),
    largeWindow: await measureGrpcLoopback(frame1080, GRPC_WARMUP_MS, GRPC_MEASURE_MS, { 'grpc-node.flow_control_window': LARGE_WINDOW }),
    smallCalls: await measureGrpcLoopback(SMALL_REPLY_BYTES, GRPC_WARMUP_MS, GRPC_MEASURE_MS, {}, GRPC_CALLERS),
  };
  progress(
    `bare grpc-js: ${fixed(grpc.defaults.bytesPerSecond / MB, 0)} MB/s, ${fixed(grpc.largeWindow.bytesPerSecond / MB, 0)} MB/s with a large window, ${fixed(1e6 * grpc.smallCalls.cpuSecondsPerCall, 0)} CPU µs per small call`,
  );
  const memcpy = measureMemcpy();
  progress(`memcpy: ${fixed(memcpy.msPerFrame, 2)} ms per 1080p frame`);
  const windowCopies = isImageTransformAvailable() ? await measureWindowCopies(WINDOW_COPIES_MEASURE_MS) : undefined;
  if (windowCopies) {
    progress(
      `window copies: ${fixed(windowCopies.backToBackCpuUs, 0)} CPU µs a copy back to back, ${fixed(windowCopies.paced60HzCpuUs, 0)} at 60 rounds a second`,
    );
  }
  progress(`stalls of the cores (${CORE_STALLS_MEASURE_MS / 1000} s)`);
  const stalls = await measureCoreStalls(CORE_STALLS_MEASURE_MS);
  progress(
    `stalls: ${STALL_THRESHOLDS_MS.map((ms, i) => `over ${ms} ms ${fixed(stalls.perSecondOver[i]!, 2)}`).join(', ')} a second per core, the longest ${fixed(stalls.longestMs, 1)} ms`,
  );
  const desktopMsPerStep = await measureBusyDesktop();
  progress(`busy desktop alone: ${fixed(desktopMsPerStep, 2)} CPU ms per step`);

  // Session and connection logs would drown the progress lines; warnings and errors still show.
  const logger = createLogger('bench-server', { level: 'warn' });
  const rows: RowResult[] = [];
  const chosen = (label: string) => filters.length === 0 || filters.some((filter) => label.includes(filter));
  for (const display of DISPLAYS) {
    const labels = display.images.flatMap((image) =>
      image.clients.flatMap((clients) => (image.transports ?? TRANSPORTS).map((mode) => rowLabel(display, image, mode, clients))),
    );
    if (!labels.some(chosen)) continue;
    const server = await CaptureServer.start({
      source: new SyntheticDesktop({
        width: display.width,
        height: display.height,
        busy: display.busy,
        animationFps: display.hz ?? VSYNC_HZ,
      }),
      listen: '127.0.0.1:0',
      vsync: display.hz ?? VSYNC_HZ,
      localFrameSocket: !display.framesOverGrpc,
      logger,
    });
    try {
      for (const image of display.images) {
        for (const clientCount of image.clients) {
          // The two transports back to back, so that they see the same load on the machine.
          for (const transport of image.transports ?? TRANSPORTS) {
            const label = rowLabel(display, image, transport, clientCount);
            if (!chosen(label)) continue;
            progress(label);
            const row = await measureRow(server, display, image.width, image.height, transport, clientCount, image.childProcess ?? false);
            rows.push(row);
            for (const error of row.errors) progress(`  failed: ${error}`);
          }
        }
      }
    } finally {
      await server.stop(2000);
    }
  }
  process.stdout.write(report(loopback, grpc, memcpy, windowCopies, stalls, desktopMsPerStep, rows));
  return rows.some((row) => row.errors.length > 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // grpc-js may keep a pooled connection alive for a while; the results are out, so leave.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`capture bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
