/**
 * The soak: many clients over both transports, doing everything a client may do, against a
 * `screencap serve` process of the animated desktop, while its memory, descriptors and answers
 * are watched. `npm run soak` runs it for 10 minutes and prints the figures; the suite runs a
 * 60 s version and asserts the bounds (test/soak/soak.test.ts).
 *
 * Each client keeps one behaviour: steady hanging gets; holding frames and releasing them out
 * of order; configuring again every couple of seconds; dropping its connection without closing
 * (the server's idle expiry closes the session); or opening sessions it abandons.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CaptureClient, type CaptureSession, type FrameTransport } from '../../src/clients';
import { ServeProcess } from '../support/cli-process';
import { LiveHeapProbe } from '../support/live-heap';
import { mappingsOf } from '../support/shared-memory-files';

export interface SoakOptions {
  seconds: number;
  clients: number;
  /** Progress lines, e.g. console.log; default silent. */
  log?: (line: string) => void;
}

export interface MemorySample {
  atS: number;
  rssBytes: number;
  /** Heap used right after a forced full collection (every few samples; else undefined). */
  liveHeapBytes?: number;
}

export interface SoakFigures {
  frames: number;
  sessionsOpened: number;
  /** The longest a GetNextFrame waited, ms (the desktop latches many times a second). */
  longestWaitMs: number;
  /**
   * Over the first and the second half of the run after warm-up, medians of: RSS, and the live
   * heap (heap used right after a forced full collection, through the inspector: heap used
   * between collections is a sawtooth of garbage whose low points depend on when V8 collects).
   */
  warm: { rssBytes: number; liveHeapBytes: number };
  end: { rssBytes: number; liveHeapBytes: number };
  descriptors: { start: number; end: number };
  shmFiles: { start: number; end: number };
  /** SHARED_MEMORY buffer files the server has mapped. */
  mappedFiles: { start: number; end: number };
  errors: string[];
  samples: MemorySample[];
}

const SIZES: [number, number][] = [
  [320, 180],
  [160, 90],
  [240, 136],
];
/**
 * Short, so that the clients that drop their connections see their sessions expire many times
 * in a minute; not so short that a client starved of its event loop on a loaded machine loses a
 * session it is using (2 s did, at a load of 8 on two cores).
 */
const IDLE_TIMEOUT_S = 5;
/** A forced full collection every this many samples (a second apart): a short pause for everyone. */
const LIVE_HEAP_EVERY = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function descriptorsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function mappedBufferFiles(pid: number): number {
  return mappingsOf((file) => path.basename(file).startsWith('screencap-'), pid).length;
}

function shmFiles(): number {
  return readdirSync('/dev/shm').filter((name) => name.startsWith('screencap-')).length;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+) (\S+)$/.exec(line);
    if (match) values.set(match[1], Number(match[2]));
  }
  return values;
}

