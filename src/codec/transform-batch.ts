/**
 * Transforms asked for in one turn of the event loop run together, in as many jobs on libuv's
 * thread pool as the machine has cores (at most libuv's four threads), each doing its share one
 * after the other and handing each image back as soon as it is written.
 *
 * When a frame is latched the server asks for every client's write at once: eight clients at
 * 1080p, eight copies of a moving window, 600 kB each. As eight jobs they woke all four pool
 * threads onto the two cores that the event loop and the clients' process also needed, each
 * wake-up preempting one of them. As two jobs they keep to the two cores. Each client's reply
 * still goes out as soon as its own copy is done, not after everyone's.
 *
 * Measured on a 2-core VM (docs/PERFORMANCE.md, 2026-12-07): those copies are memory-bound,
 * about 190 CPU µs each into buffers last written a frame ago against 60 back to back (the
 * buffers' lines and page-table entries have left the caches by then). Two threads copying at
 * once each took about twice as long as one alone, so more jobs than cores buy nothing. One job
 * was worse than two: the event loop and the clients then preempted the one copying thread on
 * every reply.
 *
 * "One turn" is one drain of the microtask queue: the first request queues the flush as a
 * microtask, so it runs after the requests already queued behind it.
 */
import os = require('node:os');
import { loadNativeAddon, type NativeTransformArguments } from './native-addon';

interface QueuedTransform {
  args: NativeTransformArguments;
  /** Bytes it writes, to share the batch fairly between jobs. */
  bytes: number;
  resolve: (image: Buffer) => void;
  reject: (error: unknown) => void;
}

/**
 * How many jobs a batch is split into: one per core, and at most libuv's default pool of four
 * threads (more jobs than threads would wait for each other anyway).
 */
export const TRANSFORM_JOBS = Math.max(1, Math.min(4, os.availableParallelism()));

let queued: QueuedTransform[] = [];
let flushQueued = false;

/** Runs the native transform with `args` in the current turn's batch; resolves to its image. */
export function batchTransform(args: NativeTransformArguments): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    queued.push({ args, bytes: bytesWritten(args), resolve, reject });
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  });
}

/** The whole image's bytes, or its regions' (x, y, width, height quadruples). */
function bytesWritten(args: NativeTransformArguments): number {
  const [, , , , , width, height, , , , , regions] = args;
  if (regions === undefined) return width * height * 4;
  let pixels = 0;
  for (let i = 0; i < regions.length; i += 4) pixels += regions[i + 2]! * regions[i + 3]!;
  return pixels * 4;
}

function flush(): void {
  flushQueued = false;
  const batch = queued;
  queued = [];
  for (const job of splitIntoJobs(batch, TRANSFORM_JOBS)) run(job);
}

function run(job: readonly QueuedTransform[]): void {
  let done: Promise<void>;
  try {
    done = loadNativeAddon().transform(
      job.map((task) => task.args),
      (index, image) => job[index]!.resolve(image),
    );
  } catch (error) {
    // The addon refused an argument the wrapper let through (a bug): fail only that task, by
    // running each alone.
    if (job.length > 1) {
      for (const task of job) run([task]);
    } else {
      job[0]!.reject(error);
    }
    return;
  }
  // A task already resolved ignores the rejection.
  done.catch((error: unknown) => {
    for (const task of job) task.reject(error);
  });
}

/** Up to `count` jobs of about equal bytes, each keeping the order the tasks were asked in. */
function splitIntoJobs(batch: QueuedTransform[], count: number): QueuedTransform[][] {
  if (count <= 1 || batch.length <= 1) return [batch];
  const jobs: { tasks: QueuedTransform[]; bytes: number }[] = Array.from({ length: Math.min(count, batch.length) }, () => ({
    tasks: [],
    bytes: 0,
  }));
  for (const task of batch) {
    const lightest = jobs.reduce((least, job) => (job.bytes < least.bytes ? job : least));
    lightest.tasks.push(task);
    lightest.bytes += task.bytes;
  }
  return jobs.map((job) => job.tasks);
}
