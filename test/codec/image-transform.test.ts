import assert from 'node:assert/strict';
import { convertPixelFormat, transform, type PixelFormat, type Rotation } from '../../src/codec';
import { swapRedBlue } from '../support/media-tools';

type Rgba = readonly [number, number, number, number];

const BLACK: Rgba = [0, 0, 0, 255];

/** A packed image (stride width * 4) from a colour function, in byte order R,G,B,A. */
function makeImage(width: number, height: number, colour: (x: number, y: number) => Rgba): Buffer {
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(colour(x, y), (y * width + x) * 4);
  }
  return pixels;
}

/** Every pixel distinct, alpha included, so that any misplaced or swapped byte shows. */
function noiseImage(width: number, height: number): Buffer {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed >> 16;
  };
  return makeImage(width, height, () => [next() & 255, next() & 255, next() & 255, next() & 255]);
}

/** Copies a packed image into rows of `stride` bytes, filling the padding with a marker. */
function withStride(packed: Buffer, width: number, height: number, stride: number): Buffer {
  const out = Buffer.alloc(stride * height, 0xa5);
  for (let y = 0; y < height; y++) packed.copy(out, y * stride, y * width * 4, (y + 1) * width * 4);
  return out;
}

function pixelAt(pixels: Buffer, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 4;
  return [...pixels.subarray(i, i + 4)];
}

/** The source pixel shown at (x, y) of the image rotated clockwise. */
function rotatedSource(x: number, y: number, width: number, height: number, rotation: Rotation): [number, number] {
  switch (rotation) {
    case 0:
      return [x, y];
    case 90:
      return [y, height - 1 - x];
    case 180:
      return [width - 1 - x, height - 1 - y];
    case 270:
      return [width - 1 - y, x];
  }
}

function expectedRotation(src: Buffer, width: number, height: number, rotation: Rotation): Buffer {
  const quarter = rotation === 90 || rotation === 270;
  const outWidth = quarter ? height : width;
  const outHeight = quarter ? width : height;
  return makeImage(outWidth, outHeight, (x, y) => {
    const [sx, sy] = rotatedSource(x, y, width, height, rotation);
    return pixelAt(src, width, sx, sy) as unknown as Rgba;
  });
}

const RED: Rgba = [220, 20, 30, 255];
const GREEN: Rgba = [10, 200, 40, 255];
const BLUE: Rgba = [30, 40, 210, 255];
const WHITE: Rgba = [250, 250, 250, 255];

/** Red, green / blue, white quadrants. */
function quadrants(width: number, height: number): Buffer {
  return makeImage(width, height, (x, y) => (y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : WHITE));
}

/**
 * Asserts the colours of the four quadrants of `region` (top left, top right, bottom left,
 * bottom right), skipping pixels within `margin` of its centre lines and edges, where filtering
 * blends neighbours.
 */
function assertQuadrants(
  out: Buffer,
  outWidth: number,
  region: { x: number; y: number; width: number; height: number },
  colours: [Rgba, Rgba, Rgba, Rgba],
  margin: number,
): void {
  const { x: rx, y: ry, width, height } = region;
  for (let y = ry; y < ry + height; y++) {
    for (let x = rx; x < rx + width; x++) {
      const u = x - rx;
      const v = y - ry;
      const nearCentre = Math.abs(u + 0.5 - width / 2) < margin || Math.abs(v + 0.5 - height / 2) < margin;
      const nearEdge = u < margin || v < margin || u >= width - margin || v >= height - margin;
      if (nearCentre || nearEdge) continue;
      const quadrant = (v < height / 2 ? 0 : 2) + (u < width / 2 ? 0 : 1);
      assert.deepEqual(pixelAt(out, outWidth, x, y), [...colours[quadrant]], `pixel (${x}, ${y})`);
    }
  }
}

function assertBars(out: Buffer, width: number, height: number, content: { x: number; y: number; width: number; height: number }): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= content.x && x < content.x + content.width && y >= content.y && y < content.y + content.height;
      if (!inside) assert.deepEqual(pixelAt(out, width, x, y), [...BLACK], `bar pixel (${x}, ${y})`);
    }
  }
}

