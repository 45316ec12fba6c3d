/**
 * The pointer through the real gRPC API: a still image whose source reports a pointer (as a
 * SPICE cursor channel does), captured with each cursor mode at 1:1, scaled and rotated.
 */
import assert from 'node:assert/strict';
import { CaptureClient } from '../../src/clients';
import { isImageTransformAvailable } from '../../src/codec/image-transform';
import { CursorMode, PixelFormat, Rotation, ScaleMode, type FrameInfo } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { defaultTransform } from '../../src/render/frame-renderer';
import { mapDamage, type RenderTarget } from '../../src/render/render-target';
import type { StillImage } from '../../src/sources';
import type { PointerShape, PointerState } from '../../src/core/pointer';
import type { Rect } from '../../src/core/rect';
import { covers } from '../support/damage';
import { Fixture, rejectsWith, settle, track } from '../support/fixture';
import { patternImage, swapRedBlue } from '../support/images';
import { compositeBySharp, PointerImageSource, pointerShape } from '../support/pointer-source';

const WIDTH = 64;
const HEIGHT = 48;

/**
 * libvips composites in floating point and truncates, the server rounds to nearest: where the
 * pointer is partly transparent the two differ by at most 1, and where it is opaque or fully
 * transparent they must agree exactly.
 */
const COMPOSITE_TOLERANCE = 1;
/**
 * Scaled: the same transform applied to pictures that differ by at most 1 per byte. A bilinear
 * filter (libyuv) averages with positive weights, so the difference stays at most 1; the sharp
 * fallback's Lanczos kernel has negative lobes, whose weights sum to a little over 1 in size.
 */
const SCALED_TOLERANCE = isImageTransformAvailable() ? 1 : 2;

function pointerAt(x: number, y: number, shape: PointerShape | undefined, visible = true): PointerState {
  return { x, y, visible, shape };
}

function areaOf(pointer: PointerState): Rect {
  const shape = pointer.shape!;
  return { x: pointer.x - shape.hotX, y: pointer.y - shape.hotY, width: shape.width, height: shape.height };
}

function maxDifference(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length, 'same size');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Asserts `actual` is the sharp composition of the pointer onto `image`, within the rules above. */
function assertComposite(actual: Buffer, reference: Buffer, pointer: PointerState): void {
  assert.ok(maxDifference(actual, reference) <= COMPOSITE_TOLERANCE, `at most ${COMPOSITE_TOLERANCE} from sharp's composite`);
  const shape = pointer.shape!;
  const area = areaOf(pointer);
  let partial = 0;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const inside = x >= area.x && x < area.x + area.width && y >= area.y && y < area.y + area.height;
      const alpha = inside ? shape.rgba[((y - area.y) * shape.width + (x - area.x)) * 4 + 3] : 0;
      const i = (y * WIDTH + x) * 4;
      if (alpha === 0 || alpha === 255) {
        assert.deepEqual([...actual.subarray(i, i + 4)], [...reference.subarray(i, i + 4)], `pixel (${x}, ${y}), pointer alpha ${alpha}`);
      } else {
        partial++;
      }
    }
  }
  assert.ok(partial > 10, `the pointer has soft edges to test the blend with (${partial} partly transparent pixels)`);
}

/** Every pixel where a and b differ lies inside one of `rects`; returns how many differ. */
function differingPixelsInside(a: Buffer, b: Buffer, width: number, rects: readonly Rect[]): number {
  let count = 0;
  for (let p = 0; p < a.length / 4; p++) {
    if (a.readUInt32LE(p * 4) === b.readUInt32LE(p * 4)) continue;
    count++;
    const x = p % width;
    const y = Math.floor(p / width);
    assert.ok(
      rects.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height),
      `pixel (${x}, ${y}) differs outside ${JSON.stringify(rects)}`,
    );
  }
  return count;
}

