/**
 * Frames larger than the client's receive limit: Configure refuses them when the client
 * declared its limit (max_receive_message_length), with the sizes and the fix; the TypeScript
 * client declares its own, and turns grpc-js's refusal of a reply into the same kind of error.
 */
import assert from 'node:assert/strict';
import { credentials, status } from '@grpc/grpc-js';
import { CaptureClient, CaptureClientError } from '../../src/clients';
import { PixelFormat, ScreenCaptureClient } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { inlineReplyBytes } from '../../src/server/receive-limit';
import { Fixture, rejectsWith } from '../support/fixture';
import { solidImage } from '../support/images';
import { PointerImageSource } from '../support/pointer-source';

const GRPC_DEFAULT_LIMIT = 4 * 1024 * 1024;

describe('receive limit', () => {
  let fx: Fixture;

  describe('Configure with a declared limit', () => {
    beforeEach(async () => {
      fx = await Fixture.start({ image: solidImage(64, 48, [10, 200, 30]) });
      fx.clock.tick();
    });
    afterEach(() => fx.stop());

    const configure = (sessionId: string, importToken: string, width: number, height: number, maxReceiveMessageLength?: number) =>
      fx.call(fx.capture, fx.capture.configure, {
        sessionId,
        importToken,
        imageSize: { width, height },
        rotation: 0,
        pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
        scaleMode: 0,
        maxReceiveMessageLength,
      });

    it("refuses INLINE 1080p for gRPC's default 4 MiB, naming the reply size, the limit and the fixes", async () => {
      const sessionId = await fx.openSession();
      const importToken = await fx.register(sessionId);
      const error = await rejectsWith(configure(sessionId, importToken, 1920, 1080, GRPC_DEFAULT_LIMIT), 'INVALID_ARGS', 'image_size');
      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.equal(
        error.reason,
        '1920x1080 INLINE frames make GetNextFrame replies of up to 8295424 bytes (8294400 of pixels), more than the ' +
          "client's max_receive_message_length of 4194304 (4 MiB, gRPC's default): raise the channel's max receive message " +
          "length to at least 8295424 and declare it here, use a SHARED_MEMORY collection (on the server's machine), or " +
          'configure at most 1365x768',
      );
    });

    it('suggests a size of the same aspect ratio, or says that none fits', async () => {
      const sessionId = await fx.openSession();
      const importToken = await fx.register(sessionId);
      const portrait = await rejectsWith(configure(sessionId, importToken, 1080, 1920, 2_000_000), 'INVALID_ARGS', 'image_size');
      // 530 x 942 x 4 + 1024 = 1 998 064 bytes; 531 x 944 would take 2 006 080.
      assert.match(portrait.reason!, /max_receive_message_length of 2000000: .* or configure at most 530x942$/);
      const tiny = await rejectsWith(configure(sessionId, importToken, 64, 48, 1000), 'INVALID_ARGS', 'image_size');
      assert.match(
        tiny.reason!,
        /max_receive_message_length of 1000: .*SHARED_MEMORY collection \(on the server's machine\) \(no INLINE image fits in 1000 bytes\)$/,
      );
    });

    it('accepts the size it suggests, whose frames a channel with that very limit receives', async () => {
      // 1365 x 768 x 4 + 1024 is exactly 4 MiB: the reply's other fields fit in the room counted.
      assert.equal(inlineReplyBytes({ width: 1365, height: 768 }), GRPC_DEFAULT_LIMIT);
      const limited = new ScreenCaptureClient(fx.server.address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': GRPC_DEFAULT_LIMIT,
      });
      try {
        const sessionId = await fx.openSession();
        const importToken = await fx.register(sessionId);
        await configure(sessionId, importToken, 1365, 768, GRPC_DEFAULT_LIMIT);
        const frame = await fx.call(limited, limited.getNextFrame, { sessionId, releaseToken: '', heldFrames: undefined });
        assert.equal(frame.pixels.length, 1365 * 768 * 4);
        const centre = (384 * 1365 + 682) * 4; // FIT letterboxes the 4:3 display: the centre shows it
        assert.deepEqual([...frame.pixels.subarray(centre, centre + 4)], [10, 200, 30, 255]);
      } finally {
        limited.close();
      }
    });

    it('checks nothing when the client declares no limit, as before the field existed', async () => {
      const sessionId = await fx.openSession();
      const importToken = await fx.register(sessionId);
      await configure(sessionId, importToken, 1920, 1080);
      const frame = await fx.getNextFrame(sessionId);
      assert.equal(frame.pixels.length, 1920 * 1080 * 4);
    });
  });

  describe('the TypeScript client', () => {
    let client: CaptureClient;
    afterEach(async () => {
      client.close();
      await fx.stop();
    });

    it('declares its limit: INLINE sizes over it fail at configure, shared memory is not limited', async () => {
      fx = await Fixture.start({ image: solidImage(64, 48, [10, 200, 30]) });
      fx.clock.tick();
      client = new CaptureClient({ address: fx.server.address, maxReceiveMessageLength: GRPC_DEFAULT_LIMIT });
      const session = await client.openSession();
      const error = await rejectsWith(session.configure({ width: 1920, height: 1080, transport: 'inline' }), 'INVALID_ARGS', 'image_size');
      assert.match(error.message, /replies of up to 8295424 bytes .* max_receive_message_length of 4194304/);
      await session.configure({ width: 1920, height: 1080, transport: 'shared-memory' });
      const frame = await session.nextFrame();
      assert.equal(frame.pixels.length, 1920 * 1080 * 4);
      const centre = (540 * 1920 + 960) * 4; // FIT letterboxes the 4:3 display: the centre shows it
      assert.deepEqual([...frame.pixels.subarray(centre, centre + 4)], [10, 200, 30, 255]);
      await frame.release();
      await session.close();
    });

    it('says what a reply refused by grpc-js means: a pointer shape beyond the room Configure counts', async () => {
      const source = new PointerImageSource(solidImage(64, 48, [10, 200, 30]));
      fx = await Fixture.start({ source });
      // A 64 x 64 shape (16 KiB) rides along with the first METADATA frame: more than the room
      // for the reply's other fields that Configure counts.
      source.setPointer({
        x: 5,
        y: 5,
        visible: true,
        shape: { id: 1, width: 64, height: 64, hotX: 0, hotY: 0, rgba: Buffer.alloc(64 * 64 * 4, 255) },
      });
      fx.clock.tick();
      const limit = inlineReplyBytes({ width: 64, height: 48 });
      client = new CaptureClient({ address: fx.server.address, maxReceiveMessageLength: limit });
      const session = await client.openSession();
      await session.configure({ width: 64, height: 48, transport: 'inline', cursorMode: 'metadata' });
      const error = await session.nextFrame().then(
        () => assert.fail('the frame should exceed the receive limit'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof CaptureClientError, String(error));
      assert.equal(error.code, status.RESOURCE_EXHAUSTED);
      assert.match(
        error.message,
        new RegExp(
          `^a reply of \\d+ bytes is larger than this client's receive limit of ${limit} bytes: raise maxReceiveMessageLength .*'shared-memory'.* smaller size$`,
        ),
      );
      await session.close();
    });
  });

  it('the TypeScript client refuses a limit that is not a whole number of bytes, naming the option', () => {
    for (const bad of [0, -1, 1.5, 2 ** 32]) {
      assert.throws(
        () => new CaptureClient({ maxReceiveMessageLength: bad }),
        /^TypeError: maxReceiveMessageLength: must be a whole number of bytes/,
      );
    }
  });
});
