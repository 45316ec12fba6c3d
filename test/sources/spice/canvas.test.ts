import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { ChannelConnection } from '../../../src/sources/spice/channels/channel-connection';
import { CanvasSurface } from '../../../src/sources/spice/canvas/canvas-surface';
import type { Rect } from '../../../src/core/rect';
import type { Area } from '../../../src/sources/spice/canvas/clip';
import { blit, copyBits } from '../../../src/sources/spice/canvas/draw';
import { ROP_COPY } from '../../../src/sources/spice/canvas/rop';
import type { DecodedImage } from '../../../src/sources/spice/decoders/decoded-image';
import { DisplayChannel } from '../../../src/sources/spice/display/display-channel';
import { SurfaceFormat } from '../../../src/sources/spice/wire/constants';
import type { SpiceMessage } from '../../../src/sources/spice/wire/framing';
import { createLogger } from '../../../src/util/logger';
import * as m from '../../support/spice/messages';
import { waitFor } from '../../support/spice/processes';

const PUT = 8;
const XOR = 64;
const INVERS_RES = 1024;

/** A display channel fed by hand, with what it reports. */
async function run(messages: SpiceMessage[]) {
  let closedWith: Error | undefined;
  const connection = {
    onMessage: (_m: SpiceMessage) => {},
    isClosed: false,
    send() {},
    pause() {},
    resume() {},
    close(e?: Error) {
      closedWith = e;
      this.isClosed = true;
    },
  };
  const damage: Rect[][] = [];
  let marks = 0;
  const display = new DisplayChannel(
    connection as unknown as ChannelConnection,
    { channelId: 0, logger: createLogger('t', { level: 'silent' }), serverCaps: [], cacheSizePixels: 1 << 20, glzWindowPixels: 1 << 20 },
    { primaryCreated: () => {}, damage: (a) => damage.push(a), mark: () => marks++ },
  );
  for (const message of messages) connection.onMessage(message);
  await waitFor(() => (!display.busy ? true : undefined), 5000, 'the batch', 5);
  if (closedWith) throw closedWith;
  const surface = display.primary()!;
  const px = (x: number, y: number) => surface.pixels[y * surface.width + x];
  return { display, surface, px, damage, marks };
}

const create = (w = 8, h = 8): SpiceMessage => ({ type: 314, body: m.surfaceCreate(0, w, h) });
const fill = (...args: Parameters<typeof m.drawFill>): SpiceMessage => ({ type: 302, body: m.drawFill(...args) });

