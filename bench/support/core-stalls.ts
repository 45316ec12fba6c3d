/**
 * A reference for the latency rows: how often this machine takes a core away from a thread
 * that wants it. One thread per core spins on the monotonic clock, with nothing else of the
 * bench running, and notes every gap between two readings longer than a threshold. On a
 * machine of its own a gap over a millisecond is rare; on a virtual machine it is mostly the host
 * running something else on the physical core behind the virtual one (the vCPU is busy
 * spinning, so it is not an idle vCPU waking up).
 *
 * A frame's delivery passes through three threads (the event loop, a copy thread, the client),
 * each for a millisecond or two: a stall of a few milliseconds in one of them shows directly in
 * that frame's latency, whatever the server does.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** Gaps counted, in ms. */
export const STALL_THRESHOLDS_MS = [1, 2, 3] as const;

export interface CoreStalls {
  /** Threads spinning, one per core. */
  threads: number;
  seconds: number;
  /** Gaps longer than each of STALL_THRESHOLDS_MS, per second per core. */
  perSecondOver: number[];
  /** The longest gap, in ms. */
  longestMs: number;
  /** Share of the spinning time lost in gaps over the first threshold. */
  lostShare: number;
}

interface ThreadStalls {
  gapsMs: number[];
}

// Runs in each worker: spin for workerData ms, return the gaps over the lowest threshold.
const SPINNER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const gapsMs = [];
const start = performance.now();
let last = start;
for (;;) {
  const now = performance.now();
  if (now - last > ${STALL_THRESHOLDS_MS[0]}) gapsMs.push(now - last);
  last = now;
  if (now - start >= workerData) break;
}
parentPort.postMessage({ gapsMs });
`;

export async function measureCoreStalls(measureMs: number): Promise<CoreStalls> {
  const threads = os.availableParallelism();
  const results = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<ThreadStalls>((resolve, reject) => {
          const worker = new Worker(SPINNER, { eval: true, workerData: measureMs });
          worker.once('message', (result: ThreadStalls) => {
            resolve(result);
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  );
  const gaps = results.flatMap((result) => result.gapsMs);
  const seconds = measureMs / 1000;
  return {
    threads,
    seconds,
    perSecondOver: STALL_THRESHOLDS_MS.map((ms) => gaps.filter((gap) => gap > ms).length / seconds / threads),
    longestMs: Math.max(0, ...gaps),
    lostShare: gaps.reduce((sum, gap) => sum + gap, 0) / (measureMs * threads),
  };
}
