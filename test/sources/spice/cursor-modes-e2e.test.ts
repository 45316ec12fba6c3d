/**
 * The pointer from a real Xspice through the real gRPC API, in each cursor mode: an ARGB root
 * cursor (a hardware cursor, which Xspice reports on its cursor channel and leaves out of its
 * frame buffer) moved by xdotool, and what the X server itself shows (x11grab -draw_mouse 1,
 * xwd -root, xdotool getmouselocation) to compare with.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureSession, FramePointer } from '../../../src/clients';
import { mapDamage, type RenderTarget } from '../../../src/render/render-target';
import type { Rect } from '../../../src/core/rect';
import { runCli, ServeProcess } from '../../support/cli-process';
import { covers } from '../../support/damage';
import { nextFrameSurface, settleApiAgainstXwd, SpiceCaptureStack, type ReceivedFrame } from '../../support/spice/capture-stack';
import { describeDifferences } from '../../support/spice/compare';
import {
  BLEND_TOLERANCE,
  compositePointer,
  grabWithPointer,
  halvedAndRotatedBySharp,
  largestDifference,
  surfaceToRgba,
  type RgbaImage,
} from '../../support/spice/pointer-images';
import { run, waitFor } from '../../support/spice/processes';
import { setRoot } from '../../support/spice/scene';
import { ADWAITA_ARROW, ADWAITA_HAND, xPointerPosition } from '../../support/spice/x-cursor';
import { grabRoot } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const WIDTH = 640;
const HEIGHT = 480;

/**
 * The half-size quarter-turned EMBEDDED frame against sharp's transform of the full-size one: both
 * are the rounded mean of the same 2x2 blocks, rounded their own ways (see halvedAndRotatedBySharp).
 */
const HALVED_TOLERANCE = 1;

type Frame = ReceivedFrame & { image: RgbaImage };

/** The next frame of a bgra8 session as packed RGBA; undefined after `waitMs` without one. */
async function nextFrame(session: CaptureSession, waitMs: number): Promise<Frame | undefined> {
  const frame = await nextFrameSurface(session, waitMs);
  return frame && { ...frame, image: surfaceToRgba(frame) };
}

/** Where a pointer's image covers the display. */
function pointerArea(pointer: FramePointer): Rect {
  const shape = pointer.shape!;
  return { x: pointer.displayX - shape.hotX, y: pointer.displayY - shape.hotY, width: shape.width, height: shape.height };
}

const wholeImage = (image: RgbaImage) => [image.width / 2, image.height / 2, Math.max(image.width, image.height)] as const;

