/**
 * Displays through the real gRPC API: a source without monitors has one display, the whole
 * desktop; a source with monitor heads (as a SPICE guest reports them) has one per head, and a
 * session configured for a head gets that head's region only, over every transport, and is not
 * woken by changes elsewhere on the desktop.
 */
import assert from 'node:assert/strict';
import { isFileMappingAvailable } from '../../src/codec/mapped-file';
import { CaptureClient, type SessionConfiguration } from '../../src/clients';
import { type Display, WHOLE_DESKTOP_DISPLAY_ID } from '../../src/core/display';
import type { Rect } from '../../src/core/rect';
import { CaptureServer } from '../../src/server';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { SyntheticDesktop, type StillImage } from '../../src/sources';
import { CursorMode, Rotation } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { Fixture, quietLogger, rejectsWith, settle, track } from '../support/fixture';
import { HeadsImageSource } from '../support/heads-source';
import { patternImage, rotateReference } from '../support/images';
import { pointerShape } from '../support/pointer-source';

const WIDTH = 64;
const HEIGHT = 48;

const LEFT: Display = { id: 1, name: 'left', x: 0, y: 0, width: 32, height: HEIGHT, primary: true };
const RIGHT: Display = { id: 2, name: 'right', x: 32, y: 0, width: 32, height: HEIGHT, primary: false };

/** `region` of `image`, rows packed. */
function cropOf(image: StillImage, region: Rect): Buffer {
  const rows: Buffer[] = [];
  for (let y = region.y; y < region.y + region.height; y++) {
    const start = (y * image.width + region.x) * 4;
    rows.push(image.pixels.subarray(start, start + region.width * 4));
  }
  return Buffer.concat(rows);
}

/** A copy of `image` with `rect` painted `rgb`. */
function painted(image: StillImage, rect: Rect, rgb: [number, number, number]): StillImage {
  const pixels = Buffer.from(image.pixels);
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) pixels.set([...rgb, 255], (y * image.width + x) * 4);
  }
  return { ...image, pixels };
}

