/**
 * Transforms asked for in one turn of the event loop run as one batch (src/codec/transform-batch.ts,
 * native/src/transform-worker.cc), a small one on the JS thread and a large one on pool threads:
 * each must still come out byte for byte as it does alone, each image is handed back as it is
 * written, in the order asked, and a task the addon refuses fails alone.
 */
import assert from 'node:assert/strict';
import { isImageTransformAvailable, transform } from '../../src/codec/image-transform';
import { loadNativeAddon, type NativeTransformArguments } from '../../src/codec/native-addon';
import { batchTransform, JS_THREAD_BATCH_PIXELS, TRANSFORM_THREADS, writtenOnJsThread } from '../../src/codec/transform-batch';
import type { PixelFormat } from '../../src/core/pixel-format';
import type { Rotation, ScaleMode } from '../../src/core/orientation';
import { seeded } from '../support/frames';

const [WIDTH, HEIGHT] = [320, 200];

function noise(bytes: number, seed: number): Buffer {
  const random = seeded(seed);
  const pixels = Buffer.alloc(bytes);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return pixels;
}

interface Case {
  width: number;
  height: number;
  rotation: Rotation;
  format: PixelFormat;
  fit: ScaleMode;
  regions?: { x: number; y: number; width: number; height: number }[];
}

/** Unscaled, scaled, rotated, letterboxed, converted; whole images and regions. */
const CASES: readonly Case[] = [
  { width: WIDTH, height: HEIGHT, rotation: 0, format: 'rgba8', fit: 'stretch' },
  { width: WIDTH, height: HEIGHT, rotation: 0, format: 'bgra8', fit: 'stretch', regions: [{ x: 3, y: 5, width: 101, height: 67 }] },
  { width: 160, height: 100, rotation: 0, format: 'rgba8', fit: 'stretch' },
  { width: 100, height: 160, rotation: 90, format: 'rgba8', fit: 'stretch', regions: [{ x: 10, y: 20, width: 40, height: 30 }] },
  { width: 300, height: 300, rotation: 180, format: 'bgra8', fit: 'fit' },
  {
    width: 200,
    height: 320,
    rotation: 270,
    format: 'rgba8',
    fit: 'stretch',
    regions: [
      { x: 0, y: 0, width: 7, height: 9 },
      { x: 150, y: 300, width: 50, height: 20 },
    ],
  },
];

/** A destination holding an earlier picture, so that what a region leaves alone shows. */
function destination(c: Case, seed: number): Buffer {
  return noise(c.width * c.height * 4, seed);
}

function run(src: Buffer, c: Case, into: Buffer): Promise<Buffer> {
  return transform(src, WIDTH, HEIGHT, WIDTH * 4, 'rgba8', c.width, c.height, c.rotation, c.format, c.fit, into, c.regions);
}

function nativeArguments(src: Buffer, c: Case, into: Buffer | undefined): NativeTransformArguments {
  const quads = c.regions && Int32Array.from(c.regions.flatMap((r) => [r.x, r.y, r.width, r.height]));
  return [src, WIDTH, HEIGHT, WIDTH * 4, 'rgba8', c.width, c.height, c.rotation, c.format, c.fit === 'fit', into, quads];
}