describe('the SPICE pointer through the gRPC API: Xspice with an ARGB cursor, in each cursor mode', function () {
  this.timeout(120000);
  let xspice: Xspice;
  let stack: SpiceCaptureStack;
  let stackStopped = false;
  let embedded: CaptureSession;
  let metadata: CaptureSession;
  let hidden: CaptureSession;
  /** The METADATA session's latest frame. */
  let described: Frame;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-cursor-modes-e2e-'));

  before(async () => {
    xspice = await Xspice.start({ width: WIDTH, height: HEIGHT });
    // A mid-grey root shows both the dark outline and the white fill of the pointer.
    await setRoot(xspice.env, dir, '#808080');
    // Cursor set and placed before the client connects: what METADATA first reports comes from
    // the cursor channel's INIT, which spice-server sends together with the end of the link.
    await run('xsetroot', ['-xcf', ADWAITA_ARROW, '32'], { env: xspice.env });
    await run('xdotool', ['mousemove', '301', '203'], { env: xspice.env });
    stack = await SpiceCaptureStack.start({ port: xspice.port });
    await waitFor(() => stack.source.surface(), 20000, 'the SPICE surface');
    embedded = await stack.openSession('embedded', WIDTH, HEIGHT, { cursorMode: 'embedded' });
    metadata = await stack.openSession('metadata', WIDTH, HEIGHT, { cursorMode: 'metadata' });
    hidden = await stack.openSession('hidden', WIDTH, HEIGHT, { cursorMode: 'hidden' });
  });

  after(async () => {
    if (!stackStopped) await stack?.stop();
    await xspice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * METADATA frames until one reports a visible pointer with a shape at the X server's pointer
   * position (within 1 pixel), with a shape other than `shapeOtherThan` when given; returns every
   * frame taken.
   */
  async function describedAtXPointer(shapeOtherThan?: number): Promise<Frame[]> {
    const at = await xPointerPosition(xspice.env);
    const taken: Frame[] = [];
    const near = (p: FramePointer | undefined) =>
      p?.visible &&
      p.shape !== undefined &&
      p.shape.id !== shapeOtherThan &&
      Math.abs(p.displayX - at.x) <= 1 &&
      Math.abs(p.displayY - at.y) <= 1;
    try {
      await waitFor(
        async () => {
          const frame = await nextFrame(metadata, 1000);
          if (frame) taken.push((described = frame));
          return near(described?.pointer) ? true : undefined;
        },
        20000,
        'a METADATA frame with the pointer where X has it',
        0,
      );
    } catch {
      const p = described?.pointer;
      assert.fail(
        `X has its pointer at ${at.x},${at.y}; the last METADATA frame says ${p ? `${p.visible ? 'visible' : 'hidden'} at ${p.displayX},${p.displayY}, shape ${p.shape?.id}` : 'nothing'}`,
      );
    }
    return taken;
  }

  /** Each session's latest frame: a still screen sends no new one. */
  const latest = new Map<CaptureSession, Frame>();

  /** The session's latest frame, once it is not older than the METADATA one. */
  async function frameNoOlderThanDescribed(session: CaptureSession): Promise<Frame> {
    return waitFor(
      async () => {
        const frame = await nextFrame(session, 1000);
        if (frame) latest.set(session, frame);
        const last = latest.get(session);
        return last && last.frameNumber >= described.frameNumber ? last : undefined;
      },
      20000,
      `a frame numbered ${described.frameNumber} or later`,
      0,
    );
  }

  it("HIDDEN equals xwd -root (no pointer), METADATA reports where X has its pointer and X's cursor image, EMBEDDED equals x11grab -draw_mouse 1", async () => {
    // HIDDEN: the whole frame, exactly what the X server has on its root window.
    const settled = await settleApiAgainstXwd(hidden, xspice.env);
    assert.equal(
      settled.diff,
      0,
      `HIDDEN against xwd -root: ${describeDifferences(settled.frame, settled.root.rgba, settled.root.width, settled.root.height)}`,
    );

    await describedAtXPointer();
    const x = await xPointerPosition(xspice.env);
    assert.deepEqual(x, { x: 301, y: 203 }, 'X put its pointer where xdotool moved it');
    const pointer = described.pointer!;
    assert.ok(
      Math.abs(pointer.x - x.x) <= 1 && Math.abs(pointer.y - x.y) <= 1,
      `METADATA at ${pointer.x},${pointer.y} in the image, X at ${x.x},${x.y}`,
    );
    assert.deepEqual([pointer.x, pointer.y], [pointer.displayX, pointer.displayY], 'at 1:1 image and display coordinates agree');
    const shape = pointer.shape!;
    assert.equal(shape.rgba.length, shape.width * shape.height * 4);

    const root = await grabRoot(xspice.env);
    const onScreen = await grabWithPointer(xspice.env, xspice.displayName, WIDTH, HEIGHT);
    // x11grab draws X's own cursor image (XFixes) where xwd has none: there is a pointer to compare.
    assert.ok(largestDifference(root, onScreen, x.x, x.y, 48).value > 64, 'x11grab shows a pointer that xwd does not');
    // METADATA's picture is the bare root; its shape, drawn at its position, looks like X's cursor.
    assert.equal(largestDifference(described.image, root, ...wholeImage(root)).value, 0, 'no pointer in the METADATA picture');
    const drawn = compositePointer(root, { x: pointer.displayX, y: pointer.displayY, visible: true, shape });
    const shapeDifference = largestDifference(drawn, onScreen, x.x, x.y, 48);
    assert.ok(
      shapeDifference.value <= BLEND_TOLERANCE,
      `METADATA's shape drawn on xwd vs x11grab: ${shapeDifference.value} at ${shapeDifference.at}`,
    );

    // EMBEDDED: the whole frame as x11grab takes it, the pointer blended in by the server.
    const picture = (await frameNoOlderThanDescribed(embedded)).image;
    const difference = largestDifference(picture, onScreen, ...wholeImage(picture));
    assert.ok(difference.value <= BLEND_TOLERANCE, `EMBEDDED vs x11grab -draw_mouse 1: ${difference.value} at ${difference.at}`);
    assert.ok(largestDifference(picture, root, x.x, x.y, 48).value > 64, 'EMBEDDED has the pointer that xwd leaves out');
  });

  it('a pointer move alone: a frame for EMBEDDED (damaged where the pointer was and is) and METADATA (no damage), none for HIDDEN', async () => {
    await describedAtXPointer();
    const from = described.pointer!;
    // Bring EMBEDDED up to date, and leave a HIDDEN call waiting.
    await frameNoOlderThanDescribed(embedded);
    while (await nextFrame(hidden, 300));
    const hiddenCall = nextFrame(hidden, 3000);

    await run('xdotool', ['mousemove', '120', '330'], { env: xspice.env });
    const moves = await describedAtXPointer();
    const to = described.pointer!;
    assert.notDeepEqual([to.displayX, to.displayY], [from.displayX, from.displayY]);
    for (const frame of moves) assert.deepEqual(frame.damage, [], `METADATA frame ${frame.frameNumber}: no pixel changed`);
    assert.equal(to.shape, from.shape, 'the same shape, kept by the session');
    assert.equal(to.shapeChanged, false, 'and not sent again');

    const next = await frameNoOlderThanDescribed(embedded);
    assert.ok(
      covers(next.damage, pointerArea(from)),
      `damage ${JSON.stringify(next.damage)} covers where the pointer was (${JSON.stringify(pointerArea(from))})`,
    );
    assert.ok(covers(next.damage, pointerArea(to)), `and where it is (${JSON.stringify(pointerArea(to))})`);
    // Only there: the two areas as the server maps damage into the image (grown by a pixel).
    const target: RenderTarget = { width: WIDTH, height: HEIGHT, rotation: 0, format: 'bgra8', scaleMode: 'fit' };
    const grown = [mapDamage(pointerArea(from), WIDTH, HEIGHT, target), mapDamage(pointerArea(to), WIDTH, HEIGHT, target)];
    for (const rect of next.damage)
      assert.ok(
        grown.some((g) => covers([g], rect)),
        `${JSON.stringify(rect)} is inside ${JSON.stringify(grown)}`,
      );
    const root = await grabRoot(xspice.env);
    const onScreen = await grabWithPointer(xspice.env, xspice.displayName, WIDTH, HEIGHT);
    assert.equal(largestDifference(next.image, root, from.displayX, from.displayY, 32).value, 0, 'the old pointer is gone');
    const difference = largestDifference(next.image, onScreen, ...wholeImage(next.image));
    assert.ok(difference.value <= BLEND_TOLERANCE, `moved: EMBEDDED vs x11grab: ${difference.value} at ${difference.at}`);

    // Xspice left its frame buffer alone (an ARGB cursor is not in it): nothing for HIDDEN.
    assert.equal(await hiddenCall, undefined, 'a HIDDEN call is not answered for a pointer move');
  });

  it('a new cursor image reaches METADATA with its bytes, and EMBEDDED draws it', async () => {
    await describedAtXPointer();
    const arrow = described.pointer!.shape!;
    await run('xsetroot', ['-xcf', ADWAITA_HAND, '32'], { env: xspice.env });
    const frames = await describedAtXPointer(arrow.id);
    const hand = described.pointer!;
    assert.ok(hand.shape!.id !== arrow.id && !hand.shape!.rgba.equals(arrow.rgba), 'another image, another id');
    assert.ok(
      frames.some((f) => f.pointer?.shapeChanged && f.pointer.shape?.id === hand.shape!.id),
      'a frame brought its bytes',
    );
    const root = await grabRoot(xspice.env);
    const onScreen = await grabWithPointer(xspice.env, xspice.displayName, WIDTH, HEIGHT);
    const drawn = compositePointer(root, { x: hand.displayX, y: hand.displayY, visible: true, shape: hand.shape });
    const shapeDifference = largestDifference(drawn, onScreen, hand.displayX, hand.displayY, 48);
    assert.ok(
      shapeDifference.value <= BLEND_TOLERANCE,
      `the hand drawn on xwd vs x11grab: ${shapeDifference.value} at ${shapeDifference.at}`,
    );
    const picture = (await frameNoOlderThanDescribed(embedded)).image;
    const difference = largestDifference(picture, onScreen, ...wholeImage(picture));
    assert.ok(difference.value <= BLEND_TOLERANCE, `EMBEDDED hand vs x11grab: ${difference.value} at ${difference.at}`);
    await run('xsetroot', ['-xcf', ADWAITA_ARROW, '32'], { env: xspice.env });
    await describedAtXPointer(hand.shape!.id);
    assert.equal(described.pointer!.shape!.id, arrow.id, 'the arrow again, under its old id');
  });

  it('EMBEDDED at half size turned 90°: the full-size EMBEDDED frame, halved and turned', async () => {
    await describedAtXPointer();
    const pointer = described.pointer!;
    const full = (await frameNoOlderThanDescribed(embedded)).image;
    const turned = await stack.openSession('turned', HEIGHT / 2, WIDTH / 2, { rotation: 90, cursorMode: 'embedded' });
    const plain = await stack.openSession('turned-hidden', HEIGHT / 2, WIDTH / 2, { rotation: 90, cursorMode: 'hidden' });
    try {
      const image = (await frameNoOlderThanDescribed(turned)).image;
      const expected = await halvedAndRotatedBySharp(full, 90);
      assert.deepEqual([image.width, image.height], [expected.width, expected.height]);
      const difference = largestDifference(image, expected, ...wholeImage(image));
      assert.ok(difference.value <= HALVED_TOLERANCE, `turned EMBEDDED vs sharp's: ${difference.value} at ${difference.at}`);
      // And the pointer is where the quarter turn puts it: display (x, y) lands at
      // ((HEIGHT - 1 - y) / 2, x / 2), where the HIDDEN picture of the same size has none.
      const at = { x: Math.floor((HEIGHT - 1 - pointer.displayY + 0.5) / 2), y: Math.floor((pointer.displayX + 0.5) / 2) };
      const bare = (await frameNoOlderThanDescribed(plain)).image;
      assert.ok(largestDifference(image, bare, at.x, at.y, 12).value > 64, `the pointer near ${at.x},${at.y}`);
      assert.equal(
        largestDifference(image, bare, at.x, at.y, 40).value,
        largestDifference(image, bare, ...wholeImage(image)).value,
        'and nowhere else further off',
      );
    } finally {
      await turned.close();
      await plain.close();
    }
  });

  // Last: it takes the SPICE server over from the in-process stack (one client at a time).
  it('screencap serve --source spice://… as a process, and grab --cursor metadata prints the pointer X has', async () => {
    await describedAtXPointer();
    const shape = described.pointer!.shape!;
    await stack.stop();
    stackStopped = true;
    const serve = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `spice://127.0.0.1:${xspice.port}`]);
    try {
      const x = await xPointerPosition(xspice.env);
      const pointerLine = /^pointer visible at (\d+),(\d+) \(display (\d+),(\d+)\), shape (\d+) \((\d+)x(\d+), hot spot (\d+),(\d+)\)$/m;
      // The cursor channel links after the display: until its INIT is in, a grab may find the
      // display but no pointer yet.
      const grab = await waitFor(
        async () => {
          const result = await runCli(['grab', '--server', serve.address, '--cursor', 'metadata', '--out', join(dir, 'grab.png')]);
          return result.code === 0 && pointerLine.test(result.stdout) ? result : undefined;
        },
        30000,
        'grab --cursor metadata to print a visible pointer',
        200,
      );
      const [px, py, displayX, displayY, , width, height, hotX, hotY] = pointerLine.exec(grab.stdout)!.slice(1).map(Number);
      assert.ok(Math.abs(px - x.x) <= 1 && Math.abs(py - x.y) <= 1, `printed ${px},${py}, X at ${x.x},${x.y}`);
      assert.deepEqual([displayX, displayY], [px, py]);
      assert.deepEqual(
        [width, height, hotX, hotY],
        [shape.width, shape.height, shape.hotX, shape.hotY],
        'the shape the in-process server reported',
      );
      assert.match(grab.stdout, new RegExp(`: PNG ${WIDTH}x${HEIGHT}, frame \\d+`));
    } finally {
      await serve.stop();
    }
  });
});
