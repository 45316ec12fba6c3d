/** Configure and RegisterBufferCollection arguments, tokens and limits (ConfigureWithMissingArguments and ours). */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { BufferTransport } from '../../src/gen/screencapture/v1/allocator.pb';
import { PixelFormat, Rotation } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { ScreenCaptureError, ScreenCaptureErrorDetail } from '../../src/gen/screencapture/v1/common.pb';
import { Status } from '../../src/gen/google/rpc/status.pb';
import { Fixture, rejectsWith, track } from '../support/fixture';

describe('Configure and buffer collections', () => {
  let fx: Fixture;
  let sessionId: string;
  let importToken: string;
  const configure = (overrides: Record<string, unknown>) =>
    fx.call(fx.capture, fx.capture.configure, {
      sessionId,
      importToken,
      imageSize: { width: 64, height: 48 },
      rotation: Rotation.ROTATION_CW_0_DEGREES,
      pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
      scaleMode: 0,
      ...overrides,
    });

  before(async () => {
    fx = await Fixture.start({ limits: { maxCollectionsPerSession: 3 } });
    fx.clock.tick();
  });
  after(() => fx.stop());
  beforeEach(async () => {
    sessionId = await fx.openSession();
    importToken = await fx.register(sessionId, 2);
  });

  it('succeeds with one buffer at 1x1 (Configure_Success)', async () => {
    const response = await configure({ imageSize: { width: 1, height: 1 } });
    assert.deepEqual(response, { stride: 4, bufferCount: 2 });
    const frame = await fx.getNextFrame(sessionId);
    assert.equal(frame.pixels.length, 4);
  });

  it('MISSING_ARGS for a missing size, token or pixel format, naming the field', async () => {
    await rejectsWith(configure({ imageSize: undefined }), 'MISSING_ARGS', 'image_size');
    await rejectsWith(configure({ importToken: '' }), 'MISSING_ARGS', 'import_token');
    await rejectsWith(configure({ pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED }), 'MISSING_ARGS', 'pixel_format');
    await rejectsWith(configure({ sessionId: '' }), 'MISSING_ARGS', 'session_id');
  });

  it('checks the size before the token, as Scenic does', async () => {
    await rejectsWith(configure({ imageSize: undefined, importToken: '' }), 'MISSING_ARGS', 'image_size');
  });

  it('INVALID_ARGS for zero or oversized sides and unknown enum values', async () => {
    const zero = await rejectsWith(configure({ imageSize: { width: 0, height: 10 } }), 'INVALID_ARGS', 'image_size.width');
    assert.equal(zero.code, status.INVALID_ARGUMENT);
    assert.match(zero.reason!, /from 1 to 8192, got 0/);
    await rejectsWith(configure({ imageSize: { width: 10, height: 0 } }), 'INVALID_ARGS', 'image_size.height');
    await rejectsWith(configure({ imageSize: { width: 8193, height: 10 } }), 'INVALID_ARGS', 'image_size.width');
    await rejectsWith(configure({ rotation: 9 }), 'INVALID_ARGS', 'rotation');
    await rejectsWith(configure({ pixelFormat: 7 }), 'INVALID_ARGS', 'pixel_format');
    await rejectsWith(configure({ scaleMode: 5 }), 'INVALID_ARGS', 'scale_mode');
  });

  it("INVALID_ARGS for unregistered, forged, released and other sessions' tokens", async () => {
    await rejectsWith(configure({ importToken: 'forged-token' }), 'INVALID_ARGS', 'import_token');
    const other = await fx.openSession('other');
    const othersToken = await fx.register(other, 1);
    await rejectsWith(configure({ importToken: othersToken }), 'INVALID_ARGS', 'import_token');
    await fx.call(fx.allocator, fx.allocator.releaseBufferCollection, { sessionId, importToken });
    await rejectsWith(configure({}), 'INVALID_ARGS', 'import_token');
    await rejectsWith(
      fx.call(fx.allocator, fx.allocator.releaseBufferCollection, { sessionId, importToken }),
      'INVALID_ARGS',
      'import_token',
    );
  });

  it('a failed Configure changes nothing: the previous configuration keeps working', async () => {
    await configure({});
    const first = await fx.getNextFrame(sessionId);
    await rejectsWith(configure({ imageSize: { width: 0, height: 1 } }), 'INVALID_ARGS');
    await fx.release(sessionId, first.releaseToken); // still the current configuration's token
    const again = await fx.call(fx.capture, fx.capture.getDisplayInfo, {});
    assert.equal(again.latestFrameNumber, 1);
  });

  it('import tokens are unguessable: 256 bits, all different', async () => {
    const tokens = new Set([importToken, await fx.register(sessionId, 1)]);
    for (const token of tokens) assert.ok(Buffer.from(token, 'base64url').length >= 32);
    assert.equal(tokens.size, 2);
  });

  it('RegisterBufferCollection checks count and transport', async () => {
    const register = (bufferCount: number, transport: BufferTransport) =>
      fx.call(fx.allocator, fx.allocator.registerBufferCollection, { sessionId, bufferCount, transport, sharedMemory: undefined });
    await rejectsWith(register(0, BufferTransport.BUFFER_TRANSPORT_INLINE), 'MISSING_ARGS', 'buffer_count');
    await rejectsWith(register(17, BufferTransport.BUFFER_TRANSPORT_INLINE), 'INVALID_ARGS', 'buffer_count');
    await rejectsWith(register(2, BufferTransport.BUFFER_TRANSPORT_UNSPECIFIED), 'MISSING_ARGS', 'transport');
    // SHARED_MEMORY's own arguments are checked in shared-memory.test.ts.
    await rejectsWith(register(2, BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY), 'MISSING_ARGS', 'shared_memory');
    await rejectsWith(register(2, 9 as BufferTransport), 'INVALID_ARGS', 'transport');
    await register(16, BufferTransport.BUFFER_TRANSPORT_INLINE);
  });

  it('a session holding its maximum of collections gets LIMIT_EXCEEDED (RESOURCE_EXHAUSTED)', async () => {
    await fx.register(sessionId, 1);
    await fx.register(sessionId, 1);
    const error = await rejectsWith(fx.register(sessionId, 1), 'LIMIT_EXCEEDED');
    assert.equal(error.code, status.RESOURCE_EXHAUSTED);
  });

  it('errors carry a google.rpc.Status with a typed ScreenCaptureErrorDetail', async () => {
    const error = await rejectsWith(configure({ imageSize: { width: 0, height: 1 } }), 'INVALID_ARGS');
    const cause = error.cause as { metadata: { get(key: string): unknown[] } };
    const raw = cause.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const statusProto = Status.decode(raw);
    assert.equal(statusProto.code, status.INVALID_ARGUMENT);
    assert.equal(statusProto.details[0].typeUrl, 'type.googleapis.com/screencapture.v1.ScreenCaptureErrorDetail');
    const detail = ScreenCaptureErrorDetail.decode(statusProto.details[0].value);
    assert.equal(detail.error, ScreenCaptureError.SCREEN_CAPTURE_ERROR_INVALID_ARGS);
    assert.equal(detail.field, 'image_size.width');
  });

  it('releasing the configured collection ends the configuration', async () => {
    await configure({});
    await fx.getNextFrame(sessionId);
    const pending = track(fx.getNextFrame(sessionId));
    await fx.call(fx.allocator, fx.allocator.releaseBufferCollection, { sessionId, importToken });
    await rejectsWith(pending.promise, 'BAD_OPERATION');
    await rejectsWith(fx.getNextFrame(sessionId), 'BAD_OPERATION');
  });
});