describe('SPICE canvas: draw commands on hand-made messages', () => {
  it('DRAW_FILL with clip rectangles paints only the clipped parts and reports them as damage', async () => {
    const { px, damage } = await run([
      create(),
      fill([0, 0, 8, 8], 0x112233, PUT, {
        clip: [
          [1, 1, 3, 2],
          [5, 5, 6, 8],
        ],
      }),
    ]);
    assert.equal(px(1, 1), 0xff112233);
    assert.equal(px(2, 1), 0xff112233);
    assert.equal(px(3, 1), 0xff000000);
    assert.equal(px(5, 7), 0xff112233);
    assert.equal(px(0, 0), 0xff000000);
    assert.deepEqual(damage.at(-1), [
      { x: 1, y: 1, width: 2, height: 1 },
      { x: 5, y: 5, width: 1, height: 3 },
    ]);
  });

  it('ROPs: XOR, and PUT with INVERS_RES', async () => {
    const { px } = await run([
      create(),
      fill([0, 0, 4, 1], 0x0f0f0f, PUT),
      fill([0, 0, 2, 1], 0xffffff, XOR),
      fill([3, 0, 4, 1], 0x00ff00, PUT | INVERS_RES),
    ]);
    assert.equal(px(0, 0), 0xfff0f0f0);
    assert.equal(px(2, 0), 0xff0f0f0f);
    assert.equal(px(3, 0), 0xffff00ff);
  });

  it('QMask: draws where the mask is set, or where it is clear with INVERS', async () => {
    const rows = ['1010', '0110'];
    const plain = await run([create(), fill([0, 0, 4, 2], 0xffffff, PUT, { mask: { rows } })]);
    const inverted = await run([create(), fill([0, 0, 4, 2], 0xffffff, PUT, { mask: { rows, invert: true } })]);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) {
        const set = rows[y][x] === '1';
        assert.equal(plain.px(x, y), set ? 0xffffffff : 0xff000000, `plain (${x},${y})`);
        assert.equal(inverted.px(x, y), set ? 0xff000000 : 0xffffffff, `inverted (${x},${y})`);
      }
    }
  });

  it('DRAW_COPY from a bitmap area, then overlapping COPY_BITS reads the old pixels', async () => {
    const src = { width: 3, height: 1, pixels: [0xff0000, 0x00ff00, 0x0000ff] };
    const { px } = await run([
      create(),
      { type: 304, body: m.drawCopy([0, 0, 3, 1], src, [0, 0, 3, 1]) },
      { type: 104, body: m.copyBits([1, 0, 4, 1], 0, 0) },
    ]);
    assert.deepEqual([px(0, 0), px(1, 0), px(2, 0), px(3, 0)], [0xffff0000, 0xffff0000, 0xff00ff00, 0xff0000ff]);
  });

  it('COPY_BITS in place equals a copy from a snapshot of the surface, for moves in every direction and split clips', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const W = 24;
    const H = 18;
    for (let trial = 0; trial < 400; trial++) {
      const surface = new CanvasSurface(0, W, H, SurfaceFormat.XRGB32);
      for (let i = 0; i < surface.pixels.length; i++) surface.pixels[i] = (0xff000000 | (i * 40503 + trial)) >>> 0;
      const before: DecodedImage = { width: W, height: H, stride: W, pixels: Uint32Array.from(surface.pixels), hasAlpha: false };
      const [dx, dy] = [random(9) - 4, random(9) - 4];
      // One to three disjoint bands of the box, as a clip splits it.
      const box = { left: 4, top: 4, right: 4 + 1 + random(14), bottom: 4 + 1 + random(10) };
      const cuts = [
        box.top,
        ...[random(box.bottom - box.top), random(box.bottom - box.top)].map((c) => box.top + c).sort((a, b) => a - b),
        box.bottom,
      ];
      const areas: Area[] = [];
      for (let i = 0; i + 1 < cuts.length; i++)
        if (cuts[i + 1]! > cuts[i]!) areas.push({ x0: box.left, y0: cuts[i]!, x1: box.right, y1: cuts[i + 1]! });
      const srcPos = { x: box.left + dx, y: box.top + dy };
      copyBits(surface, areas, box, srcPos);
      const expected = new CanvasSurface(0, W, H, SurfaceFormat.XRGB32);
      expected.pixels.set(before.pixels);
      const srcArea = { left: srcPos.x, top: srcPos.y, right: srcPos.x + box.right - box.left, bottom: srcPos.y + box.bottom - box.top };
      blit(expected, areas, { image: before, box, srcArea }, ROP_COPY);
      assert.deepEqual(surface.pixels, expected.pixels, `trial ${trial}: move by ${dx},${dy} over ${JSON.stringify(areas)}`);
    }
  });

  it('DRAW_TRANSPARENT skips the key colour; DRAW_ALPHA_BLEND mixes by alpha', async () => {
    const src = { width: 2, height: 1, pixels: [0x00ff00ff, 0x00123456] };
    const t = await run([create(), fill([0, 0, 2, 1], 0x808080, PUT), { type: 312, body: m.drawTransparent([0, 0, 2, 1], src, 0xff00ff) }]);
    assert.deepEqual([t.px(0, 0), t.px(1, 0)], [0xff808080, 0xff123456]);
    // Premultiplied source (0x80 alpha, colour 0x80 red) over white at global alpha 255.
    const a = await run([
      create(),
      fill([0, 0, 1, 1], 0xffffff, PUT),
      { type: 313, body: m.drawAlphaBlend([0, 0, 1, 1], { width: 1, height: 1, pixels: [0x80800000] }, 255, 2) },
    ]);
    assert.equal(a.px(0, 0), 0xffff7f7f);
  });

  it('MARK is reported after the damage of its batch', async () => {
    const { marks, damage } = await run([create(), fill([0, 0, 2, 2], 0x010203, PUT), { type: 102, body: Buffer.alloc(0) }]);
    assert.equal(marks, 1);
    assert.equal(damage.length, 1);
  });
});

