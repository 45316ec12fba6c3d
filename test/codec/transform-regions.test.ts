/**
 * transform() with regions: an image put together from regions, one column (or a few, or one
 * row) at a time, equals the whole transform byte for byte, for halving then bilinear shrinking,
 * bilinear alone, enlarging, rotations, letterboxing, and unscaled copies that reorder the bytes. Narrow columns are the hard case: libyuv
 * computes a row's last pixels with other code than the rest, so windows must split as the whole
 * image does.
 */
import assert from 'node:assert/strict';
import { isImageTransformAvailable, transform } from '../../src/codec/image-transform';
import type { Rotation, ScaleMode } from '../../src/core/orientation';
import { seeded } from '../support/frames';

const CASES: readonly [number, number, number, number, Rotation, ScaleMode][] = [
  [320, 240, 100, 75, 0, 'stretch'],
  [333, 217, 60, 40, 0, 'fit'],
  [333, 217, 167, 109, 180, 'stretch'],
  [400, 226, 90, 160, 90, 'fit'],
  [257, 130, 123, 61, 270, 'stretch'],
  [96, 64, 301, 200, 90, 'fit'],
  // Unscaled: the bytes reordered on the way (rgba8 to bgra8), letterboxed or not.
  [320, 240, 320, 240, 0, 'stretch'],
  [333, 217, 400, 217, 0, 'fit'],
];

describe('transform regions', () => {
  before(function () {
    if (!isImageTransformAvailable()) this.skip(); // the native addon is optional
  });

  for (const [width, height, targetWidth, targetHeight, rotation, fit] of CASES) {
    it(`put together from regions equals the whole: ${width}x${height} -> ${targetWidth}x${targetHeight}, ${rotation}°, ${fit}`, async () => {
      const random = seeded(width * 31 + targetWidth);
      const src = Buffer.alloc(width * height * 4);
      for (let i = 0; i < src.length; i++) src[i] = (i & 3) === 3 ? 255 : Math.floor(random() * 256);
      const run = (into: Buffer, regions?: { x: number; y: number; width: number; height: number }[]) =>
        transform(src, width, height, width * 4, 'rgba8', targetWidth, targetHeight, rotation, 'bgra8', fit, into, regions);
      const whole = await run(Buffer.alloc(targetWidth * targetHeight * 4));
      for (const columns of [1, 5]) {
        const pieced = Buffer.alloc(whole.length);
        for (let x = 0; x < targetWidth; x += columns) {
          await run(pieced, [{ x, y: 0, width: Math.min(columns, targetWidth - x), height: targetHeight }]);
        }
        assert.equal(Buffer.compare(pieced, whole), 0, `${columns} column(s) at a time`);
      }
      const rows = Buffer.alloc(whole.length);
      const all = Array.from({ length: targetHeight }, (_, y) => ({ x: 0, y, width: targetWidth, height: 1 }));
      await run(rows, all);
      assert.equal(Buffer.compare(rows, whole), 0, 'a row at a time, in one call');
    });
  }

  it('refuses regions outside the image or without a buffer to write them into', async () => {
    const src = Buffer.alloc(8 * 8 * 4);
    const into = Buffer.alloc(4 * 4 * 4);
    await assert.rejects(
      transform(src, 8, 8, 32, 'rgba8', 4, 4, 0, 'rgba8', 'fit', into, [{ x: 3, y: 0, width: 2, height: 1 }]),
      /regions\[0\]: must be a rect inside the 4x4 image/,
    );
    await assert.rejects(
      transform(src, 8, 8, 32, 'rgba8', 4, 4, 0, 'rgba8', 'fit', undefined, [{ x: 0, y: 0, width: 1, height: 1 }]),
      /regions: need into/,
    );
    await assert.rejects(transform(src, 8, 8, 32, 'rgba8', 4, 4, 0, 'rgba8', 'fit', into, []), /at least one rect/);
  });
});
