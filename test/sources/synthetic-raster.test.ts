/**
 * The synthetic desktop's rectangle copy: between two images it goes through the native addon
 * in one call; within one image (the terminal's scroll, where rows overlap) row by row. Both
 * must put every pixel where a plain pixel-by-pixel copy, clipped to both images, puts it.
 */
import assert from 'node:assert/strict';
import { nativeAddonStatus } from '../../src/codec/native-addon';
import type { Rect } from '../../src/core/rect';
import { copyRect, type RasterImage } from '../../src/sources/synthetic/raster';
import { prng } from '../support/prng';

function noiseImage(width: number, height: number, random: () => number): RasterImage {
  const pixels = Buffer.alloc(width * height * 4);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return { width, height, pixels };
}

function copyOf(image: RasterImage): RasterImage {
  return { width: image.width, height: image.height, pixels: Buffer.from(image.pixels) };
}

/** What copyRect must do, one pixel at a time; `source` is read as it was before the copy. */
function expectedCopy(source: RasterImage, area: Rect, target: RasterImage, x: number, y: number): { image: RasterImage; written: Rect } {
  const before = copyOf(source);
  const image = copyOf(target);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let dy = 0; dy < area.height; dy++) {
    for (let dx = 0; dx < area.width; dx++) {
      const [sx, sy, tx, ty] = [area.x + dx, area.y + dy, x + dx, y + dy];
      const inside =
        sx >= 0 && sy >= 0 && sx < source.width && sy < source.height && tx >= 0 && ty >= 0 && tx < target.width && ty < target.height;
      if (!inside) continue;
      before.pixels.copy(image.pixels, (ty * target.width + tx) * 4, (sy * source.width + sx) * 4, (sy * source.width + sx) * 4 + 4);
      [minX, minY, maxX, maxY] = [Math.min(minX, tx), Math.min(minY, ty), Math.max(maxX, tx), Math.max(maxY, ty)];
    }
  }
  const written = minX === Infinity ? undefined : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
  return { image, written: written ?? { x: 0, y: 0, width: 0, height: 0 } };
}

/** A rect of up to the image's size, anywhere from half outside on the left/top to half outside on the right/bottom. */
function randomPlacement(random: () => number, width: number, height: number): { area: Rect; x: number; y: number } {
  const pick = (span: number) => Math.floor(random() * span * 1.5) - Math.floor(span / 2);
  return {
    area: { x: pick(width), y: pick(height), width: 1 + Math.floor(random() * width), height: 1 + Math.floor(random() * height) },
    x: pick(width),
    y: pick(height),
  };
}

describe('synthetic desktop raster copies', () => {
  it('the native addon is built here, so the one-call path is the one tested', () => {
    assert.ok(nativeAddonStatus().available);
  });

  it('between two images, clipped to both, match a pixel-by-pixel copy', () => {
    const random = prng(12);
    const source = noiseImage(97, 61, random);
    const target = noiseImage(83, 70, random);
    for (let i = 0; i < 200; i++) {
      const { area, x, y } = randomPlacement(random, 97, 61);
      const expected = expectedCopy(source, area, target, x, y);
      const written = copyRect(source, area, target, x, y);
      assert.ok(target.pixels.equals(expected.image.pixels), `copy ${i}: ${JSON.stringify({ area, x, y })}`);
      if (expected.written.width > 0) assert.deepEqual(written, expected.written, `copy ${i}: the rect written`);
      else assert.ok(written.width <= 0 || written.height <= 0, `copy ${i}: nothing written, reported ${JSON.stringify(written)}`);
    }
  });

  it('within one image, rows overlapping, match a copy of what the image held before', () => {
    const random = prng(34);
    const image = noiseImage(64, 48, random);
    for (let i = 0; i < 100; i++) {
      const { area, x, y } = randomPlacement(random, 64, 48);
      const expected = expectedCopy(image, area, image, x, y);
      copyRect(image, area, image, x, y);
      assert.ok(image.pixels.equals(expected.image.pixels), `copy ${i}: ${JSON.stringify({ area, x, y })}`);
    }
  });
});