describe('image transform (libyuv)', function () {
  const width = 7;
  const height = 5;
  const stride = width * 4 + 12;
  const rgba = noiseImage(width, height);
  const formats: [PixelFormat, PixelFormat][] = [
    ['rgba8', 'rgba8'],
    ['rgba8', 'bgra8'],
    ['bgra8', 'bgra8'],
    ['bgra8', 'rgba8'],
  ];

  for (const rotation of [0, 90, 180, 270] as const) {
    for (const [srcFormat, dstFormat] of formats) {
      it(`rotates ${rotation} degrees clockwise exactly, ${srcFormat} to ${dstFormat}`, async function () {
        const src = srcFormat === 'rgba8' ? rgba : swapRedBlue(rgba);
        const quarter = rotation === 90 || rotation === 270;
        const [dstWidth, dstHeight] = quarter ? [height, width] : [width, height];
        for (const fit of ['fit', 'stretch'] as const) {
          const out = await transform(
            withStride(src, width, height, stride),
            width,
            height,
            stride,
            srcFormat,
            dstWidth,
            dstHeight,
            rotation,
            dstFormat,
            fit,
          );
          const expected = expectedRotation(rgba, width, height, rotation);
          assert.deepEqual(out, dstFormat === 'rgba8' ? expected : swapRedBlue(expected), fit);
        }
      });
    }
  }

  it('copies in the identity case into a new packed buffer', async function () {
    const src = withStride(rgba, width, height, stride);
    const out = await transform(src, width, height, stride, 'rgba8', width, height, 0, 'rgba8', 'fit');
    assert.notEqual(out.buffer, src.buffer);
    assert.deepEqual(out, rgba);
  });

  it('writes into a caller-supplied buffer when given one', async function () {
    const src = withStride(rgba, width, height, stride);
    const into = Buffer.alloc(width * height * 4 + 8, 0x77);
    const out = await transform(src, width, height, stride, 'rgba8', height, width, 90, 'bgra8', 'fit', into);
    assert.equal(out.buffer, into.buffer);
    assert.equal(out.byteOffset, into.byteOffset);
    assert.equal(out.length, width * height * 4);
    assert.deepEqual(out, swapRedBlue(expectedRotation(rgba, width, height, 90)));
    assert.deepEqual([...into.subarray(width * height * 4)], new Array(8).fill(0x77), 'bytes past the image untouched');

    await assert.rejects(transform(src, width, height, stride, 'rgba8', width, height, 0, 'rgba8', 'fit', Buffer.alloc(4)), {
      name: 'TypeError',
      message: /^into: must hold at least dstWidth \* dstHeight \* 4 = 140 bytes; got 4/,
    });
    await assert.rejects(transform(src, width, height, stride, 'rgba8', width, height, 0, 'rgba8', 'fit', src.subarray(8)), {
      name: 'TypeError',
      message: /^into: must not overlap src/,
    });
  });

  it('converts RGBA8 <-> BGRA8 with convertPixelFormat', async function () {
    const bgra = await convertPixelFormat(withStride(rgba, width, height, stride), width, height, stride, 'rgba8', 'bgra8');
    assert.deepEqual(bgra, swapRedBlue(rgba));
    assert.deepEqual(await convertPixelFormat(bgra, width, height, width * 4, 'bgra8', 'rgba8'), rgba);
  });

  it('letterboxes with opaque black bars and centres the image when fitting', async function () {
    // 8x4 solid into 8x8: no scaling, bars of 2 rows above and below.
    const solid = makeImage(8, 4, () => RED);
    const out = await transform(solid, 8, 4, 32, 'rgba8', 8, 8, 0, 'bgra8', 'fit');
    const content = { x: 0, y: 2, width: 8, height: 4 };
    assertBars(out, 8, 8, content);
    const redAsBgra: Rgba = [RED[2], RED[1], RED[0], RED[3]];
    assertQuadrants(out, 8, content, [redAsBgra, redAsBgra, redAsBgra, redAsBgra], 0);

    // 40x20 into 30x30 after a quarter turn: the rotated image is 20x40, scaled to 15x30, centred at x = 7.
    const wide = makeImage(40, 20, () => GREEN);
    const turned = await transform(wide, 40, 20, 160, 'rgba8', 30, 30, 90, 'rgba8', 'fit');
    const turnedContent = { x: 7, y: 0, width: 15, height: 30 };
    assertBars(turned, 30, 30, turnedContent);
    assertQuadrants(turned, 30, turnedContent, [GREEN, GREEN, GREEN, GREEN], 0);
  });

  it('scales quadrants down and up, fitting and stretching, with and without rotation', async function () {
    const src = quadrants(64, 64);
    const cases: {
      dst: [number, number];
      rotation: Rotation;
      fit: 'fit' | 'stretch';
      content: { x: number; y: number; width: number; height: number };
      colours: [Rgba, Rgba, Rgba, Rgba];
    }[] = [
      { dst: [32, 32], rotation: 0, fit: 'fit', content: { x: 0, y: 0, width: 32, height: 32 }, colours: [RED, GREEN, BLUE, WHITE] },
      { dst: [48, 48], rotation: 0, fit: 'fit', content: { x: 0, y: 0, width: 48, height: 48 }, colours: [RED, GREEN, BLUE, WHITE] },
      { dst: [100, 100], rotation: 0, fit: 'fit', content: { x: 0, y: 0, width: 100, height: 100 }, colours: [RED, GREEN, BLUE, WHITE] },
      { dst: [40, 20], rotation: 0, fit: 'stretch', content: { x: 0, y: 0, width: 40, height: 20 }, colours: [RED, GREEN, BLUE, WHITE] },
      { dst: [40, 20], rotation: 0, fit: 'fit', content: { x: 10, y: 0, width: 20, height: 20 }, colours: [RED, GREEN, BLUE, WHITE] },
      // Clockwise: the bottom-left (blue) quadrant comes to the top left.
      { dst: [24, 24], rotation: 90, fit: 'fit', content: { x: 0, y: 0, width: 24, height: 24 }, colours: [BLUE, RED, WHITE, GREEN] },
      { dst: [30, 50], rotation: 180, fit: 'stretch', content: { x: 0, y: 0, width: 30, height: 50 }, colours: [WHITE, BLUE, GREEN, RED] },
      { dst: [50, 30], rotation: 270, fit: 'fit', content: { x: 10, y: 0, width: 30, height: 30 }, colours: [GREEN, WHITE, RED, BLUE] },
    ];
    for (const { dst, rotation, fit, content, colours } of cases) {
      const out = await transform(src, 64, 64, 256, 'rgba8', dst[0], dst[1], rotation, 'rgba8', fit);
      assert.equal(out.length, dst[0] * dst[1] * 4);
      assertBars(out, dst[0], dst[1], content);
      assertQuadrants(out, dst[0], content, colours, 2);
    }
  });

  it('averages fine detail when shrinking a lot instead of aliasing it', async function () {
    // A one-pixel checkerboard of black and white is mid grey from afar; sampling a few source
    // pixels per output pixel would give a noisy mix of black and white instead.
    const checker = makeImage(1024, 1024, (x, y) => ((x + y) % 2 === 0 ? [0, 0, 0, 255] : [255, 255, 255, 255]));
    const out = await transform(checker, 1024, 1024, 4096, 'rgba8', 100, 100, 0, 'rgba8', 'stretch');
    for (let i = 0; i < out.length; i += 4) {
      assert.ok(Math.abs(out[i] - 127.5) <= 2, `pixel ${i / 4} is ${out[i]}, not mid grey`);
      assert.equal(out[i + 3], 255);
    }
  });

  it('rejects bad arguments with a TypeError naming the field', async function () {
    const src = rgba;
    const good = [src, width, height, width * 4, 'rgba8', width, height, 0, 'rgba8', 'fit'] as const;
    const cases: [number, unknown, RegExp][] = [
      [0, 'pixels', /^src: must be a Buffer/],
      [0, src.subarray(4), /^src: must hold at least 140 bytes/],
      [1, 0, /^srcWidth: must be an integer/],
      [2, 2.5, /^srcHeight: must be an integer/],
      [3, 20, /^srcStride: must be an integer from 28/],
      [4, 'argb', /^srcFormat: must be one of/],
      [5, 0, /^dstWidth: must be an integer/],
      [6, 100_000, /^dstHeight: must be an integer/],
      [7, 45, /^rotation: must be one of 0, 90, 180, 270; got 45/],
      [8, 'yuv', /^dstFormat: must be one of/],
      [9, 'cover', /^fit: must be one of "fit", "stretch"; got "cover"/],
    ];
    for (const [index, value, message] of cases) {
      const args = [...good] as unknown[];
      args[index] = value;
      await assert.rejects((transform as (...a: unknown[]) => Promise<Buffer>)(...args), { name: 'TypeError', message }, String(message));
    }
  });
});
