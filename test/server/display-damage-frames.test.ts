/**
 * A head's damage-only frames against full renders of its region, byte for byte, on the animated
 * desktop divided into two heads (typing, a moving window, the clock and the pointer cross both):
 * whatever a head's client gets, over SHARED_MEMORY or INLINE damage rects, at the head's size,
 * scaled or rotated, must equal a full render of that frame's region, and with the pointer left
 * out at the head's size, the latched pixels of the region themselves.
 */
import assert from 'node:assert/strict';
import { isFileMappingAvailable } from '../../src/codec/mapped-file';
import { CaptureClient, type SessionConfiguration } from '../../src/clients';
import type { Display } from '../../src/core/display';
import { FrameCropper } from '../../src/render/frame-crop';
import { FrameRenderer } from '../../src/render/frame-renderer';
import type { Frame } from '../../src/scheduler/frame';
import { CaptureServer } from '../../src/server';
import { SyntheticDesktop } from '../../src/sources';
import { quietLogger } from '../support/fixture';
import { keptFrame } from '../support/frames';

const WIDTH = 320;
const HEIGHT = 240;
const FRAMES = 90;
const KEPT_FRAMES = 300;
const LEFT: Display = { id: 0, name: 'left', x: 0, y: 0, width: 160, height: HEIGHT, primary: true };
const RIGHT: Display = { id: 1, name: 'right', x: 160, y: 0, width: 160, height: HEIGHT, primary: false };

/** The animated desktop shown on two monitors side by side. */
class TwoHeadDesktop extends SyntheticDesktop {
  displays(): readonly Display[] {
    return [LEFT, RIGHT];
  }
}

describe("a head's damage-only frames equal full renders of its region", function () {
  this.timeout(240_000);
  let server: CaptureServer;
  let client: CaptureClient;
  /** Latched frames by display and that display's frame number (the numbers its clients get). */
  const kept = new Map<string, Frame>();
  const reference = new FrameRenderer();
  const cropper = new FrameCropper();
  /** Per client label, how many of its frames carried less than half the image's bytes. */
  const smallReplies = new Map<string, number>();

  before(async function () {
    if (!isFileMappingAvailable()) this.skip();
    const desktop = new TwoHeadDesktop({ width: WIDTH, height: HEIGHT, typingRate: 40, windowSpeed: 200 });
    server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: 60, logger: quietLogger });
    server.scheduler.onFrame((frame) => {
      const copy = keptFrame(frame);
      // A frame that left a display as it was has that display's previous number: the first
      // frame of a number is the one its clients were given.
      for (const display of frame.displays) {
        const key = `${display.id}:${display.frameNumber}`;
        if (!kept.has(key)) kept.set(key, copy);
      }
      while (kept.size > KEPT_FRAMES) kept.delete(kept.keys().next().value!);
    });
    client = new CaptureClient({ address: server.address });
  });
  after(async () => {
    client?.close();
    await server?.stop(500);
  });

  /** Takes frames of `head` in order and checks each; returns how many were checked. */
  async function orderly(label: string, head: Display, configuration: SessionConfiguration): Promise<number> {
    const session = await client.openSession({ clientName: label });
    await session.configure({ ...configuration, displayId: head.id });
    const target = {
      width: configuration.width,
      height: configuration.height,
      rotation: configuration.rotation ?? 0,
      format: configuration.pixelFormat ?? 'rgba8',
      scaleMode: configuration.scaleMode ?? 'fit',
      cursor: configuration.cursorMode ?? 'embedded',
    } as const;
    let checked = 0;
    try {
      for await (const frame of session.frames()) {
        const latched = kept.get(`${head.id}:${frame.frameNumber}`);
        if (!latched) continue; // before the test watched, or forgotten already
        assert.deepEqual([frame.displayWidth, frame.displayHeight], [head.width, head.height], label);
        const region = cropper.crop(latched, head);
        const expected = Buffer.from(await reference.render(region, target));
        assert.ok(frame.pixels.equals(expected), `${label}: frame ${frame.frameNumber} differs from a full render of its region`);
        if (target.cursor === 'hidden' && target.rotation === 0 && target.width === head.width && target.format === latched.format) {
          assert.ok(frame.pixels.equals(region.pixels), `${label}: frame ${frame.frameNumber} is not the latched region`);
        }
        const imageBytes = target.width * target.height * 4;
        if ((frame.transferBytes ?? imageBytes) < imageBytes / 2) smallReplies.set(label, (smallReplies.get(label) ?? 0) + 1);
        if (++checked >= FRAMES) break;
      }
    } finally {
      await session.close();
    }
    return checked;
  }

  it('over both transports, at the head size, scaled and rotated, with and without the pointer', async () => {
    const shm = { transport: 'shared-memory' as const };
    const rects = { transport: 'inline' as const, inlineEncoding: 'damage-rects' as const };
    const results = await Promise.all([
      orderly('right, head size, no pointer', RIGHT, { width: 160, height: HEIGHT, cursorMode: 'hidden', ...shm }),
      orderly('left, head size', LEFT, { width: 160, height: HEIGHT, ...shm }),
      orderly('right, rotated 90, scaled', RIGHT, { width: 200, height: 150, rotation: 90, ...shm }),
      orderly('left, INLINE rects, head size', LEFT, { width: 160, height: HEIGHT, ...rects }),
      orderly('right, INLINE rects, rotated 270, stretched', RIGHT, {
        width: 120,
        height: 100,
        rotation: 270,
        scaleMode: 'stretch',
        ...rects,
      }),
    ]);
    for (const checked of results) assert.equal(checked, FRAMES);
    // The damage-rect clients must have been sent parts of their image, or the test proves
    // nothing about the damage seen through a head.
    for (const label of ['left, INLINE rects, head size', 'right, INLINE rects, rotated 270, stretched']) {
      assert.ok((smallReplies.get(label) ?? 0) > 0, `${label}: no reply carried less than half the image`);
    }
  });
});
