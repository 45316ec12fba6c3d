/**
 * Values no honest client sends: each gets its error, bounded in size, and the connection it
 * came on keeps serving. (A reason that echoed a 32 KiB path overflowed the response's header
 * block: the client got nothing and every later call on the connection hung.)
 */
import { strict as assert } from 'node:assert';
import { credentials } from '@grpc/grpc-js';
import { callUnary } from '../../src/clients/unary-call';
import { CaptureClientError } from '../../src/clients';
import { AllocatorClient, BufferTransport } from '../../src/gen/screencapture/v1/allocator.pb';
import { PixelFormat, Rotation, ScreenCaptureClient } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { Fixture, rejectsWith } from '../support/fixture';

/** Long enough that any echo of it would overflow the 16 KiB header block grpc-js accepts. */
const LONG_VALUES: [string, string][] = [
  ['32 KiB of "a"', 'a'.repeat(32 * 1024)],
  ['6 KB of U+0001 (six times longer once JSON-escaped)', '\u0001'.repeat(6000)],
];

/** shared_memory.path values refused by a rule whose reason quotes the path (or its name). */
const pathsQuoted = (long: string): [string, string, number][] => [
  ['relative', `screencap-${long}`, `screencap-${long}`.length],
  ['outside the allowed directories', `/etc/screencap-${long}`, `/etc/screencap-${long}`.length],
  ['without the name prefix', `/dev/shm/other-${long}`, `other-${long}`.length],
];

/** A call that gets no answer in this long is hung (the defect), not slow. */
const answered = () => ({ signal: AbortSignal.timeout(10_000) });

/** Longest message an error may carry back (the reason is bounded; the name and field precede it). */
const MAX_MESSAGE_CHARS = 1200;

