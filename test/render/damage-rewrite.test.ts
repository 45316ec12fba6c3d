/**
 * FrameRenderer.renderInto: a buffer holding the render of one picture, brought up to the next
 * by rewriting only where a changed rect can reach, equals a full render of the next picture,
 * byte for byte; for strong and slight shrinking, enlarging, every rotation, letterboxing and
 * stretching, both pixel formats, rects at the edges, and the pointer over a change.
 */
import assert from 'node:assert/strict';
import { isImageTransformAvailable } from '../../src/codec/image-transform';
import { FrameRenderer } from '../../src/render/frame-renderer';
import type { RenderTarget } from '../../src/render/render-target';
import type { PointerState } from '../../src/core/pointer';
import type { Rect } from '../../src/core/rect';
import { seeded, standingFrame } from '../support/frames';

const WIDTH = 333;
const HEIGHT = 217;
const STEPS = 40;

const TARGETS: readonly RenderTarget[] = [
  { width: WIDTH, height: HEIGHT, rotation: 0, format: 'bgra8', scaleMode: 'fit' },
  { width: HEIGHT, height: WIDTH, rotation: 90, format: 'rgba8', scaleMode: 'fit' },
  { width: 60, height: 40, rotation: 0, format: 'rgba8', scaleMode: 'fit' },
  { width: 97, height: 181, rotation: 90, format: 'bgra8', scaleMode: 'stretch' },
  { width: 167, height: 109, rotation: 180, format: 'rgba8', scaleMode: 'stretch' },
  { width: 320, height: 216, rotation: 0, format: 'rgba8', scaleMode: 'fit' },
  { width: 1000, height: 700, rotation: 270, format: 'rgba8', scaleMode: 'fit' },
  { width: 31, height: 500, rotation: 0, format: 'bgra8', scaleMode: 'fit' },
];

const ARROW: PointerState = {
  x: 100,
  y: 80,
  visible: true,
  shape: { id: 1, width: 12, height: 16, hotX: 1, hotY: 1, rgba: Buffer.alloc(12 * 16 * 4, 0x80) },
};

describe('damage-only rewrites of a buffer', () => {
  before(function () {
    if (!isImageTransformAvailable()) this.skip(); // renderInto needs the native addon
  });

  for (const target of TARGETS) {
    it(`equal full renders: ${target.width}x${target.height}, ${target.rotation}°, ${target.scaleMode}, ${target.format}`, async () => {
      const random = seeded(target.width * 7919 + target.height);
      const noise = (bytes: Buffer) => {
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i & 3) === 3 ? 255 : Math.floor(random() * 256);
      };
      let pixels = Buffer.alloc(WIDTH * HEIGHT * 4);
      noise(pixels);
      const into = Buffer.alloc(target.width * target.height * 4);
      const renderer = new FrameRenderer();
      await renderer.renderInto(
        standingFrame({ number: 1, width: WIDTH, height: HEIGHT, format: 'rgba8', pixels }),
        target,
        into,
        undefined,
      );
      for (let step = 2; step <= STEPS; step++) {
        // Small rects, some on an edge or a corner, now and then a large one.
        const large = random() < 0.1;
        const width = 1 + Math.floor(random() * (large ? WIDTH : 40));
        const height = 1 + Math.floor(random() * (large ? HEIGHT : 40));
        const edge = random();
        const x = edge < 0.2 ? 0 : edge < 0.4 ? WIDTH - width : Math.floor(random() * (WIDTH - width));
        const y = edge < 0.3 ? HEIGHT - height : Math.floor(random() * (HEIGHT - height));
        const changed: Rect = { x, y, width, height };
        const next = Buffer.from(pixels);
        const patch = Buffer.alloc(width * 4);
        for (let row = y; row < y + height; row++) {
          noise(patch);
          patch.copy(next, (row * WIDTH + x) * 4);
        }
        // Every third picture shows the pointer where it has always been: unchanged, it is no
        // damage of its own, but a change under it must bring it back on top.
        const pointer = step % 3 === 0 ? ARROW : undefined;
        const pointerDamage = step % 3 === 0 || step % 3 === 1 ? [{ x: 99, y: 79, width: 12, height: 16 }] : [];
        const frame = standingFrame({ number: step, width: WIDTH, height: HEIGHT, format: 'rgba8', pixels: next, pointer });
        await renderer.renderInto(frame, target, into, [changed, ...pointerDamage]);
        const expected = await new FrameRenderer().render(frame, target);
        assert.equal(
          Buffer.compare(into, expected),
          0,
          `step ${step}: after a change at ${JSON.stringify(changed)} the buffer differs from a full render`,
        );
        pixels = next;
      }
    });
  }

  // An unscaled copy is widened to whole 16-pixel columns (64-byte cache lines): a change just
  // beside the pointer then covers part of it, which must come back drawn once, on top.
  for (const [side, changed] of [
    ['left', { x: 92, y: 84, width: 5, height: 6 }],
    ['right', { x: 111, y: 90, width: 3, height: 20 }],
  ] as const) {
    it(`a change beside the pointer on its ${side}, in the same 16-pixel column, leaves it drawn`, async () => {
      for (const format of ['rgba8', 'bgra8'] as const) {
        const target: RenderTarget = { width: WIDTH, height: HEIGHT, rotation: 0, format, scaleMode: 'stretch' };
        const random = seeded(side.length);
        const first = Buffer.alloc(WIDTH * HEIGHT * 4);
        for (let i = 0; i < first.length; i++) first[i] = Math.floor(random() * 256);
        const next = Buffer.from(first);
        next.fill(0x11, (changed.y * WIDTH + changed.x) * 4, (changed.y * WIDTH + changed.x + changed.width) * 4);
        const into = Buffer.alloc(WIDTH * HEIGHT * 4);
        const renderer = new FrameRenderer();
        const frameOf = (number: number, pixels: Buffer) =>
          standingFrame({ number, width: WIDTH, height: HEIGHT, format: 'rgba8', pixels, pointer: ARROW });
        await renderer.renderInto(frameOf(1, first), target, into, undefined);
        const frame = frameOf(2, next);
        await renderer.renderInto(frame, target, into, [{ ...changed, height: 1 }]);
        assert.equal(Buffer.compare(into, await new FrameRenderer().render(frame, target)), 0, `${format}: differs from a full render`);
      }
    });
  }
});
