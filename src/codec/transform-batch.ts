/**
 * Transforms asked for in one turn of the event loop run together as one batch. A small batch
 * (a frame's changes for a few clients) is written on the JS thread itself, one image at a time,
 * each handed back before the next is written; a large one by as many threads of libuv's pool as
 * the machine has cores (at most its four), each taking the next image not yet taken and handing
 * each back as soon as it is written.
 *
 * When a frame is latched the server asks for every client's write at once: eight clients at
 * 1080p, eight copies of a moving window, 600 kB each, 50-150 µs apiece. Handed to pool threads,
 * each such batch woke two threads and then the event loop again for every image, and on a VM
 * each thread woken from idle waits for its virtual CPU to be run again: usually a tenth of a
 * millisecond, and a few milliseconds in one frame of fifty or so. Written on the JS thread, a
 * client's reply goes out right after its own copy, with no thread woken in between: the
 * clients' p99 latency fell from 4.1-4.3 ms to 2.5-3.6 ms on a 2-core VM (docs/PERFORMANCE.md,
 * eighth pass). The JS thread does not take other work between the images of a batch (each next
 * one is a process.nextTick, after the replies the last one set off), so a batch is bounded:
 * JS_THREAD_BATCH_PIXELS, 0.7 ms of copying here and 2 ms on the slowest VM measured.
 *
 * A large batch (a busy desktop: eight whole frames; 32 clients; scaled images) goes to the pool.
 * As eight jobs it woke all four pool threads onto the two cores that the event loop and the
 * clients' process also needed, each wake-up preempting one of them; as one batch on two
 * threads it keeps to the two cores. The threads take the images in turn rather than half each:
 * when the system stalls one thread for a few milliseconds (a VM's host does, about once a
 * second here), the other writes what the stalled one would have written next, and only the
 * image in hand waits. Those copies are memory-bound, about 120 CPU µs each into buffers last
 * written a frame ago against 60 back to back; two threads copying at once each took about
 * twice as long as one alone, so more threads than cores buy nothing.
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

/**
 * The most a batch may write on the JS thread, in pixels: a plain copy (same size, not rotated)
 * counts each pixel it writes once, a scaled or rotated image four times (its filter reads
 * several source pixels for each). Two million is just under a whole 1080p frame of plain copies
 * (which goes to the pool): about 0.7 ms of the JS thread on the VM the figures above come from,
 * 2 ms on the slower one of the seventh pass.
 */
export const JS_THREAD_BATCH_PIXELS = 2_000_000;

/** Whether a batch of these tasks is written on the JS thread (see JS_THREAD_BATCH_PIXELS). */
export function writtenOnJsThread(tasks: readonly NativeTransformArguments[]): boolean {
  let cost = 0;
  for (const [, srcWidth, srcHeight, , , dstWidth, dstHeight, rotation, , , , regions] of tasks) {
    let pixels = 0;
    if (regions === undefined) {
      pixels = dstWidth * dstHeight;
    } else {
      for (let i = 0; i < regions.length; i += 4) pixels += regions[i + 2]! * regions[i + 3]!;
    }
    const plainCopy = srcWidth === dstWidth && srcHeight === dstHeight && rotation === 0;
    cost += plainCopy ? pixels : 4 * pixels;
    if (cost > JS_THREAD_BATCH_PIXELS) return false;
  }
  return true;
}

function flush(): void {
  flushQueued = false;
  const batch = queued;
  queued = [];
  if (writtenOnJsThread(batch.map((task) => task.args))) {
    runHere(batch, 0);
  } else {
    run(batch, TRANSFORM_THREADS);
  }
}

/**
 * Writes the batch's image `index` on this thread and hands it back; the next one follows on
 * process.nextTick, which runs once the microtasks its image set off (a client's reply) are done.
 */
function runHere(batch: readonly QueuedTransform[], index: number): void {
  const task = batch[index]!;
  let image: Buffer | undefined;
  try {
    image = loadNativeAddon().transformNow(task.args);
  } catch (error) {
    // The addon refused an argument the wrapper let through (a bug): only this task fails.
    task.reject(error);
  }
  if (image) task.resolve(image);
  if (index + 1 < batch.length) process.nextTick(runHere, batch, index + 1);
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
