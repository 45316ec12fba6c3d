/**
 * Damage-only frames against full renders, byte for byte. The server latches the animated
 * desktop (a window moving, text typed, the clock, a moving pointer that changes shape) into
 * pooled buffers that already hold an earlier picture, copying only what changed; and it writes
 * into each SHARED_MEMORY buffer only what changed since the frame that buffer holds, and sends an
 * INLINE damage-rects client only the rects that changed since the frame its copy of the buffer
 * holds, which the client library applies to its own copies. Every frame
 * clients get here, over both transports, at the display's size, scaled, letterboxed, enlarged
 * and rotated, must equal a full render of that frame by a renderer of its own; so must every
 * latched frame equal the desktop's surface, and a frame a client still holds must not change.
 */
import assert from 'node:assert/strict';
import { isFileMappingAvailable } from '../../src/codec/mapped-file';
import { CaptureClient, type CapturedFrame, type CaptureSession, type SessionConfiguration } from '../../src/clients';
import { FrameRenderer } from '../../src/render/frame-renderer';
import type { RenderTarget } from '../../src/render/render-target';
import type { Frame } from '../../src/scheduler/frame';
import { CaptureServer } from '../../src/server';
import { ImageSource, SyntheticDesktop } from '../../src/sources';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { patternImage, pixelAt } from '../support/images';
import { quietLogger, settle } from '../support/fixture';
import { keptFrame, seeded } from '../support/frames';

const WIDTH = 320;
const HEIGHT = 240;
/** Frames each client compares. */
const FRAMES = 240;
/** Latched frames kept to compare with. */
const KEPT_FRAMES = 300;

function targetOf(configuration: SessionConfiguration): RenderTarget {
  return {
    width: configuration.width,
    height: configuration.height,
    rotation: configuration.rotation ?? 0,
    format: configuration.pixelFormat ?? 'rgba8',
    scaleMode: configuration.scaleMode ?? 'fit',
    cursor: configuration.cursorMode ?? 'embedded',
  };
}