export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const log = options.log ?? (() => undefined);
  const server = await ServeProcess.start(
    [
      '--listen',
      '127.0.0.1:0',
      '--size',
      '1280x720',
      '--metrics',
      '127.0.0.1:0',
      '--idle-timeout',
      `${IDLE_TIMEOUT_S}s`,
      '--max-sessions',
      String(options.clients * 4),
      '--log-level',
      'warn',
    ],
    {},
    ['--inspect=127.0.0.1:0'],
  );
  const pid = server.child.pid!;
  const heapProbe = await LiveHeapProbe.connect(() => server.output.stderr);
  const metricsUrl = await (async () => {
    for (let i = 0; i < 100; i++) {
      const url = /screencap metrics: (\S+)\n/.exec(server.output.stdout)?.[1];
      if (url) return url;
      await sleep(50);
    }
    throw new Error('serve printed no metrics URL');
  })();
  const figures: SoakFigures = {
    frames: 0,
    sessionsOpened: 0,
    longestWaitMs: 0,
    warm: { rssBytes: 0, liveHeapBytes: 0 },
    end: { rssBytes: 0, liveHeapBytes: 0 },
    descriptors: { start: descriptorsOf(pid), end: 0 },
    shmFiles: { start: shmFiles(), end: 0 },
    mappedFiles: { start: mappedBufferFiles(pid), end: 0 },
    errors: [],
    samples: [],
  };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const running = () => performance.now() < deadline;

  /** One GetNextFrame, timed. */
  const timedFrame = async (session: CaptureSession) => {
    const asked = performance.now();
    const frame = await session.nextFrame({ timeoutMs: 10_000 });
    figures.longestWaitMs = Math.max(figures.longestWaitMs, performance.now() - asked);
    figures.frames++;
    return frame;
  };

  const open = async (client: CaptureClient, i: number, sizeIndex: number): Promise<CaptureSession> => {
    const session = await client.openSession({ clientName: `soak-${i}` });
    figures.sessionsOpened++;
    const [width, height] = SIZES[sizeIndex % SIZES.length];
    const transport: FrameTransport = i % 2 === 0 ? 'inline' : 'shared-memory';
    await session.configure({ width, height, bufferCount: 3, transport, cursorMode: (['embedded', 'metadata', 'hidden'] as const)[i % 3] });
    return session;
  };

  const behaviours: ((i: number) => Promise<void>)[] = [
    // Steady: frame after frame, each released when the next is asked for.
    async (i) => {
      const client = new CaptureClient({ address: server.address });
      const session = await open(client, i, i);
      try {
        while (running()) (await timedFrame(session)).release().catch(() => undefined);
      } finally {
        await session.close().catch(() => undefined);
        client.close();
      }
    },
    // Holds two frames and gives them back in the other order.
    async (i) => {
      const client = new CaptureClient({ address: server.address });
      const session = await open(client, i, i);
      try {
        while (running()) {
          const first = await timedFrame(session);
          const second = await timedFrame(session);
          await second.release();
          await first.release();
        }
      } finally {
        await session.close().catch(() => undefined);
        client.close();
      }
    },
    // Configures again (another size) every couple of seconds.
    async (i) => {
      const client = new CaptureClient({ address: server.address });
      let sizeIndex = i;
      let session = await open(client, i, sizeIndex);
      try {
        while (running()) {
          const until = performance.now() + 2000;
          while (running() && performance.now() < until) (await timedFrame(session)).release().catch(() => undefined);
          await session.close();
          session = await open(client, i, ++sizeIndex);
        }
      } finally {
        await session.close().catch(() => undefined);
        client.close();
      }
    },
    // Drops its connection without closing its session, every few seconds: idle expiry ends it.
    async (i) => {
      while (running()) {
        const client = new CaptureClient({ address: server.address });
        const session = await open(client, i, i);
        const until = performance.now() + 3000;
        while (running() && performance.now() < until) (await timedFrame(session)).release().catch(() => undefined);
        client.close();
      }
    },
    // Opens sessions and abandons them, configured or not, every second.
    async (i) => {
      const client = new CaptureClient({ address: server.address });
      try {
        while (running()) {
          if (i % 2 === 0) await open(client, i, i);
          else {
            await client.openSession({ clientName: `soak-${i}-abandoned` });
            figures.sessionsOpened++;
          }
          await sleep(1000);
        }
      } finally {
        client.close();
      }
    },
  ];

  const sampler = (async () => {
    while (running()) {
      const values = await scrape(metricsUrl);
      const liveHeapBytes = figures.samples.length % LIVE_HEAP_EVERY === 0 ? await heapProbe.liveHeapBytes() : undefined;
      figures.samples.push({
        atS: (performance.now() - started) / 1000,
        rssBytes: values.get('process_resident_memory_bytes') ?? 0,
        liveHeapBytes,
      });
      if (liveHeapBytes !== undefined && figures.samples.length % (LIVE_HEAP_EVERY * 4) === 1) {
        const last = figures.samples[figures.samples.length - 1];
        log(
          `soak ${last.atS.toFixed(0)} s: ${figures.frames} frames, ${figures.sessionsOpened} sessions, RSS ${(last.rssBytes / 2 ** 20).toFixed(0)} MiB, live heap ${(liveHeapBytes / 2 ** 20).toFixed(1)} MiB, longest wait ${figures.longestWaitMs.toFixed(0)} ms`,
        );
      }
      await sleep(1000);
    }
  })();

  const clients = Array.from({ length: options.clients }, (_, i) =>
    behaviours[i % behaviours.length](i).catch((error: Error) => {
      figures.errors.push(
        `client ${i} (${behaviours[i % behaviours.length] === behaviours[0] ? 'steady' : `behaviour ${i % behaviours.length}`}): ${error.message}`,
      );
    }),
  );
  await Promise.all([...clients, sampler]);

  // Warm-up is the first fifth (at least 10 s): pools fill, V8 settles. Then two halves.
  const warmFrom = figures.samples.findIndex((sample) => sample.atS >= Math.max(10, options.seconds / 5));
  const middle = warmFrom + Math.floor((figures.samples.length - warmFrom) / 2);
  const warmWindow = figures.samples.slice(warmFrom, middle);
  const endWindow = figures.samples.slice(middle);
  const medians = (window: MemorySample[]) => ({
    rssBytes: median(window.map((s) => s.rssBytes)),
    liveHeapBytes: median(window.flatMap((s) => (s.liveHeapBytes === undefined ? [] : [s.liveHeapBytes]))),
  });
  figures.warm = medians(warmWindow);
  figures.end = medians(endWindow);
  heapProbe.close();

  // Every session the clients left behind expires; then the descriptors are the start's again.
  for (let i = 0; i < 100; i++) {
    const sessions = (await scrape(metricsUrl)).get('screencap_sessions');
    if (sessions === 0) break;
    await sleep(200);
  }
  await sleep(500);
  figures.descriptors.end = descriptorsOf(pid);
  figures.shmFiles.end = shmFiles();
  figures.mappedFiles.end = mappedBufferFiles(pid);
  await server.stop();
  return figures;
}

