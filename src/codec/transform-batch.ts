/**
 * Transforms asked for in one turn of the event loop run together as one batch, written by as
 * many threads of libuv's pool as the machine has cores (at most its four), each taking the next
 * image not yet taken and handing each back as soon as it is written.
 *
 * When a frame is latched the server asks for every client's write at once: eight clients at
 * 1080p, eight copies of a moving window, 600 kB each. As eight jobs they woke all four pool
 * threads onto the two cores that the event loop and the clients' process also needed, each
 * wake-up preempting one of them. As one batch on two threads they keep to the two cores. Each
 * client's reply still goes out as soon as its own copy is done, not after everyone's. The
 * threads take the images in turn rather than half each: when the system stalls one thread for a
 * few milliseconds (a VM's host does, about once a second here), the other writes what the
 * stalled one would have written next, and only the image in hand waits.
 *
 * Measured on a 2-core VM (docs/PERFORMANCE.md, 2026-12-07): those copies are memory-bound,
 * about 120 CPU µs each into buffers last written a frame ago against 60 back to back (the
 * buffers' lines and page-table entries have left the caches by then). Two threads copying at
 * once each took about twice as long as one alone, so more threads than cores buy nothing. One
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
  resolve: (image: Buffer) => void;
  reject: (error: unknown) => void;
}

/**
 * How many threads write a batch: one per core, and at most libuv's default pool of four (more
 * would wait for each other anyway).
 */
export const TRANSFORM_THREADS = Math.max(1, Math.min(4, os.availableParallelism()));

let queued: QueuedTransform[] = [];
let flushQueued = false;

/** Runs the native transform with `args` in the current turn's batch; resolves to its image. */
export function batchTransform(args: NativeTransformArguments): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    queued.push({ args, resolve, reject });
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  });
}

function flush(): void {
  flushQueued = false;
  const batch = queued;
  queued = [];
  run(batch, TRANSFORM_THREADS);
}

function run(batch: readonly QueuedTransform[], threads: number): void {
  let done: Promise<void>;
  try {
    done = loadNativeAddon().transform(
      batch.map((task) => task.args),
      (index, image) => batch[index]!.resolve(image),
      threads,
    );
  } catch (error) {
    // The addon refused an argument the wrapper let through (a bug): fail only that task, by
    // running each alone.
    if (batch.length > 1) {
      for (const task of batch) run([task], 1);
    } else {
      batch[0]!.reject(error);
    }
    return;
  }
  // A task already resolved ignores the rejection.
  done.catch((error: unknown) => {
    for (const task of batch) task.reject(error);
  });
}
