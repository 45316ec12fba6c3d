/**
 * INLINE damage rects on the wire and through the client library, on a still 1080p display: a
 * small change costs its own bytes, not the image's; the server sends a full frame on a
 * buffer's first use and rects against what the client's copy of that buffer holds afterwards,
 * however many frames went by; and Configure refuses the option where it does not apply.
 * (Byte-for-byte equality over hundreds of animated frames is in damage-only-frames.test.ts.)
 */
import assert from 'node:assert/strict';
import zlib = require('node:zlib');
import { isFileMappingAvailable } from '../../src/codec/mapped-file';
import { CaptureClient } from '../../src/clients';
import { SharedMemoryBuffers } from '../../src/clients/shared-memory-buffers';
import { BufferTransport } from '../../src/gen/screencapture/v1/allocator.pb';
import { InlineCompression, InlineEncoding, PixelFormat, Rotation, type FrameInfo } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { CaptureServer } from '../../src/server';
import { SyntheticDesktop, type StillImage } from '../../src/sources';
import { Fixture, quietLogger, rejectsWith, settle } from '../support/fixture';
import { seeded } from '../support/frames';
import { patternImage, rotateReference } from '../support/images';

const WIDTH = 1920;
const HEIGHT = 1080;
const IMAGE_BYTES = WIDTH * HEIGHT * 4;

/** Paints noise (which deflate cannot shrink) into `rect` of `image`. */
function paintNoise(image: StillImage, rect: { x: number; y: number; width: number; height: number }, seed: number): void {
  const random = seeded(seed);
  const row = Buffer.alloc(rect.width * 4);
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let i = 0; i < row.length; i++) row[i] = i % 4 === 3 ? 255 : Math.floor(random() * 256);
    row.copy(image.pixels, (y * image.width + rect.x) * 4);
  }
}