describe('SPICE MJPEG streams', () => {
  /** A 16x16 JPEG, top half white, bottom half black (large flat areas stay clean in JPEG). */
  async function jpeg(): Promise<Buffer> {
    const w = 16;
    const h = 16;
    const raw = Buffer.alloc(w * h * 3);
    raw.fill(255, 0, (w * h * 3) / 2);
    return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
  }

  it('flips bottom-up frames unless the stream is TOP_DOWN', async () => {
    const frame = await jpeg();
    for (const topDown of [true, false]) {
      const { px } = await run([
        create(16, 16),
        { type: 122, body: m.streamCreate(1, [0, 0, 16, 16], 16, 16, topDown) },
        { type: 123, body: m.streamData(1, frame) },
      ]);
      const top = px(8, 2) & 0xff;
      const bottom = px(8, 13) & 0xff;
      assert.ok(topDown ? top > 240 && bottom < 15 : top < 15 && bottom > 240, `topDown=${topDown}: top ${top}, bottom ${bottom}`);
    }
  });

  it('paints only inside the stream clip, which STREAM_CLIP can change', async () => {
    const frame = await jpeg();
    const clipMsg = (): SpiceMessage => {
      const w = new m.BodyWriter().u32(1).u8(1).u32(1).rect([0, 0, 4, 16]);
      return { type: 124, body: w.toBuffer() };
    };
    const { px } = await run([
      create(16, 16),
      { type: 122, body: m.streamCreate(1, [0, 0, 16, 16], 16, 16, true, [[0, 0, 16, 16]]) },
      clipMsg(),
      { type: 123, body: m.streamData(1, frame) },
    ]);
    assert.ok((px(2, 2) & 0xff) > 240, 'inside the clip');
    assert.equal(px(10, 2), 0xff000000, 'outside the clip stays untouched');
  });
});

describe('SPICE canvas: DRAW_COPY at the source size', () => {
  /** A 4x3 image, each pixel distinct, alpha 0x80 (or opaque). */
  function image(hasAlpha: boolean): DecodedImage {
    const pixels = Uint32Array.from({ length: 12 }, (_, i) => ((hasAlpha ? 0x80000000 : 0xff000000) | (i * 0x0a0b0c)) >>> 0);
    return { width: 4, height: 3, stride: 4, pixels, hasAlpha };
  }
  const box = { left: 2, top: 1, right: 6, bottom: 4 };
  const srcArea = { left: 0, top: 0, right: 4, bottom: 3 };
  // Two clip areas, one reaching past the image on the right and below (those pixels stay as they were).
  const areas: Area[] = [
    { x0: 2, y0: 1, x1: 4, y1: 2 },
    { x0: 3, y0: 2, x1: 8, y1: 6 },
  ];
  /** What each surface pixel should be: the image pixel under it inside the clip, else `background`. */
  function expected(source: DecodedImage, background: number, alpha: (p: number) => number): number[] {
    const out: number[] = [];
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) {
        const inClip = areas.some((a) => x >= a.x0 && x < a.x1 && y >= a.y0 && y < a.y1);
        const sx = x - box.left;
        const sy = y - box.top;
        const inImage = sx >= 0 && sx < 4 && sy >= 0 && sy < 3;
        out.push(inClip && inImage ? alpha(source.pixels[sy * 4 + sx]) : background);
      }
    }
    return out;
  }

  it('an image with alpha lands opaque on an opaque surface, colours untouched', () => {
    const surface = new CanvasSurface(0, 8, 6, SurfaceFormat.XRGB32);
    const source = image(true);
    blit(surface, areas, { image: source, srcArea, box }, ROP_COPY);
    assert.deepEqual(
      Array.from(surface.pixels),
      expected(source, 0xff000000, (p) => (p | 0xff000000) >>> 0),
    );
  });

  it('an image with alpha keeps it on a surface with alpha', () => {
    const surface = new CanvasSurface(0, 8, 6, SurfaceFormat.ARGB32);
    const source = image(true);
    blit(surface, areas, { image: source, srcArea, box }, ROP_COPY);
    assert.deepEqual(
      Array.from(surface.pixels),
      expected(source, 0, (p) => p),
    );
  });

  it('an opaque image is copied as it is', () => {
    const surface = new CanvasSurface(0, 8, 6, SurfaceFormat.XRGB32);
    const source = image(false);
    blit(surface, areas, { image: source, srcArea, box }, ROP_COPY);
    assert.deepEqual(
      Array.from(surface.pixels),
      expected(source, 0xff000000, (p) => p),
    );
  });
});
