/**
 * transform()'s unscaled copies of images of 64 KiB and more go through non-temporal stores
 * (native/src/stream-copy.cc), a cache line at a time: a destination not aligned to a 64-byte
 * line (nor to 16 bytes), rows of any length, a source
 * with padding between rows, a letterbox around the image and a region of it must come out
 * byte for byte as the pixels they copy.
 */
import assert from 'node:assert/strict';
import { isImageTransformAvailable, transform } from '../../src/codec/image-transform';
import { seeded } from '../support/frames';

/** A width x height RGBA image with `padding` bytes after each row, noise everywhere. */
function noise(width: number, height: number, padding: number, seed: number): { pixels: Buffer; stride: number } {
  const random = seeded(seed);
  const stride = width * 4 + padding;
  const pixels = Buffer.alloc(stride * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return { pixels, stride };
}

/** The rows of `src` without their padding. */
function packed(src: Buffer, stride: number, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) src.copy(out, y * width * 4, y * stride, y * stride + width * 4);
  return out;
}

describe('transform: large unscaled copies', () => {
  before(function () {
    if (!isImageTransformAvailable()) this.skip(); // the native addon is optional
  });

  for (const [width, height, padding, offset] of [
    [1920, 1080, 0, 0],
    [1283, 411, 0, 4],
    [997, 523, 12, 8],
    [1600, 900, 0, 36],
  ] as const) {
    it(`${width}x${height}, ${padding} bytes between source rows, destination ${offset} bytes past an aligned start`, async () => {
      const { pixels, stride } = noise(width, height, padding, width + height);
      const backing = Buffer.alloc(width * height * 4 + offset, 0x33);
      const into = backing.subarray(offset);
      assert.ok(width * height * 4 >= 64 << 10, 'at least 64 KiB, the size from which the stores stream');
      await transform(pixels, width, height, stride, 'rgba8', width, height, 0, 'rgba8', 'stretch', into);
      assert.equal(Buffer.compare(into, packed(pixels, stride, width, height)), 0);
      assert.ok(
        backing.subarray(0, offset).every((byte) => byte === 0x33),
        'nothing written before the destination',
      );
    });
  }

  it('a letterboxed unscaled image: the image copied, opaque black around it', async () => {
    const [width, height, targetWidth, targetHeight] = [1200, 900, 1600, 900];
    const { pixels } = noise(width, height, 0, 5);
    const into = await transform(pixels, width, height, width * 4, 'rgba8', targetWidth, targetHeight, 0, 'rgba8', 'fit');
    const left = (targetWidth - width) / 2;
    for (let y = 0; y < height; y += 97) {
      const row = into.subarray((y * targetWidth + left) * 4, (y * targetWidth + left + width) * 4);
      assert.equal(Buffer.compare(row, pixels.subarray(y * width * 4, (y + 1) * width * 4)), 0, `row ${y}`);
      assert.equal(into.readUInt32BE(y * targetWidth * 4), 0x000000ff, `row ${y}: the bar on the left`);
    }
  });

  for (const region of [
    { x: 101, y: 37, width: 1501, height: 900 },
    // Just past the 64 KiB from which the stores stream: rows of 516 bytes, 8 of them past the
    // last whole 64-byte block, starting 4 bytes past an aligned address.
    { x: 1, y: 500, width: 129, height: 128 },
  ]) {
    it(`a ${region.width}x${region.height} region is copied where it is, the rest left as it was`, async () => {
      await copiesRegionOnly(region);
    });
  }

  async function copiesRegionOnly(region: { x: number; y: number; width: number; height: number }): Promise<void> {
    const [width, height] = [1920, 1080];
    const { pixels } = noise(width, height, 0, 9);
    const into = Buffer.alloc(width * height * 4, 0x5a);
    await transform(pixels, width, height, width * 4, 'rgba8', width, height, 0, 'rgba8', 'stretch', into, [region]);
    for (let y = 0; y < height; y++) {
      const row = into.subarray(y * width * 4, (y + 1) * width * 4);
      const inside = y >= region.y && y < region.y + region.height;
      if (!inside) {
        assert.ok(
          row.every((byte) => byte === 0x5a),
          `row ${y} outside the region is untouched`,
        );
        continue;
      }
      const [from, to] = [region.x * 4, (region.x + region.width) * 4];
      assert.equal(Buffer.compare(row.subarray(from, to), pixels.subarray(y * width * 4 + from, y * width * 4 + to)), 0, `row ${y}`);
      assert.ok(
        row.subarray(0, from).every((byte) => byte === 0x5a) && row.subarray(to).every((byte) => byte === 0x5a),
        `row ${y} around it`,
      );
    }
  }
});