describe('displays', () => {
  describe('a source without monitors', () => {
    let fixture: Fixture;
    beforeEach(async () => {
      fixture = await Fixture.start({ image: patternImage(WIDTH, HEIGHT) });
      fixture.clock.tick();
      await settle();
    });
    afterEach(() => fixture.stop());

    it('lists one display, the whole desktop', async () => {
      const info = await fixture.call(fixture.capture, fixture.capture.getDisplayInfo, {});
      assert.deepEqual(info.displays, [{ id: 0, name: 'desktop', width: WIDTH, height: HEIGHT, x: 0, y: 0, primary: true }]);
    });

    it('gives display 0 the same frames as the whole desktop', async () => {
      const whole = await fixture.configuredSession(1, { displayId: WHOLE_DESKTOP_DISPLAY_ID });
      const display = await fixture.configuredSession(1, { displayId: 0 });
      const wholeFrame = await fixture.getNextFrame(whole.sessionId);
      const displayFrame = await fixture.getNextFrame(display.sessionId);
      assert.equal(displayFrame.frameNumber, wholeFrame.frameNumber);
      assert.deepEqual(displayFrame.displaySize, { width: WIDTH, height: HEIGHT });
      assert.ok(Buffer.from(displayFrame.pixels).equals(Buffer.from(wholeFrame.pixels)), 'same pixels');
      assert.ok(Buffer.from(displayFrame.pixels).equals(patternImage(WIDTH, HEIGHT).pixels), 'the desktop');
    });

    it('refuses an unknown display id, naming the known ones', async () => {
      const sessionId = await fixture.openSession();
      const importToken = await fixture.register(sessionId);
      const error = await rejectsWith(fixture.configure(sessionId, importToken, { displayId: 5 }), 'INVALID_ARGS', 'display_id');
      assert.match(error.message, /no display 5; the displays are 0 /);
    });
  });

  describe('the synthetic desktop', () => {
    let server: CaptureServer;
    let client: CaptureClient;
    let clock: ManualVsyncClock;
    before(async () => {
      clock = new ManualVsyncClock();
      const desktop = new SyntheticDesktop({ width: 320, height: 240 });
      server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: clock, logger: quietLogger });
      client = new CaptureClient({ address: server.address });
    });
    after(async () => {
      client?.close();
      await server?.stop(500);
    });

    it('has one display, the whole desktop, and a session for it gets the desktop', async () => {
      assert.equal((await client.displayInfo()).pixelFormat, undefined, 'no byte order before the first picture');
      clock.tick();
      await settle();
      const info = await client.displayInfo();
      assert.deepEqual(info.displays, [{ id: 0, name: 'desktop', width: 320, height: 240, x: 0, y: 0, primary: true }]);
      assert.equal(info.pixelFormat, 'rgba8', "the built-in desktop's byte order");
      const session = await client.openSession();
      // Without the pointer, which the server draws into the image, so that it is the latched picture.
      await session.configure({ width: 320, height: 240, displayId: 0, transport: 'inline', cursorMode: 'hidden' });
      const frame = await session.nextFrame();
      const latest = server.scheduler.latest()!;
      assert.equal(frame.frameNumber, latest.number);
      assert.ok(frame.pixels.equals(latest.pixels), 'the latched desktop');
      await session.close();
    });
  });

  describe('a source with two heads', () => {
    let fixture: Fixture;
    let source: HeadsImageSource;
    let image: StillImage;
    beforeEach(async () => {
      image = patternImage(WIDTH, HEIGHT);
      source = new HeadsImageSource(image, [LEFT, RIGHT]);
      fixture = await Fixture.start({ source });
      fixture.clock.tick();
      await settle();
    });
    afterEach(() => fixture.stop());

    async function show(next: StillImage, damage: Rect): Promise<void> {
      image = next;
      source.setImage(next, [damage]);
      fixture.clock.tick();
      await settle();
    }

    it('lists the heads', async () => {
      const info = await fixture.call(fixture.capture, fixture.capture.getDisplayInfo, {});
      assert.deepEqual(
        info.displays.map((d) => ({ ...d })),
        [LEFT, RIGHT].map(({ id, name, width, height, x, y, primary }) => ({ id, name, width, height, x, y, primary })),
      );
      const session = await fixture.openSession();
      const error = await rejectsWith(
        fixture.configure(session, await fixture.register(session), { displayId: 0 }),
        'INVALID_ARGS',
        'display_id',
      );
      assert.match(error.message, /the displays are 1, 2 /);
    });

    it('gives a session that names no display the primary head, and one of 4294967295 the whole desktop', async () => {
      const primary = await fixture.configuredSession(1, { width: 32, height: HEIGHT });
      const whole = await fixture.configuredSession(1, { displayId: WHOLE_DESKTOP_DISPLAY_ID });
      const primaryFrame = await fixture.getNextFrame(primary.sessionId);
      assert.deepEqual(primaryFrame.displaySize, { width: LEFT.width, height: LEFT.height });
      assert.ok(Buffer.from(primaryFrame.pixels).equals(cropOf(image, LEFT)), 'the primary head, the left one');
      const wholeFrame = await fixture.getNextFrame(whole.sessionId);
      assert.deepEqual(wholeFrame.displaySize, { width: WIDTH, height: HEIGHT });
      assert.ok(Buffer.from(wholeFrame.pixels).equals(image.pixels), 'the whole desktop');
      // The session keeps the head it started with when another becomes primary.
      await fixture.release(primary.sessionId, primaryFrame.releaseToken);
      source.setDisplays([
        { ...LEFT, primary: false },
        { ...RIGHT, primary: true },
      ]);
      await show(painted(image, { x: 1, y: 1, width: 3, height: 3 }, [7, 7, 7]), { x: 1, y: 1, width: 3, height: 3 });
      const after = await fixture.getNextFrame(primary.sessionId);
      assert.ok(Buffer.from(after.pixels).equals(cropOf(image, LEFT)), 'still the left head');
      assert.equal(after.frameNumber, primaryFrame.frameNumber + 1, "the left head's next frame");
    });

    it("gives a head's session its region, damage in its coordinates, and no frame for changes elsewhere", async () => {
      const { sessionId } = await fixture.configuredSession(2, { width: 32, height: HEIGHT, displayId: RIGHT.id });
      const first = await fixture.getNextFrame(sessionId);
      assert.deepEqual(first.displaySize, { width: 32, height: HEIGHT });
      assert.ok(Buffer.from(first.pixels).equals(cropOf(image, RIGHT)), "the right head's region");

      const next = track(fixture.getNextFrame(sessionId));
      await show(painted(image, { x: 4, y: 4, width: 10, height: 10 }, [255, 255, 0]), { x: 4, y: 4, width: 10, height: 10 });
      assert.equal(next.settled, false, 'a change on the left head does not wake a client of the right one');

      const changed = { x: 40, y: 10, width: 8, height: 6 };
      await show(painted(image, changed, [0, 255, 255]), changed);
      const second = await next.promise;
      assert.ok(Buffer.from(second.pixels).equals(cropOf(image, RIGHT)), "the right head's new region");
      // The change, moved to the head's origin, grown by the renderer's one-pixel margin.
      assert.deepEqual(second.damage, [{ x: 7, y: 9, width: 10, height: 8 }]);
    });

    it("numbers a head's frames by its own changes; a head that moves is a frame of its own", async () => {
      const whole = (await fixture.configuredSession(2, { displayId: WHOLE_DESKTOP_DISPLAY_ID })).sessionId;
      const left = (await fixture.configuredSession(2, { width: 32, height: HEIGHT, displayId: LEFT.id })).sessionId;
      const right = (await fixture.configuredSession(2, { width: 32, height: HEIGHT, displayId: RIGHT.id })).sessionId;
      const next = async (sessionId: string) => {
        const frame = await fixture.getNextFrame(sessionId);
        await fixture.release(sessionId, frame.releaseToken);
        return frame;
      };
      // The first frame is every display's first.
      assert.deepEqual(
        (await Promise.all([whole, left, right].map(next))).map((f) => f.frameNumber),
        [1, 1, 1],
      );

      for (let i = 0; i < 3; i++)
        await show(painted(image, { x: 2 + i, y: 2, width: 4, height: 4 }, [i, 0, 0]), { x: 2 + i, y: 2, width: 4, height: 4 });
      await show(painted(image, { x: 40, y: 2, width: 4, height: 4 }, [0, 9, 0]), { x: 40, y: 2, width: 4, height: 4 });
      // Four frames of the desktop: three changed the left head, one the right.
      assert.deepEqual(
        (await Promise.all([whole, left, right].map(next))).map((f) => f.frameNumber),
        [5, 4, 2],
      );

      const leftWaits = track(fixture.getNextFrame(left));
      const moved: Display = { ...RIGHT, x: 24 };
      source.setDisplays([LEFT, moved]);
      fixture.clock.tick();
      await settle();
      // No pixel changed, but the right head's region did: its clients get it at once.
      const afterMove = await next(right);
      assert.equal(afterMove.frameNumber, 3);
      assert.ok(Buffer.from(afterMove.pixels).equals(cropOf(image, moved)), 'the moved region');
      assert.equal(leftWaits.settled, false, "the left head's clients are not woken");
      assert.equal((await next(whole)).frameNumber, 6);
    });

    it('follows a head that moves, vanishes and comes back', async () => {
      const { sessionId } = await fixture.configuredSession(2, { width: 32, height: HEIGHT, displayId: RIGHT.id });
      const first = await fixture.getNextFrame(sessionId);
      await fixture.release(sessionId, first.releaseToken);

      const moved: Display = { ...RIGHT, x: 16 };
      source.setDisplays([LEFT, moved]);
      await show(painted(image, { x: 50, y: 0, width: 2, height: 2 }, [9, 9, 9]), { x: 50, y: 0, width: 2, height: 2 });
      const afterMove = await fixture.getNextFrame(sessionId);
      assert.ok(Buffer.from(afterMove.pixels).equals(cropOf(image, moved)), 'the moved region');
      assert.deepEqual(afterMove.damage, [{ x: 0, y: 0, width: 32, height: HEIGHT }], 'all of it: another region');
      await fixture.release(sessionId, afterMove.releaseToken);

      source.setDisplays([LEFT]);
      const whileGone = track(fixture.getNextFrame(sessionId));
      await show(painted(image, { x: 20, y: 20, width: 4, height: 4 }, [1, 2, 3]), { x: 20, y: 20, width: 4, height: 4 });
      assert.equal(whileGone.settled, false, 'no frame while the head is gone');
      const info = await fixture.call(fixture.capture, fixture.capture.getDisplayInfo, {});
      assert.deepEqual(
        info.displays.map((d) => d.id),
        [LEFT.id],
      );

      source.setDisplays([LEFT, moved]);
      await show(painted(image, { x: 20, y: 20, width: 4, height: 4 }, [4, 5, 6]), { x: 20, y: 20, width: 4, height: 4 });
      const back = await whileGone.promise;
      assert.ok(Buffer.from(back.pixels).equals(cropOf(image, moved)), 'the region again');
    });

    it('gives a head as wide as the desktop its rows, rotated like the desktop', async () => {
      const bottom: Display = { id: 7, name: 'bottom', x: 0, y: 16, width: WIDTH, height: 32, primary: false };
      source.setDisplays([{ ...LEFT, width: WIDTH, height: 16 }, bottom]);
      // Displays change with the next frame.
      fixture.clock.tick();
      await settle();
      const { sessionId } = await fixture.configuredSession(1, {
        width: 32,
        height: WIDTH,
        displayId: bottom.id,
        rotation: Rotation.ROTATION_CW_90_DEGREES,
      });
      const frame = await fixture.getNextFrame(sessionId);
      assert.deepEqual(frame.displaySize, { width: WIDTH, height: 32 });
      const expected = rotateReference({ width: WIDTH, height: 32, format: 'rgba8', pixels: cropOf(image, bottom) }, 90);
      assert.ok(Buffer.from(frame.pixels).equals(expected), "the bottom head's rows, rotated");
    });

    it("draws the pointer into a head's picture as into the desktop's, and a pointer on another head wakes nobody", async () => {
      const shape = await pointerShape('arrow', 1);
      // Over the boundary between the heads: half of it on each.
      source.setPointer({ x: 28, y: 20, visible: true, shape });
      fixture.clock.tick();
      await settle();
      const whole = await fixture.configuredSession(1, { displayId: WHOLE_DESKTOP_DISPLAY_ID });
      const head = await fixture.configuredSession(2, { width: 32, height: HEIGHT, displayId: RIGHT.id });
      const metadata = await fixture.configuredSession(2, {
        width: 32,
        height: HEIGHT,
        displayId: RIGHT.id,
        cursorMode: CursorMode.CURSOR_MODE_METADATA,
      });
      const wholeFrame = await fixture.getNextFrame(whole.sessionId);
      const headFrame = await fixture.getNextFrame(head.sessionId);
      const desktop: StillImage = { width: WIDTH, height: HEIGHT, format: 'rgba8', pixels: Buffer.from(wholeFrame.pixels) };
      assert.ok(Buffer.from(headFrame.pixels).equals(cropOf(desktop, RIGHT)), "the desktop's picture with the pointer, cut at the head");
      assert.ok(!Buffer.from(headFrame.pixels).equals(cropOf(image, RIGHT)), 'the pointer shows on the head');
      const metadataFrame = await fixture.getNextFrame(metadata.sessionId);
      assert.deepEqual([metadataFrame.pointer?.displayX, metadataFrame.pointer?.displayY], [28 - RIGHT.x, 20], "in the head's coordinates");

      const next = track(fixture.getNextFrame(head.sessionId));
      source.setPointer({ x: 10, y: 30, visible: true, shape });
      fixture.clock.tick();
      await settle();
      source.setPointer({ x: 12, y: 30, visible: true, shape });
      fixture.clock.tick();
      await settle();
      // The first move took the pointer off the right head: that frame changed it.
      const off = await next.promise;
      assert.ok(Buffer.from(off.pixels).equals(cropOf(image, RIGHT)), 'the head without the pointer');
      const after = track(fixture.getNextFrame(head.sessionId));
      source.setPointer({ x: 14, y: 30, visible: true, shape });
      fixture.clock.tick();
      await settle();
      assert.equal(after.settled, false, 'a pointer moving on the left head does not wake a client of the right one');
    });

    for (const transport of ['shared-memory', 'inline'] as const) {
      it(`writes only the head's changes, byte for byte (${transport}${transport === 'inline' ? ' damage rects' : ''})`, async function () {
        if (!isFileMappingAvailable()) this.skip();
        const client = new CaptureClient({ address: fixture.server.address });
        try {
          const session = await client.openSession();
          const configuration: SessionConfiguration = {
            width: 32,
            height: HEIGHT,
            displayId: RIGHT.id,
            transport,
            inlineEncoding: 'damage-rects',
            bufferCount: 2,
          };
          await session.configure(configuration);
          let frame = await session.nextFrame();
          assert.ok(frame.pixels.equals(cropOf(image, RIGHT)), 'first frame');
          await frame.release();
          const changes: Rect[] = [
            { x: 33, y: 1, width: 5, height: 5 },
            { x: 60, y: 40, width: 4, height: 8 },
            { x: 28, y: 20, width: 8, height: 8 },
            { x: 40, y: 30, width: 20, height: 3 },
          ];
          for (const [i, change] of changes.entries()) {
            await show(painted(image, change, [i * 60, 255 - i * 60, 128]), change);
            frame = await session.nextFrame();
            assert.ok(frame.pixels.equals(cropOf(image, RIGHT)), `frame after change ${i}`);
            await frame.release();
          }
          await session.close();
        } finally {
          client.close();
        }
      });
    }
  });
});