describe('INLINE damage rects', function () {
  this.timeout(60_000);
  let fixture: Fixture;
  let image: StillImage;

  beforeEach(async () => {
    image = patternImage(WIDTH, HEIGHT);
    fixture = await Fixture.start({ image });
    fixture.clock.tick();
    await settle();
  });
  afterEach(async () => {
    await fixture?.stop();
  });

  /** Shows `image` again with `rect` painted anew and reported as its only damage; one frame. */
  async function change(rect: { x: number; y: number; width: number; height: number }, seed: number): Promise<void> {
    paintNoise(image, rect, seed);
    fixture.source.setImage(image, [rect]);
    fixture.clock.tick();
    await settle();
  }

  async function rawSession(
    bufferCount: number,
    compression: InlineCompression,
    rotation = Rotation.ROTATION_CW_0_DEGREES,
  ): Promise<string> {
    const sessionId = await fixture.openSession();
    const importToken = await fixture.register(sessionId, bufferCount);
    const quarter = rotation === Rotation.ROTATION_CW_90_DEGREES;
    await fixture.call(fixture.capture, fixture.capture.configure, {
      sessionId,
      importToken,
      imageSize: { width: quarter ? HEIGHT : WIDTH, height: quarter ? WIDTH : HEIGHT },
      rotation,
      pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
      scaleMode: 0,
      inlineEncoding: InlineEncoding.INLINE_ENCODING_DAMAGE_RECTS,
      inlineCompression: compression,
    });
    return sessionId;
  }

  function rectsOf(info: FrameInfo): { x: number; y: number; width: number; height: number }[] {
    assert.ok(info.rectUpdate, 'a damage-rects reply carries a rect update');
    assert.equal(info.pixels.length, 0, 'and no full pixels');
    return info.rectUpdate.rects;
  }

  it('sends a full frame first, then only the changed rect, exactly, uncompressed, deflated and in Brotli', async () => {
    const plain = await rawSession(1, InlineCompression.INLINE_COMPRESSION_NONE);
    const deflated = await rawSession(1, InlineCompression.INLINE_COMPRESSION_DEFLATE);
    const brotli = await rawSession(1, InlineCompression.INLINE_COMPRESSION_BROTLI);
    for (const sessionId of [plain, deflated, brotli]) {
      const first = await fixture.getNextFrame(sessionId);
      assert.deepEqual(rectsOf(first), [{ x: 0, y: 0, width: WIDTH, height: HEIGHT }]);
      assert.equal(first.rectUpdate!.fullFrame, true);
      assert.equal(first.rectUpdate!.uncompressedSize, IMAGE_BYTES);
      await fixture.release(sessionId, first.releaseToken);
    }
    const rect = { x: 300, y: 400, width: 200, height: 20 };
    await change(rect, 1);
    const rawBytes = rect.width * rect.height * 4;
    const expected = Buffer.alloc(rawBytes);
    for (let row = 0; row < rect.height; row++) {
      image.pixels.copy(
        expected,
        row * rect.width * 4,
        ((rect.y + row) * WIDTH + rect.x) * 4,
        ((rect.y + row) * WIDTH + rect.x + rect.width) * 4,
      );
    }

    const second = await fixture.getNextFrame(plain);
    assert.deepEqual(rectsOf(second), [rect], 'unscaled, the rect is the damage itself');
    assert.equal(second.rectUpdate!.fullFrame, false);
    assert.equal(second.rectUpdate!.compression, InlineCompression.INLINE_COMPRESSION_NONE);
    assert.equal(Buffer.compare(Buffer.from(second.rectUpdate!.data), expected), 0, "the rect's rows, packed");

    const third = await fixture.getNextFrame(deflated);
    assert.deepEqual(rectsOf(third), [rect]);
    assert.equal(third.rectUpdate!.compression, InlineCompression.INLINE_COMPRESSION_DEFLATE);
    assert.equal(third.rectUpdate!.uncompressedSize, rawBytes);
    assert.equal(Buffer.compare(zlib.inflateSync(third.rectUpdate!.data), expected), 0, "a zlib stream of the rect's rows");
    // Random opaque colours shrink only by their alpha bytes: fewer bytes than the rect's own
    // (a 500th of the image), and never more (see the fallback to NONE).
    assert.ok(third.rectUpdate!.data.length < rawBytes, `${third.rectUpdate!.data.length} bytes for ${rawBytes} of noise`);

    const fourth = await fixture.getNextFrame(brotli);
    assert.deepEqual(rectsOf(fourth), [rect]);
    assert.equal(fourth.rectUpdate!.compression, InlineCompression.INLINE_COMPRESSION_BROTLI);
    assert.equal(Buffer.compare(zlib.brotliDecompressSync(fourth.rectUpdate!.data), expected), 0, "a Brotli stream of the rect's rows");
    assert.ok(fourth.rectUpdate!.data.length < rawBytes, `${fourth.rectUpdate!.data.length} bytes for ${rawBytes} of noise`);
  });

  it('rebuilds every frame through the client library, rotated too, whatever buffer and frames missed', async () => {
    const client = new CaptureClient({ address: fixture.server.address });
    try {
      const straight = await client.openSession();
      await straight.configure({ width: WIDTH, height: HEIGHT, bufferCount: 2, transport: 'inline', inlineEncoding: 'damage-rects' });
      const turned = await client.openSession();
      await turned.configure({
        width: HEIGHT,
        height: WIDTH,
        rotation: 90,
        bufferCount: 2,
        transport: 'inline',
        inlineEncoding: 'damage-rects',
        inlineCompression: 'none',
      });
      const sessions = [
        { session: straight, expected: () => image.pixels },
        { session: turned, expected: () => rotateReference(image, 90) },
      ];
      const area = (r: { width: number; height: number }) => r.width * r.height * 4;
      for (const { session, expected } of sessions) {
        const first = await session.nextFrame(); // buffer 0, full
        assert.equal(first.bufferIndex, 0);
        assert.equal(Buffer.compare(first.pixels, expected()), 0, 'first frame');
        await first.release();
      }

      const a = { x: 10, y: 10, width: 64, height: 32 };
      await change(a, 2);
      const held: { frame: Awaited<ReturnType<typeof straight.nextFrame>>; copy: Buffer }[] = [];
      for (const { session, expected } of sessions) {
        const second = await session.nextFrame(); // buffer 0 again, holding frame 1: rect a
        assert.equal(second.bufferIndex, 0);
        assert.equal(Buffer.compare(second.pixels, expected()), 0, 'second frame');
        assert.ok(second.transferBytes! <= area(a) + 64, `${second.transferBytes} bytes for a change of ${area(a)}`);
        held.push({ frame: second, copy: Buffer.from(second.pixels) });
      }

      // Two frames go by unseen; buffer 1 has never been used, so the next is a full frame.
      await change({ x: 1000, y: 500, width: 40, height: 40 }, 3);
      await change({ x: 1500, y: 900, width: 16, height: 16 }, 4);
      for (const [i, { session, expected }] of sessions.entries()) {
        const fourth = await session.nextFrame();
        assert.equal(fourth.bufferIndex, 1);
        assert.equal(Buffer.compare(fourth.pixels, expected()), 0, 'a frame in a new buffer');
        assert.equal(Buffer.compare(held[i]!.frame.pixels, held[i]!.copy), 0, 'a held frame stays as it came');
        held.push({ frame: fourth, copy: Buffer.from(fourth.pixels) });
      }

      // Buffer 0 (frame 2) is released after buffer 1: the next frame goes into buffer 0 and
      // brings it from frame 2 to frame 5, all three changes since then.
      for (const i of [2, 3, 0, 1]) await held[i]!.frame.release();
      await change({ x: 600, y: 50, width: 8, height: 8 }, 5);
      for (const { session, expected } of sessions) {
        const fifth = await session.nextFrame();
        assert.equal(fifth.bufferIndex, 0);
        assert.equal(Buffer.compare(fifth.pixels, expected()), 0, "a frame three changes after its buffer's");
        assert.ok(fifth.transferBytes! < IMAGE_BYTES / 100, `${fifth.transferBytes} bytes for three small changes`);
        await fifth.release();
      }
    } finally {
      client.close();
    }
  });

  it('refuses damage rects with SHARED_MEMORY, a compression without them, and unknown values', async () => {
    const sessionId = await fixture.openSession();
    const inline = await fixture.register(sessionId, 1);
    const configure = (importToken: string, inlineEncoding?: InlineEncoding, inlineCompression?: InlineCompression) =>
      fixture.call(fixture.capture, fixture.capture.configure, {
        sessionId,
        importToken,
        imageSize: { width: 64, height: 48 },
        rotation: Rotation.ROTATION_CW_0_DEGREES,
        pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
        scaleMode: 0,
        inlineEncoding,
        inlineCompression,
      });
    await rejectsWith(
      configure(inline, InlineEncoding.INLINE_ENCODING_FULL, InlineCompression.INLINE_COMPRESSION_DEFLATE),
      'INVALID_ARGS',
      'inline_compression',
    );
    await rejectsWith(configure(inline, 7 as InlineEncoding), 'INVALID_ARGS', 'inline_encoding');
    await rejectsWith(
      configure(inline, InlineEncoding.INLINE_ENCODING_DAMAGE_RECTS, 9 as InlineCompression),
      'INVALID_ARGS',
      'inline_compression',
    );
    if (isFileMappingAvailable()) {
      const buffers = SharedMemoryBuffers.create(1, 64 * 48 * 4);
      try {
        const { importToken } = await fixture.call(fixture.allocator, fixture.allocator.registerBufferCollection, {
          sessionId,
          bufferCount: 1,
          transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
          sharedMemory: { path: buffers.path, bufferSize: String(buffers.bufferSize) },
        });
        await rejectsWith(configure(importToken, InlineEncoding.INLINE_ENCODING_DAMAGE_RECTS), 'INVALID_ARGS', 'inline_encoding');
      } finally {
        buffers.unlink();
        buffers.close();
      }
    }
    await configure(inline, InlineEncoding.INLINE_ENCODING_DAMAGE_RECTS);
    const client = new CaptureClient({ address: fixture.server.address });
    try {
      const session = await client.openSession();
      await assert.rejects(
        session.configure({ width: 64, height: 48, inlineEncoding: 'tiles' as 'full' }),
        /inlineEncoding: must be 'full' or 'damage-rects'/,
      );
      await assert.rejects(
        session.configure({ width: 64, height: 48, inlineEncoding: 'damage-rects', inlineCompression: 'lz4' as 'none' }),
        /inlineCompression: must be 'brotli', 'deflate' or 'none'/,
      );
    } finally {
      client.close();
    }
  });

  it('costs no more than the damage on a still 1080p desktop: the clock, typing and the pointer', async () => {
    const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT, windowSpeed: 0 });
    const server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: 60, logger: quietLogger });
    const client = new CaptureClient({ address: server.address });
    try {
      const session = await client.openSession();
      // One buffer: each frame's rects are against the previous frame, so they are its damage.
      await session.configure({ width: WIDTH, height: HEIGHT, bufferCount: 1, transport: 'inline', inlineEncoding: 'damage-rects' });
      let frames = 0;
      let sent = 0;
      let damaged = 0;
      for await (const frame of session.frames()) {
        if (frames > 0) {
          const damageBytes = frame.damage.reduce((sum, r) => sum + r.width * r.height * 4, 0);
          assert.ok(damageBytes < IMAGE_BYTES / 2, `frame ${frame.frameNumber}: ${damageBytes} bytes damaged on a still desktop`);
          assert.ok(
            frame.transferBytes! <= damageBytes,
            `frame ${frame.frameNumber}: ${frame.transferBytes} bytes sent for ${damageBytes} damaged`,
          );
          sent += frame.transferBytes!;
          damaged += damageBytes;
        }
        if (++frames > 60) break;
      }
      await session.close();
      assert.ok(sent < damaged / 4, `${sent} bytes sent for ${damaged} damaged over 60 frames: the desktop's flat colours compress`);
      // Some 200 bytes a frame here (the clock, a typed character, the pointer): a full frame is 8.3 MB.
      assert.ok(sent / 60 < 2_000, `${Math.round(sent / 60)} bytes a frame`);
    } finally {
      client.close();
      await server.stop(500);
    }
  });
});