describe('bad input: bounded errors, and the connection keeps serving', function () {
  this.timeout(60_000);
  let fx: Fixture;
  let capture: ScreenCaptureClient;
  let allocator: AllocatorClient;

  beforeEach(async () => {
    fx = await Fixture.start({ sharedMemory: true });
    // Both services on one channel: one HTTP/2 connection, which a bad answer could wedge.
    capture = new ScreenCaptureClient(fx.server.address, credentials.createInsecure());
    allocator = new AllocatorClient(fx.server.address, credentials.createInsecure(), { channelOverride: capture.getChannel() });
  });
  afterEach(async () => {
    capture.close();
    await fx.stop();
  });

  /** The call fails with a typed error of bounded size, and the same connection answers next. */
  async function refusedAndStillServing(what: string, call: Promise<unknown>): Promise<CaptureClientError> {
    const error = await call.then(
      () => assert.fail(`${what}: the call succeeded`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CaptureClientError, `${what}: a typed error, got ${String(error)}`);
    assert.notEqual(error.errorName, 'INTERNAL', `${what}: ${error.message}`);
    assert.ok(error.message.length <= MAX_MESSAGE_CHARS, `${what}: message of ${error.message.length} characters`);
    assert.ok((error.reason ?? '').length <= MAX_MESSAGE_CHARS, `${what}: reason of ${error.reason?.length} characters`);
    const info = await callUnary(capture, capture.getDisplayInfo, {}, undefined, answered());
    assert.equal(info.displaySize?.width, 64, `${what}: GetDisplayInfo on the same connection`);
    return error;
  }

  it('quotes a long value by a prefix and its length, in every RPC that takes a string', async () => {
    const session = await callUnary(capture, capture.openSession, { clientName: 'bad-input' }, undefined, answered());
    const sessionId = session.sessionId;
    for (const [what, value] of LONG_VALUES) {
      for (const [rule, path, quotedLength] of pathsQuoted(value)) {
        const error = await refusedAndStillServing(
          `RegisterBufferCollection shared_memory.path ${rule}, ${what}`,
          callUnary(
            allocator,
            allocator.registerBufferCollection,
            {
              sessionId,
              bufferCount: 1,
              transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
              sharedMemory: { path, bufferSize: '4096' },
            },
            undefined,
            answered(),
          ),
        );
        assert.equal(error.field, 'shared_memory.path');
        assert.ok(error.reason?.endsWith(`(${quotedLength} characters)`), `a prefix and the length of what was sent: ${error.reason}`);
      }

      const calls: [string, () => Promise<unknown>][] = [
        ['CloseSession session_id', () => callUnary(capture, capture.closeSession, { sessionId: value }, undefined, answered())],
        [
          'Configure session_id',
          () =>
            callUnary(
              capture,
              capture.configure,
              {
                sessionId: value,
                importToken: 'x',
                imageSize: { width: 64, height: 48 },
                rotation: Rotation.ROTATION_CW_0_DEGREES,
                pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
                scaleMode: 0,
              },
              undefined,
              answered(),
            ),
        ],
        [
          'Configure import_token',
          () =>
            callUnary(
              capture,
              capture.configure,
              {
                sessionId,
                importToken: value,
                imageSize: { width: 64, height: 48 },
                rotation: Rotation.ROTATION_CW_0_DEGREES,
                pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
                scaleMode: 0,
              },
              undefined,
              answered(),
            ),
        ],
        [
          'GetNextFrame session_id',
          () =>
            callUnary(capture, capture.getNextFrame, { sessionId: value, releaseToken: '', heldFrames: undefined }, undefined, answered()),
        ],
        [
          'ReleaseFrame session_id',
          () => callUnary(capture, capture.releaseFrame, { sessionId: value, releaseToken: 'x' }, undefined, answered()),
        ],
        [
          'ReleaseFrame release_token',
          () => callUnary(capture, capture.releaseFrame, { sessionId, releaseToken: value }, undefined, answered()),
        ],
        [
          'RegisterBufferCollection session_id',
          () =>
            callUnary(
              allocator,
              allocator.registerBufferCollection,
              { sessionId: value, bufferCount: 1, transport: BufferTransport.BUFFER_TRANSPORT_INLINE, sharedMemory: undefined },
              undefined,
              answered(),
            ),
        ],
        [
          'ReleaseBufferCollection session_id',
          () => callUnary(allocator, allocator.releaseBufferCollection, { sessionId: value, importToken: 'x' }, undefined, answered()),
        ],
        [
          'ReleaseBufferCollection import_token',
          () => callUnary(allocator, allocator.releaseBufferCollection, { sessionId, importToken: value }, undefined, answered()),
        ],
      ];
      for (const [name, call] of calls) await refusedAndStillServing(`${name}, ${what}`, call());
      // A client name is not refused: the log keeps its first 100 characters.
      await callUnary(capture, capture.openSession, { clientName: value }, undefined, answered());
    }
  });

  it('answers INVALID_ARGS on shared_memory.buffer_size for every uint64 value too large, 2^64 - 1 included', async () => {
    const { sessionId } = await callUnary(capture, capture.openSession, { clientName: 'bad-input' }, undefined, answered());
    for (const value of ['268435457', '9007199254740991', '9007199254740992', '9223372036854775808', '18446744073709551615']) {
      const error = await rejectsWith(
        callUnary(
          allocator,
          allocator.registerBufferCollection,
          {
            sessionId,
            bufferCount: 1,
            transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
            sharedMemory: { path: '/dev/shm/screencap-none', bufferSize: value },
          },
          undefined,
          answered(),
        ),
        'INVALID_ARGS',
        'shared_memory.buffer_size',
      );
      assert.ok(error.reason?.includes(value), `the reason quotes ${value}: ${error.reason}`);
    }
    await rejectsWith(
      callUnary(
        allocator,
        allocator.registerBufferCollection,
        {
          sessionId,
          bufferCount: 1,
          transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
          sharedMemory: { path: '/dev/shm/screencap-none', bufferSize: '0' },
        },
        undefined,
        answered(),
      ),
      'MISSING_ARGS',
      'shared_memory.buffer_size',
    );
  });
});