describe('transform batches', () => {
  before(function () {
    if (!isImageTransformAvailable()) this.skip(); // the native addon is optional
  });

  it('transforms asked for in one turn come out byte for byte as each does alone', async () => {
    const src = noise(WIDTH * HEIGHT * 4, 1);
    const alone: Buffer[] = [];
    for (const [i, c] of CASES.entries()) alone.push(Buffer.from(await run(src, c, destination(c, 100 + i))));
    // Twice each case, all in one turn: one batch, small enough for the JS thread.
    const together = await Promise.all([...CASES, ...CASES].map((c, i) => run(src, c, destination(c, 100 + (i % CASES.length)))));
    together.forEach((image, i) => {
      assert.equal(Buffer.compare(image, alone[i % CASES.length]!), 0, `case ${i % CASES.length}, asked ${i}th`);
    });
    assert.ok(TRANSFORM_THREADS >= 1 && TRANSFORM_THREADS <= 4, `TRANSFORM_THREADS is ${TRANSFORM_THREADS}`);
  });

  it('hands each image back as it is written, in the order asked, and resolves after the last', async () => {
    const src = noise(WIDTH * HEIGHT * 4, 2);
    // Those without regions alternately with and without a destination.
    const tasks = CASES.map((c, i) => nativeArguments(src, c, c.regions || i % 4 === 0 ? destination(c, i) : undefined));
    const handed: number[] = [];
    let settledAfter = -1;
    await loadNativeAddon()
      .transform(tasks, (index, image) => {
        handed.push(index);
        const c = CASES[index]!;
        assert.equal(image.length, c.width * c.height * 4, `image ${index}'s size`);
        // A task with a destination gets that very buffer back; one without, a buffer of its own.
        if (tasks[index]![10]) assert.equal(image, tasks[index]![10]);
      })
      .then(() => {
        settledAfter = handed.length;
      });
    assert.deepEqual(
      handed,
      CASES.map((_, i) => i),
    );
    assert.equal(settledAfter, CASES.length, 'the promise settled after every image was handed back');
    assert.ok(
      tasks.some((task) => task[10] === undefined),
      'a task without a destination was among them',
    );
  });

  it('on several threads, hands every image back once, each as it comes out alone', async () => {
    const src = noise(WIDTH * HEIGHT * 4, 7);
    const alone: Buffer[] = [];
    for (const [i, c] of CASES.entries()) alone.push(Buffer.from(await run(src, c, destination(c, 200 + i))));
    const tasks = [...CASES, ...CASES, ...CASES].map((c, i) => nativeArguments(src, c, destination(c, 200 + (i % CASES.length))));
    const handed: number[] = [];
    await loadNativeAddon().transform(
      tasks,
      (index, image) => {
        handed.push(index);
        assert.equal(Buffer.compare(image, alone[index % CASES.length]!), 0, `task ${index}`);
      },
      2,
    );
    assert.deepEqual(
      [...handed].sort((a, b) => a - b),
      tasks.map((_, i) => i),
    );
    assert.throws(() => loadNativeAddon().transform(tasks, () => {}, 5), /^TypeError: threads must be an integer from 1 to 4/);
  });

  it('a small batch is written on the JS thread, each image handed back before the next is written', async () => {
    const src = noise(WIDTH * HEIGHT * 4, 8);
    const c = CASES[1]!;
    const alone = Buffer.from(await run(src, c, destination(c, 9)));
    const targets = [0, 1, 2].map(() => destination(c, 9));
    const before = Buffer.from(targets[1]!);
    assert.ok(writtenOnJsThread(targets.map((into) => nativeArguments(src, c, into))));
    const sawSecondUnwritten: boolean[] = [];
    const images = await Promise.all(
      targets.map((into, i) =>
        run(src, c, into).then((image) => {
          // What the first image's continuation sees (a client's reply) runs before the second is written.
          if (i === 0) sawSecondUnwritten.push(Buffer.compare(targets[1]!, before) === 0);
          return image;
        }),
      ),
    );
    assert.deepEqual(sawSecondUnwritten, [true]);
    for (const [i, image] of images.entries()) assert.equal(Buffer.compare(image, alone), 0, `image ${i}`);
  });

  it('a large batch goes to the pool threads and comes out as each image does alone', async () => {
    const [width, height] = [1280, 720];
    const src = noise(width * height * 4, 10);
    const whole = (into: Buffer | undefined, format: PixelFormat): NativeTransformArguments => [
      src,
      width,
      height,
      width * 4,
      'rgba8',
      width,
      height,
      0,
      format,
      false,
      into,
      undefined,
    ];
    const tasks = [whole(Buffer.alloc(width * height * 4), 'rgba8'), whole(undefined, 'bgra8'), whole(undefined, 'rgba8')];
    assert.equal(writtenOnJsThread(tasks), false, `three whole 720p images are over ${JS_THREAD_BATCH_PIXELS} pixels`);
    assert.equal(writtenOnJsThread(tasks.slice(0, 2)), true, 'two are not');
    const alone = tasks.map((task) =>
      Buffer.from(loadNativeAddon().transformNow([...task.slice(0, 10), undefined, undefined] as NativeTransformArguments)),
    );
    const images = await Promise.all(tasks.map((task) => batchTransform(task)));
    images.forEach((image, i) => assert.equal(Buffer.compare(image, alone[i]!), 0, `image ${i}`));
    assert.equal(images[0], tasks[0]![10], 'the image with a destination is that destination');
  });

  it('counts a scaled or rotated pixel four times against the JS thread budget', () => {
    const src = Buffer.alloc(4);
    const task = (dstWidth: number, dstHeight: number, rotation: number, regions?: number[]): NativeTransformArguments => [
      src,
      1000,
      1000,
      4000,
      'rgba8',
      dstWidth,
      dstHeight,
      rotation,
      'rgba8',
      false,
      undefined,
      regions && Int32Array.from(regions),
    ];
    // 1000x1000 plain copies: two fit, three do not.
    assert.equal(writtenOnJsThread([task(1000, 1000, 0), task(1000, 1000, 0)]), true);
    assert.equal(writtenOnJsThread([task(1000, 1000, 0), task(1000, 1000, 0), task(1000, 1000, 0)]), false);
    // A 500x1000 region of a rotated image counts 2 000 000.
    assert.equal(writtenOnJsThread([task(1000, 1000, 90, [0, 0, 500, 1000])]), true);
    assert.equal(writtenOnJsThread([task(1000, 1000, 90, [0, 0, 500, 1000]), task(1000, 1000, 0, [0, 0, 1, 1])]), false);
    // So does a scaled 707x707 image.
    assert.equal(writtenOnJsThread([task(708, 708, 0)]), false);
    assert.equal(writtenOnJsThread([task(707, 707, 0)]), true);
  });

  it('transformNow refuses bad arguments, naming the field', () => {
    const src = noise(WIDTH * HEIGHT * 4, 11);
    const addon = loadNativeAddon();
    assert.throws(() => addon.transformNow(undefined as never), /^TypeError: task must be an array of arguments$/);
    const badWidth = nativeArguments(src, CASES[0]!, undefined);
    badWidth[5] = 0;
    assert.throws(() => addon.transformNow(badWidth), /^TypeError: dstWidth must be an integer from 1 to 16384$/);
  });

  it('refuses a bad batch, naming the task and the field', () => {
    const src = noise(WIDTH * HEIGHT * 4, 3);
    const good = nativeArguments(src, CASES[0]!, undefined);
    const addon = loadNativeAddon();
    assert.throws(() => addon.transform([], () => {}), /tasks must be an array of 1 to 4096 tasks/);
    assert.throws(() => addon.transform([good], undefined as never), /onImage must be a function/);
    const badWidth = [...good] as NativeTransformArguments;
    badWidth[5] = 0;
    assert.throws(
      () => addon.transform([good, badWidth], () => {}),
      /^TypeError: tasks\[1\]: dstWidth must be an integer from 1 to 16384$/,
    );
    const badRegion = nativeArguments(src, CASES[1]!, destination(CASES[1]!, 4));
    badRegion[11] = Int32Array.from([WIDTH - 10, 0, 11, 1]);
    assert.throws(
      () => addon.transform([badRegion], () => {}),
      /^TypeError: tasks\[0\]: regions\[0\] is not a rectangle inside the target$/,
    );
  });

  it('a task the addon refuses fails alone; the others in its turn are written', async () => {
    const src = noise(WIDTH * HEIGHT * 4, 5);
    const c = CASES[0]!;
    const expected = Buffer.from(await run(src, c, destination(c, 6)));
    const refused = nativeArguments(src, c, undefined);
    refused[4] = 'yuv420' as PixelFormat; // past the wrapper's checks, which would refuse it first
    const [first, bad, last] = await Promise.allSettled([
      batchTransform(nativeArguments(src, c, destination(c, 6))),
      batchTransform(refused),
      batchTransform(nativeArguments(src, c, destination(c, 6))),
    ]);
    assert.equal(bad!.status, 'rejected');
    assert.match(String((bad as PromiseRejectedResult).reason), /srcFormat must be 'rgba8' or 'bgra8'/);
    for (const result of [first, last]) {
      assert.equal(result!.status, 'fulfilled');
      assert.equal(Buffer.compare((result as PromiseFulfilledResult<Buffer>).value, expected), 0);
    }
  });
});