/** The figures as the table docs/PERFORMANCE.md keeps. */
export function soakTable(figures: SoakFigures, options: SoakOptions): string {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const drift = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
  return [
    `| soak (${options.clients} clients, ${options.seconds} s), medians | first half after warm-up | second half | drift |`,
    '|---|---:|---:|---:|',
    `| RSS, MiB | ${mib(figures.warm.rssBytes)} | ${mib(figures.end.rssBytes)} | ${drift(figures.warm.rssBytes, figures.end.rssBytes)} |`,
    `| live heap (after a full collection), MiB | ${mib(figures.warm.liveHeapBytes)} | ${mib(figures.end.liveHeapBytes)} | ${drift(figures.warm.liveHeapBytes, figures.end.liveHeapBytes)} |`,
    `| open descriptors | ${figures.descriptors.start} (start) | ${figures.descriptors.end} | |`,
    `| /dev/shm files | ${figures.shmFiles.start} (start) | ${figures.shmFiles.end} | |`,
    `| buffer files the server maps | ${figures.mappedFiles.start} (start) | ${figures.mappedFiles.end} | |`,
    '',
    `${figures.frames} frames, ${figures.sessionsOpened} sessions opened, longest GetNextFrame wait ${figures.longestWaitMs.toFixed(0)} ms, ${figures.errors.length} client errors`,
  ].join('\n');
}

// Run directly (npm run soak): 10 minutes, 64 clients, figures printed.
if (require.main === module) {
  const seconds = Number(process.argv[2] ?? 600);
  const options = { seconds, clients: 64, log: (line: string) => process.stderr.write(`${line}\n`) };
  runSoak(options).then(
    (figures) => {
      process.stdout.write(`${soakTable(figures, options)}\n`);
      for (const error of figures.errors) process.stdout.write(`error: ${error}\n`);
    },
    (error: Error) => {
      process.stderr.write(`soak failed: ${error.stack}\n`);
      process.exitCode = 1;
    },
  );
}