/** Where two images first differ, for a failure message. */
function firstDifference(actual: Buffer, expected: Buffer, width: number): string {
  if (actual.length !== expected.length) return `${actual.length} bytes instead of ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      const pixel = Math.floor(i / 4);
      return `first at (${pixel % width}, ${Math.floor(pixel / width)}): ${[...actual.subarray(pixel * 4, pixel * 4 + 4)]} instead of ${[...expected.subarray(pixel * 4, pixel * 4 + 4)]}`;
    }
  }
  return 'none';
}

describe('damage-only frames equal full renders', function () {
  this.timeout(240_000);
  let desktop: SyntheticDesktop;
  let server: CaptureServer;
  let client: CaptureClient;
  const kept = new Map<number, Frame>();
  const latchMismatches: number[] = [];
  let firstKept = 0;
  /** Frames up to this number are no longer kept (memory): a client given one skips it. */
  let forgottenUpTo = 0;
  const reference = new FrameRenderer();
  /** Per client label, how many of its frames carried less than half the image's bytes. */
  const smallReplies = new Map<string, number>();

  before(async function () {
    if (!isFileMappingAvailable()) this.skip(); // SHARED_MEMORY maps files through the native addon
    // Fast typing and a fast window, so that most frames change something and some change much.
    desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT, typingRate: 40, windowSpeed: 200 });
    server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: 60, logger: quietLogger });
    server.scheduler.onFrame((frame) => {
      // Called right after the latch, before the desktop draws again.
      if (Buffer.compare(frame.pixels, desktop.surface()!.pixels) !== 0) latchMismatches.push(frame.number);
      kept.set(frame.number, keptFrame(frame));
      firstKept ||= frame.number;
      // A client is given the newest frame, so it never needs one many latches old; 300 frames
      // (5 s at 60 Hz) is far beyond any delivery's delay, and 90 MB at most at this size.
      while (kept.size > KEPT_FRAMES) {
        const oldest = kept.keys().next().value!;
        kept.delete(oldest);
        forgottenUpTo = oldest;
      }
    });
    client = new CaptureClient({ address: server.address });
  });
  after(async () => {
    client?.close();
    await server?.stop(500);
  });

  /**
   * Asserts `frame` is the full render of its frame for `configuration` and returns that render;
   * undefined when that frame came before the test watched or is no longer kept.
   */
  async function check(label: string, frame: CapturedFrame, configuration: SessionConfiguration): Promise<Buffer | undefined> {
    const latched = kept.get(frame.frameNumber);
    if (!latched) {
      const unwatched = frame.frameNumber < firstKept || firstKept === 0 || frame.frameNumber <= forgottenUpTo;
      assert.ok(unwatched, `${label}: frame ${frame.frameNumber} was never latched`);
      return undefined;
    }
    const expected = Buffer.from(await reference.render(latched, targetOf(configuration)));
    if (Buffer.compare(frame.pixels, expected) !== 0) {
      assert.fail(
        `${label}: frame ${frame.frameNumber} differs from a full render, ${firstDifference(frame.pixels, expected, configuration.width)}`,
      );
    }
    return expected;
  }

  /** Takes frames in order, releasing each when the next is asked for. */
  async function orderly(label: string, configuration: SessionConfiguration): Promise<number> {
    const session = await client.openSession({ clientName: label });
    await session.configure(configuration);
    let checked = 0;
    try {
      const imageBytes = configuration.width * configuration.height * 4;
      for await (const frame of session.frames()) {
        if (await check(label, frame, configuration)) checked++;
        if ((frame.transferBytes ?? imageBytes) < imageBytes / 2) smallReplies.set(label, (smallReplies.get(label) ?? 0) + 1);
        if (checked >= FRAMES) break;
      }
    } finally {
      await session.close();
    }
    return checked;
  }

  /**
   * Holds up to two of three buffers, releases them in a shuffled order, sleeps now and then so
   * that frames go by unseen, and configures again every 60 frames (dropping what it holds).
   */
  async function unruly(label: string, configurations: readonly SessionConfiguration[], seed: number): Promise<number> {
    const random = seeded(seed);
    const session: CaptureSession = await client.openSession({ clientName: label });
    let current = 0;
    await session.configure(configurations[current]!);
    let held: { frame: CapturedFrame; expected: Buffer }[] = [];
    let checked = 0;
    try {
      while (checked < FRAMES) {
        const frame = await session.nextFrame();
        const expected = await check(label, frame, configurations[current]!);
        if (expected) checked++;
        held.push({ frame, expected: expected ?? Buffer.from(frame.pixels) });
        while (held.length >= 3 || (held.length > 0 && random() < 0.4)) {
          const [{ frame: releasing, expected: was }] = held.splice(Math.floor(random() * held.length), 1);
          assert.equal(Buffer.compare(releasing!.pixels, was!), 0, `${label}: frame ${releasing!.frameNumber} changed while held`);
          await releasing!.release();
        }
        if (random() < 0.15) await settle(20 + random() * 60);
        if (checked > 0 && checked % 60 === 0) {
          current = (current + 1) % configurations.length;
          await session.configure({ ...configurations[current]!, bufferCount: 3 });
          held = []; // their tokens belong to the earlier configuration
        }
      }
    } finally {
      await session.close();
    }
    return checked;
  }

  it("over both transports, at the display's size, scaled, letterboxed, enlarged and rotated; clients out of order and re-configuring", async () => {
    const shm = { transport: 'shared-memory' as const };
    const rects = { transport: 'inline' as const, inlineEncoding: 'damage-rects' as const };
    const results = await Promise.all([
      orderly('same size', { width: WIDTH, height: HEIGHT, ...shm }),
      orderly('same size, BGRA, no pointer', { width: WIDTH, height: HEIGHT, pixelFormat: 'bgra8', cursorMode: 'hidden', ...shm }),
      orderly('halved, letterboxed', { width: 200, height: 200, ...shm }),
      orderly('rotated 90, stretched', { width: 130, height: 170, rotation: 90, scaleMode: 'stretch', ...shm }),
      orderly('enlarged, rotated 180, pointer as metadata', { width: 500, height: 380, rotation: 180, cursorMode: 'metadata', ...shm }),
      orderly('INLINE, same size', { width: WIDTH, height: HEIGHT, transport: 'inline' }),
      orderly('INLINE, rotated 270, scaled', { width: 150, height: 200, rotation: 270, transport: 'inline' }),
      orderly('INLINE rects, same size', { width: WIDTH, height: HEIGHT, ...rects }),
      orderly('INLINE rects, uncompressed, halved, letterboxed', { width: 200, height: 200, ...rects, inlineCompression: 'none' }),
      orderly('INLINE rects, rotated 90, stretched, BGRA', {
        width: 130,
        height: 170,
        rotation: 90,
        scaleMode: 'stretch',
        pixelFormat: 'bgra8',
        ...rects,
        inlineCompression: 'deflate',
      }),
      orderly('INLINE rects, enlarged, rotated 180, pointer as metadata', {
        width: 500,
        height: 380,
        rotation: 180,
        cursorMode: 'metadata',
        ...rects,
      }),
      unruly(
        'unruly',
        [
          { width: WIDTH, height: HEIGHT, bufferCount: 3, ...shm },
          { width: 240, height: 180, rotation: 90, bufferCount: 3, ...shm },
          { width: WIDTH, height: HEIGHT, pixelFormat: 'bgra8', bufferCount: 3, ...shm },
          { width: 100, height: 75, scaleMode: 'stretch', bufferCount: 3, ...shm },
        ],
        12,
      ),
      unruly(
        'unruly INLINE rects',
        [
          { width: WIDTH, height: HEIGHT, bufferCount: 3, ...rects },
          { width: 240, height: 180, rotation: 270, bufferCount: 3, ...rects, inlineCompression: 'none' },
          { width: WIDTH, height: HEIGHT, pixelFormat: 'bgra8', cursorMode: 'hidden', bufferCount: 3, ...rects },
          { width: 100, height: 75, scaleMode: 'stretch', bufferCount: 3, ...rects },
        ],
        5,
      ),
    ]);
    for (const checked of results) assert.equal(checked, FRAMES);
    // Most frames change a little (typing, the clock, the pointer): most damage-rect replies must
    // have carried rects, not the whole image, or the test above proves nothing about them.
    for (const label of [
      'INLINE rects, same size',
      'INLINE rects, uncompressed, halved, letterboxed',
      'INLINE rects, rotated 90, stretched, BGRA',
    ]) {
      assert.ok(
        (smallReplies.get(label) ?? 0) > FRAMES / 2,
        `${label}: ${smallReplies.get(label) ?? 0} of ${FRAMES} replies were under half the image`,
      );
    }
    assert.equal(smallReplies.get('INLINE, same size') ?? 0, 0, 'full INLINE replies carry the whole image');
    assert.deepEqual(latchMismatches, [], 'every latched frame equals the desktop at its latch');
  });
});

describe('damage-only writes and latches', () => {
  before(function () {
    if (!isFileMappingAvailable()) this.skip(); // SHARED_MEMORY maps files through the native addon
  });
  it('write only what changed since the frame a buffer holds, and latch only what the source damaged', async () => {
    const clock = new ManualVsyncClock();
    const image = patternImage(64, 48);
    const source = ImageSource.fromPixels(image);
    const server = await CaptureServer.start({ source, listen: '127.0.0.1:0', vsync: clock, logger: quietLogger });
    const client = new CaptureClient({ address: server.address });
    try {
      clock.tick();
      const session = await client.openSession();
      await session.configure({ width: 64, height: 48, bufferCount: 1, cursorMode: 'hidden', transport: 'shared-memory' });
      const first = await session.nextFrame();
      assert.equal(Buffer.compare(first.pixels, image.pixels), 0);
      // A mark the server does not know of, outside the damage to come: a buffer rewritten only
      // where the picture changed keeps it.
      const view = first.pixels;
      await first.release();
      view.set([1, 2, 3, 4], (40 * 64 + 60) * 4);
      image.pixels.set([200, 100, 50, 255], (10 * 64 + 10) * 4);
      source.setImage(image, [{ x: 8, y: 8, width: 4, height: 4 }]);
      clock.tick();
      const second = await session.nextFrame();
      assert.equal(second.frameNumber, 2);
      assert.deepEqual(pixelAt(second.pixels, 64, 10, 10), [200, 100, 50, 255], 'the damaged pixel is new');
      assert.deepEqual(pixelAt(second.pixels, 64, 60, 40), [1, 2, 3, 4], 'the buffer was written only where damaged');
      await second.release();
      // The source draws outside its reported damage too: a latch into the pooled buffer that
      // holds frame 1 copies only the damage since then, and does not see that change.
      image.pixels.set([9, 9, 9, 255], 0);
      image.pixels.set([7, 7, 7, 255], (20 * 64 + 20) * 4);
      source.setImage(image, [{ x: 18, y: 18, width: 4, height: 4 }]);
      clock.tick();
      const third = await session.nextFrame();
      assert.equal(third.frameNumber, 3);
      assert.deepEqual(pixelAt(third.pixels, 64, 20, 20), [7, 7, 7, 255]);
      assert.deepEqual(pixelAt(third.pixels, 64, 10, 10), [200, 100, 50, 255], "frame 2's change is in the latch too");
      assert.deepEqual(pixelAt(third.pixels, 64, 0, 0), [0, 0, 0, 255], 'the latch copied only the damage');
      assert.deepEqual(pixelAt(third.pixels, 64, 60, 40), [1, 2, 3, 4]);
      await third.release();
      await session.close();
    } finally {
      client.close();
      await server.stop(500);
    }
  });
});