describe('cursor modes', function () {
  this.timeout(20_000);
  const image: StillImage = patternImage(WIDTH, HEIGHT);
  let fx: Fixture;
  let source: PointerImageSource;
  let arrow: PointerShape;
  let ring: PointerShape;
  const start = pointerAt(20, 10, undefined);

  before(async () => {
    arrow = await pointerShape('arrow', 7);
    ring = await pointerShape('ring', 9);
    Object.assign(start, { shape: arrow });
  });

  beforeEach(async () => {
    source = new PointerImageSource(image);
    fx = await Fixture.start({ source });
    source.setPointer(start);
    fx.clock.tick();
    await settle(10);
  });
  afterEach(() => fx.stop());

  async function frameOf(options: Parameters<Fixture['configure']>[2]): Promise<{ sessionId: string; frame: FrameInfo }> {
    const { sessionId } = await fx.configuredSession(1, options);
    const frame = await fx.getNextFrame(sessionId);
    return { sessionId, frame };
  }

  async function latestFrameNumber(): Promise<number> {
    return (await fx.call(fx.capture, fx.capture.getDisplayInfo, {})).latestFrameNumber;
  }

  it('EMBEDDED (the default) at 1:1: the image with the pointer blended at its hot spot, in both formats; HIDDEN on the same frame has none', async () => {
    const reference = await compositeBySharp(image, start);
    const byDefault = await frameOf({ width: WIDTH, height: HEIGHT });
    assertComposite(byDefault.frame.pixels, reference, start);
    const bgra = await frameOf({
      width: WIDTH,
      height: HEIGHT,
      format: PixelFormat.PIXEL_FORMAT_BGRA8,
      cursorMode: CursorMode.CURSOR_MODE_EMBEDDED,
    });
    assertComposite(swapRedBlue(bgra.frame.pixels), reference, start);
    // The frame at the client's size goes out without a render: neither way may it leak.
    const hidden = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_HIDDEN });
    assert.equal(hidden.frame.frameNumber, byDefault.frame.frameNumber);
    assert.ok(hidden.frame.pixels.equals(image.pixels), 'HIDDEN is the source exactly');
    assert.equal(hidden.frame.pointer, undefined, 'HIDDEN frames say nothing of the pointer');
    assert.equal(byDefault.frame.pointer, undefined, 'nor do EMBEDDED ones');
  });

  it('EMBEDDED scaled and rotated: the composed picture, transformed like the rest of the image', async () => {
    const composed = { width: WIDTH, height: HEIGHT, format: 'rgba8' as const, pixels: await compositeBySharp(image, start) };
    const cases: { target: RenderTarget; rotation: Rotation; scaleMode: ScaleMode }[] = [
      {
        target: { width: 32, height: 24, rotation: 0, format: 'rgba8', scaleMode: 'fit' },
        rotation: Rotation.ROTATION_CW_0_DEGREES,
        scaleMode: ScaleMode.SCALE_MODE_FIT,
      },
      {
        target: { width: 48, height: 64, rotation: 90, format: 'rgba8', scaleMode: 'fit' },
        rotation: Rotation.ROTATION_CW_90_DEGREES,
        scaleMode: ScaleMode.SCALE_MODE_FIT,
      },
      {
        target: { width: 100, height: 100, rotation: 270, format: 'rgba8', scaleMode: 'fit' },
        rotation: Rotation.ROTATION_CW_270_DEGREES,
        scaleMode: ScaleMode.SCALE_MODE_FIT,
      },
      {
        target: { width: 40, height: 40, rotation: 180, format: 'rgba8', scaleMode: 'stretch' },
        rotation: Rotation.ROTATION_CW_180_DEGREES,
        scaleMode: ScaleMode.SCALE_MODE_STRETCH,
      },
    ];
    for (const { target, rotation, scaleMode } of cases) {
      const what = `${target.width}x${target.height} ${target.rotation}° ${target.scaleMode}`;
      const options = { width: target.width, height: target.height, rotation, scaleMode };
      const embedded = await frameOf({ ...options, cursorMode: CursorMode.CURSOR_MODE_EMBEDDED });
      const expected = await defaultTransform().transform(composed, target);
      const difference = maxDifference(embedded.frame.pixels, expected);
      assert.ok(difference <= SCALED_TOLERANCE, `${what}: ${difference} from the transformed composition`);
      // And the pointer is really there: the image differs from HIDDEN's only around it.
      const hidden = await frameOf({ ...options, cursorMode: CursorMode.CURSOR_MODE_HIDDEN });
      const mapped = mapDamage(areaOf(start), WIDTH, HEIGHT, target);
      // Lanczos (the fallback) reaches three pixels further than the bilinear filter.
      const reach = isImageTransformAvailable() ? 0 : 3;
      const around = { x: mapped.x - reach, y: mapped.y - reach, width: mapped.width + 2 * reach, height: mapped.height + 2 * reach };
      const changed = differingPixelsInside(embedded.frame.pixels, hidden.frame.pixels, target.width, [around]);
      assert.ok(changed >= 10, `${what}: the pointer changed ${changed} pixels`);
    }
  });

  it('METADATA: the image alone, and beside it the position, hot spot, visibility and the shape (bytes only when new)', async () => {
    const { sessionId, frame } = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_METADATA });
    assert.ok(frame.pixels.equals(image.pixels), 'no pointer in the pixels');
    assert.deepEqual(
      { ...frame.pointer, shape: undefined },
      { visible: true, x: 20, y: 10, displayX: 20, displayY: 10, shapeId: 7, shape: undefined },
    );
    const shape = frame.pointer!.shape!;
    assert.deepEqual([shape.id, shape.width, shape.height, shape.hotX, shape.hotY], [7, 12, 16, 1, 1]);
    assert.ok(Buffer.from(shape.rgba).equals(arrow.rgba), 'the shape as RGBA');

    await fx.release(sessionId, frame.releaseToken);
    source.setPointer(pointerAt(30, 20, arrow));
    fx.clock.tick();
    const moved = await fx.getNextFrame(sessionId);
    assert.equal(moved.frameNumber, frame.frameNumber + 1, 'a pointer move makes a frame');
    assert.ok(moved.pixels.equals(image.pixels));
    assert.deepEqual(moved.damage, [], 'no pixel of the image changed');
    assert.deepEqual([moved.pointer!.x, moved.pointer!.y, moved.pointer!.shapeId], [30, 20, 7]);
    assert.equal(moved.pointer!.shape, undefined, 'the same shape is not sent again');

    await fx.release(sessionId, moved.releaseToken);
    source.setPointer(pointerAt(30, 20, ring));
    fx.clock.tick();
    const reshaped = await fx.getNextFrame(sessionId);
    assert.equal(reshaped.pointer!.shapeId, 9);
    assert.ok(Buffer.from(reshaped.pointer!.shape!.rgba).equals(ring.rgba), 'a new shape comes with its bytes');
    assert.deepEqual([reshaped.pointer!.shape!.hotX, reshaped.pointer!.shape!.hotY], [5, 5]);

    await fx.release(sessionId, reshaped.releaseToken);
    source.setPointer(pointerAt(30, 20, ring, false));
    fx.clock.tick();
    const hidden = await fx.getNextFrame(sessionId);
    assert.equal(hidden.pointer!.visible, false, 'hidden by the source');
    assert.equal(hidden.pointer!.shapeId, 9);

    // A new configuration starts again: its first frame carries the shape.
    const importToken = await fx.register(sessionId, 1);
    await fx.configure(sessionId, importToken, { width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_METADATA });
    const again = await fx.getNextFrame(sessionId);
    assert.equal(again.pointer!.shape!.id, 9);
  });

  it('METADATA with held_pointer_shape_id: the shape comes whenever the client holds another, whatever was sent before', async () => {
    const { sessionId, frame } = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_METADATA });
    assert.equal(frame.pointer!.shape!.id, 7, 'the first frame brings the arrow');
    let token = frame.releaseToken;
    /** The next frame after the pointer moved to x (and took `shape`), asked for by a client holding `held`. */
    const next = async (x: number, shape: PointerShape, held: string | undefined): Promise<FrameInfo> => {
      source.setPointer(pointerAt(x, 20, shape));
      fx.clock.tick();
      const reply = await fx.call(fx.capture, fx.capture.getNextFrame, {
        sessionId,
        releaseToken: token,
        heldPointerShapeId: held,
        heldFrames: undefined,
      });
      token = reply.releaseToken;
      return reply;
    };
    // As if that reply was lost on its way: the client says it holds none.
    const resent = await next(21, arrow, '0');
    assert.equal(resent.pointer!.shapeId, 7);
    assert.ok(Buffer.from(resent.pointer!.shape!.rgba).equals(arrow.rgba), 'the arrow again, for a client that lacks it');
    assert.equal((await next(22, arrow, '7')).pointer!.shape, undefined, 'not for one that holds it');
    const ringFrame = await next(23, ring, '7');
    assert.ok(Buffer.from(ringFrame.pointer!.shape!.rgba).equals(ring.rgba), 'a new shape, to a client holding the old one');
    // The reply with the ring lost: the client still holds the arrow.
    const ringAgain = await next(24, ring, '7');
    assert.equal(ringAgain.pointer!.shapeId, 9);
    assert.ok(Buffer.from(ringAgain.pointer!.shape!.rgba).equals(ring.rgba), 'the ring again');
    // Without the field, the server goes by what it sent last: the ring.
    assert.equal((await next(25, ring, undefined)).pointer!.shape, undefined, 'nothing said: the ring counts as sent');
    // Any 64-bit value is taken: an id the server never gave is a shape the client lacks.
    const anyId = await next(26, ring, '18446744073709551615');
    assert.equal(anyId.pointer!.shape!.id, 9);
  });

  it('the client library says which shape it holds: a reply it never saw cannot leave its frames without their shape', async () => {
    const client = new CaptureClient({ address: fx.server.address });
    try {
      const session = await client.openSession();
      await session.configure({ width: WIDTH, height: HEIGHT, cursorMode: 'metadata', bufferCount: 2, transport: 'inline' });
      const first = await session.nextFrame();
      assert.equal(first.pointer!.shape!.id, 7);
      await first.release();
      // A reply the library never sees: the same session's GetNextFrame made outside it, whose
      // frame brings the ring.
      source.setPointer(pointerAt(30, 20, ring));
      fx.clock.tick();
      const unseen = await fx.getNextFrame(session.id);
      assert.equal(unseen.pointer!.shape!.id, 9, 'the reply the library missed carried the ring');
      await fx.release(session.id, unseen.releaseToken);
      source.setPointer(pointerAt(31, 20, ring));
      fx.clock.tick();
      const after = await session.nextFrame();
      assert.equal(after.pointer!.shapeChanged, true);
      assert.ok(after.pointer!.shape?.rgba.equals(ring.rgba), 'the library has the ring its frame names');
      await after.release();
      await session.close();
    } finally {
      client.close();
    }
  });

  it('METADATA positions are in the client image, after scaling and rotation', async () => {
    const metadata = CursorMode.CURSOR_MODE_METADATA;
    // 64x48 into 32x24: the centre of display pixel (20, 10) lands at (10.25, 5.25).
    const half = await frameOf({ width: 32, height: 24, cursorMode: metadata });
    assert.deepEqual(
      [half.frame.pointer!.x, half.frame.pointer!.y, half.frame.pointer!.displayX, half.frame.pointer!.displayY],
      [10, 5, 20, 10],
    );
    // A quarter turn clockwise: display (20, 10) is at (48 - 1 - 10, 20) = (37, 20) in the
    // rotated 48x64 picture, (18.75, 10.25) once halved.
    const turned = await frameOf({ width: 24, height: 32, rotation: Rotation.ROTATION_CW_90_DEGREES, cursorMode: metadata });
    assert.deepEqual([turned.frame.pointer!.x, turned.frame.pointer!.y], [18, 10]);
    // Letterboxed: 64x48 fit into 64x64 sits 8 rows down.
    const boxed = await frameOf({ width: 64, height: 64, cursorMode: metadata });
    assert.deepEqual([boxed.frame.pointer!.x, boxed.frame.pointer!.y], [20, 18]);
  });

  it('HIDDEN: the image alone; a pointer change alone does not answer its call, a change of the image does', async () => {
    const { sessionId, frame } = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_HIDDEN });
    assert.ok(frame.pixels.equals(image.pixels));
    await fx.release(sessionId, frame.releaseToken);
    const pending = track(fx.getNextFrame(sessionId));
    source.setPointer(pointerAt(40, 30, ring));
    fx.clock.tick();
    await settle();
    assert.equal(await latestFrameNumber(), frame.frameNumber + 1, 'the pointer made a frame');
    assert.equal(pending.settled, false, 'which a HIDDEN client is not woken for');

    const changed = { ...image, pixels: Buffer.from(image.pixels) };
    changed.pixels.fill(0xff, 0, 8 * 4);
    source.setImage(changed, [{ x: 0, y: 0, width: 8, height: 1 }]);
    fx.clock.tick();
    const next = await pending.promise;
    assert.equal(next.frameNumber, frame.frameNumber + 2);
    assert.ok(next.pixels.equals(changed.pixels), 'the new image, no pointer');
    // The image's own damage (grown by a pixel for the filter), nothing of the pointer's.
    assert.deepEqual(next.damage, [{ x: 0, y: 0, width: 9, height: 2 }]);
  });

  it('a burst of 50 pointer moves within one vsync makes one frame, damaged where the pointer was and is', async () => {
    const embedded = await frameOf({ width: WIDTH, height: HEIGHT });
    const scaled = await frameOf({ width: 32, height: 24 });
    const metadata = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_METADATA });
    for (const { sessionId, frame } of [embedded, scaled, metadata]) await fx.release(sessionId, frame.releaseToken);
    const before = await latestFrameNumber();

    let end = start;
    for (let i = 1; i <= 50; i++) {
      end = pointerAt(20 + Math.round((i * 20) / 50), 10 + Math.round((i * 20) / 50), arrow);
      source.setPointer(end);
    }
    await settle(10);
    assert.equal(await latestFrameNumber(), before, 'no frame before the vsync');
    fx.clock.tick();
    await settle(10);
    assert.equal(await latestFrameNumber(), before + 1, 'one frame at the vsync');
    fx.clock.tick();
    await settle(10);
    assert.equal(await latestFrameNumber(), before + 1, 'and none at the next: nothing changed since');

    const target: RenderTarget = { width: WIDTH, height: HEIGHT, rotation: 0, format: 'rgba8', scaleMode: 'fit' };
    const next = await fx.getNextFrame(embedded.sessionId);
    assert.equal(next.frameNumber, before + 1);
    assert.ok(covers(next.damage, areaOf(start)), `damage ${JSON.stringify(next.damage)} covers where the pointer was`);
    assert.ok(covers(next.damage, areaOf(end)), 'and where it is');
    // Only there: the two areas, grown by the pixel damage is always grown by, and not the path between.
    const grown = [mapDamage(areaOf(start), WIDTH, HEIGHT, target), mapDamage(areaOf(end), WIDTH, HEIGHT, target)];
    for (const rect of next.damage)
      assert.ok(
        grown.some((g) => covers([g], rect)),
        `${JSON.stringify(rect)} is inside ${JSON.stringify(grown)}`,
      );
    assertComposite(next.pixels, await compositeBySharp(image, end), end);

    const small: RenderTarget = { ...target, width: 32, height: 24 };
    const nextScaled = await fx.getNextFrame(scaled.sessionId);
    assert.ok(covers(nextScaled.damage, mapDamage(areaOf(start), WIDTH, HEIGHT, small)), 'scaled: the old area in image coordinates');
    assert.ok(covers(nextScaled.damage, mapDamage(areaOf(end), WIDTH, HEIGHT, small)), 'scaled: the new one');

    const nextMetadata = await fx.getNextFrame(metadata.sessionId);
    assert.equal(nextMetadata.frameNumber, before + 1, 'METADATA clients get the frame, to learn where the pointer went');
    assert.deepEqual(nextMetadata.damage, []);
    assert.deepEqual([nextMetadata.pointer!.x, nextMetadata.pointer!.y], [end.x, end.y]);
  });

  it('a pointer the source hides, or one without a shape, is not drawn', async () => {
    source.setPointer(pointerAt(20, 10, undefined));
    fx.clock.tick();
    const shapeless = await frameOf({ width: WIDTH, height: HEIGHT });
    assert.ok(shapeless.frame.pixels.equals(image.pixels), 'no shape: nothing to draw');
    const described = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_METADATA });
    assert.equal(described.frame.pointer!.visible, false);
    assert.equal(described.frame.pointer!.shapeId, undefined);
    assert.equal(described.frame.pointer!.shape, undefined);

    source.setPointer(start);
    fx.clock.tick();
    source.setPointer(pointerAt(20, 10, arrow, false));
    fx.clock.tick();
    const hidden = await frameOf({ width: WIDTH, height: HEIGHT });
    assert.ok(hidden.frame.pixels.equals(image.pixels), 'visible = false: not drawn');
    const hiddenScaled = await frameOf({ width: 32, height: 24 });
    const plainScaled = await frameOf({ width: 32, height: 24, cursorMode: CursorMode.CURSOR_MODE_HIDDEN });
    assert.ok(hiddenScaled.frame.pixels.equals(plainScaled.frame.pixels), 'nor when scaled');
    const hiddenDescribed = await frameOf({ width: WIDTH, height: HEIGHT, cursorMode: CursorMode.CURSOR_MODE_METADATA });
    assert.deepEqual([hiddenDescribed.frame.pointer!.visible, hiddenDescribed.frame.pointer!.shapeId], [false, 7]);
    assert.equal(hiddenDescribed.frame.frameNumber, shapeless.frame.frameNumber + 2, 'shown again, then hidden: a frame each');
  });

  it("EMBEDDED from a BGRA surface (as SPICE has): the pointer's RGBA is swapped into place", async () => {
    const bgraSource = new PointerImageSource({ ...image, format: 'bgra8', pixels: swapRedBlue(image.pixels) });
    const bgra = await Fixture.start({ source: bgraSource });
    try {
      bgraSource.setPointer(start);
      bgra.clock.tick();
      const { sessionId } = await bgra.configuredSession(1, { width: WIDTH, height: HEIGHT });
      const frame = await bgra.getNextFrame(sessionId);
      assertComposite(frame.pixels, await compositeBySharp(image, start), start);
    } finally {
      await bgra.stop();
    }
  });

  it('Configure refuses an unknown cursor mode, naming cursor_mode', async () => {
    const sessionId = await fx.openSession();
    const importToken = await fx.register(sessionId);
    await rejectsWith(fx.configure(sessionId, importToken, { cursorMode: 42 as CursorMode }), 'INVALID_ARGS', 'cursor_mode');
  });

  it('the client library: cursorMode in configure, a typed pointer on frames, the shape kept between frames', async () => {
    const client = new CaptureClient({ address: fx.server.address });
    try {
      const session = await client.openSession();
      await assert.rejects(
        session.configure({ width: WIDTH, height: HEIGHT, cursorMode: 'shown' as 'hidden' }),
        /cursorMode: must be 'embedded', 'metadata' or 'hidden'/,
      );
      await session.configure({ width: WIDTH, height: HEIGHT, cursorMode: 'metadata', bufferCount: 1 });
      const first = await session.nextFrame();
      assert.ok(first.pixels.equals(image.pixels));
      assert.deepEqual(
        { ...first.pointer, shape: undefined },
        { visible: true, x: 20, y: 10, displayX: 20, displayY: 10, shape: undefined, shapeChanged: true },
      );
      assert.equal(first.pointer!.shape!.id, 7);
      assert.ok(first.pointer!.shape!.rgba.equals(arrow.rgba));
      await first.release();
      source.setPointer(pointerAt(25, 12, arrow));
      fx.clock.tick();
      const second = await session.nextFrame();
      assert.deepEqual([second.pointer!.x, second.pointer!.y, second.pointer!.shapeChanged], [25, 12, false]);
      assert.ok(second.pointer!.shape!.rgba.equals(arrow.rgba), 'the shape, kept from the first frame');
      await second.release();

      // EMBEDDED through whichever transport the client picks (shared memory on loopback).
      await session.configure({ width: WIDTH, height: HEIGHT, bufferCount: 1 });
      const embedded = await session.nextFrame();
      assert.equal(embedded.pointer, undefined);
      assertComposite(embedded.pixels, await compositeBySharp(image, pointerAt(25, 12, arrow)), pointerAt(25, 12, arrow));
      await embedded.release();
      await session.close();
    } finally {
      client.close();
    }
  });
});
