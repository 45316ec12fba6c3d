/**
 * GetNextFrame's hanging-get semantics, mirroring Scenic's screen_capture2 unit, manager and
 * integration tests, over real gRPC with a manual vsync clock.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { pixelAt, solidImage } from '../support/images';
import { Fixture, rejectsWith, settle, track } from '../support/fixture';

const RED = solidImage(64, 48, [255, 0, 0]);
const GREEN = solidImage(64, 48, [0, 255, 0]);
const BLUE = solidImage(64, 48, [0, 0, 255]);

describe('GetNextFrame (hanging get)', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await Fixture.start({ image: RED });
    fx.clock.tick(); // frame 1: the red image
    await settle(10);
  });
  afterEach(() => fx.stop());

  it('returns the latest frame at once on the first call after Configure (GetNextFrame_Success)', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const frame = await fx.getNextFrame(sessionId);
    assert.equal(frame.frameNumber, 1);
    assert.equal(frame.bufferIndex, 0);
    assert.deepEqual(frame.imageSize, { width: 64, height: 48 });
    assert.equal(frame.pixels.length, 64 * 48 * 4);
    assert.deepEqual(pixelAt(frame.pixels, 64, 10, 10), [255, 0, 0, 255]);
    assert.deepEqual(pixelAt(frame.pixels, 64, 63, 47), [255, 0, 0, 255]);
    assert.ok(frame.releaseToken.length >= 22, 'release token has at least 128 bits');
  });

  it('waits for the next damaged vsync after a frame and a release, and not before (SuccessiveCall)', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const first = await fx.getNextFrame(sessionId);
    await fx.release(sessionId, first.releaseToken);
    const second = track(fx.getNextFrame(sessionId));
    await settle();
    assert.equal(second.settled, false, 'no new content: the call hangs');
    fx.clock.tick();
    await settle();
    assert.equal(second.settled, false, 'a vsync without damage makes no frame');
    fx.source.setImage(GREEN);
    await settle();
    assert.equal(second.settled, false, 'damage without a vsync makes no frame yet');
    const beforeTick = process.hrtime.bigint();
    fx.clock.tick();
    const frame = await second.promise;
    assert.equal(frame.frameNumber, 2);
    assert.equal(frame.bufferIndex, first.bufferIndex, 'the released buffer is reused');
    assert.deepEqual(pixelAt(frame.pixels, 64, 5, 5), [0, 255, 0, 255]);
    const latchNs = BigInt(frame.captureMonotonic!.seconds) * 1_000_000_000n + BigInt(frame.captureMonotonic!.nanos);
    assert.ok(latchNs >= beforeTick, 'capture time is the vsync that latched the content');
  });

  it('refuses a second pending call with BAD_HANGING_GET and keeps the first pending (GetNextFrame_Errors)', async () => {
    const { sessionId } = await fx.configuredSession(2);
    const first = await fx.getNextFrame(sessionId);
    const pending = track(fx.getNextFrame(sessionId));
    await settle();
    const error = await rejectsWith(fx.getNextFrame(sessionId), 'BAD_HANGING_GET');
    assert.equal(error.code, status.FAILED_PRECONDITION);
    assert.equal(pending.settled, false, 'the first call is still pending');
    await fx.newFrame(GREEN);
    const frame = await pending.promise;
    assert.equal(frame.frameNumber, 2);
    assert.notEqual(frame.bufferIndex, first.bufferIndex, 'the second buffer, since the first is held');
  });

  it('waits while every buffer is held; a release then returns the new frame at once (BuffersFull)', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const held = await fx.getNextFrame(sessionId);
    const waiting = track(fx.getNextFrame(sessionId));
    await fx.newFrame(GREEN);
    assert.equal(waiting.settled, false, 'a new frame cannot be delivered into a held buffer');
    await fx.release(sessionId, held.releaseToken);
    const frame = await waiting.promise;
    assert.equal(frame.frameNumber, 2);
    assert.equal(frame.bufferIndex, 0);
    assert.deepEqual(pixelAt(frame.pixels, 64, 0, 0), [0, 255, 0, 255]);
  });

  it('a release with no unseen frame keeps the call waiting for the next frame', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const held = await fx.getNextFrame(sessionId);
    const waiting = track(fx.getNextFrame(sessionId));
    await fx.release(sessionId, held.releaseToken);
    await settle();
    assert.equal(waiting.settled, false, 'frame 1 was already received: nothing to return yet');
    await fx.newFrame(BLUE);
    assert.equal((await waiting.promise).frameNumber, 2);
  });

  it('returns the latest frame at once after the client missed frames (MaybeRenderFrame_Errors)', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const first = await fx.getNextFrame(sessionId);
    await fx.release(sessionId, first.releaseToken);
    await fx.newFrame(GREEN); // frame 2: nobody asked
    await fx.newFrame(BLUE); // frame 3
    const frame = await fx.getNextFrame(sessionId);
    assert.equal(frame.frameNumber, 3, 'the most recent frame, at once');
    assert.deepEqual(pixelAt(frame.pixels, 64, 1, 1), [0, 0, 255, 255]);
  });

  it('answers a pending call with BAD_OPERATION when the session is configured again', async () => {
    const { sessionId, importToken } = await fx.configuredSession(1);
    const first = await fx.getNextFrame(sessionId);
    const pending = track(fx.getNextFrame(sessionId));
    await settle();
    await fx.configure(sessionId, importToken, { width: 32, height: 24 });
    await rejectsWith(pending.promise, 'BAD_OPERATION');
    // The old configuration's token is no longer valid...
    await rejectsWith(fx.release(sessionId, first.releaseToken), 'INVALID_ARGS', 'release_token');
    // ...and the new configuration starts afresh: the latest frame at once, at the new size.
    const frame = await fx.getNextFrame(sessionId);
    assert.equal(frame.frameNumber, 1);
    assert.deepEqual(frame.imageSize, { width: 32, height: 24 });
    assert.equal(frame.pixels.length, 32 * 24 * 4);
  });

  it('rejects unknown and already-released tokens with INVALID_ARGS and changes nothing', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const frame = await fx.getNextFrame(sessionId);
    await rejectsWith(fx.release(sessionId, 'not-a-token'), 'INVALID_ARGS', 'release_token');
    await rejectsWith(fx.release(sessionId, ''), 'MISSING_ARGS', 'release_token');
    // The buffer is still held: a new frame cannot be delivered.
    const waiting = track(fx.getNextFrame(sessionId));
    await fx.newFrame(GREEN);
    assert.equal(waiting.settled, false);
    await fx.release(sessionId, frame.releaseToken);
    assert.equal((await waiting.promise).frameNumber, 2);
    await rejectsWith(fx.release(sessionId, frame.releaseToken), 'INVALID_ARGS', 'release_token');
  });

  it('a call that gives back the previous frame (release_token) gets the next one in that buffer', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const first = await fx.getNextFrame(sessionId);
    const next = track(fx.getNextFrame(sessionId, undefined, first.releaseToken));
    await settle();
    assert.equal(next.settled, false, 'released, and waiting for a frame the client has not seen');
    await fx.newFrame(GREEN);
    const frame = await next.promise;
    assert.equal(frame.frameNumber, 2);
    assert.equal(frame.bufferIndex, first.bufferIndex, 'the one buffer, given back by the call itself');
    assert.deepEqual(pixelAt(frame.pixels, 64, 5, 5), [0, 255, 0, 255]);
    await rejectsWith(fx.release(sessionId, first.releaseToken), 'INVALID_ARGS', 'release_token');
  });

  it('a release_token the session does not hold fails the call with INVALID_ARGS, leaving nothing pending', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const held = await fx.getNextFrame(sessionId);
    await rejectsWith(fx.getNextFrame(sessionId, undefined, 'not-a-token'), 'INVALID_ARGS', 'release_token');
    // Not a second hanging get, and the buffer is still held: the call waits for a release.
    const waiting = track(fx.getNextFrame(sessionId));
    await fx.newFrame(GREEN);
    assert.equal(waiting.settled, false);
    await fx.release(sessionId, held.releaseToken);
    assert.equal((await waiting.promise).frameNumber, 2);
  });

  it('a second pending call with a release_token fails with BAD_HANGING_GET and releases nothing', async () => {
    const { sessionId } = await fx.configuredSession(2);
    const held = await fx.getNextFrame(sessionId);
    const pending = track(fx.getNextFrame(sessionId));
    await settle();
    await rejectsWith(fx.getNextFrame(sessionId, undefined, held.releaseToken), 'BAD_HANGING_GET');
    await fx.release(sessionId, held.releaseToken);
    await fx.newFrame(BLUE);
    assert.equal((await pending.promise).frameNumber, 2);
  });

  it('refuses GetNextFrame before Configure with BAD_OPERATION', async () => {
    const sessionId = await fx.openSession();
    const error = await rejectsWith(fx.getNextFrame(sessionId), 'BAD_OPERATION');
    assert.equal(error.code, status.FAILED_PRECONDITION);
  });

  it('gives exactly one reply when a call and a frame arrive in the same turn (BothWantNewFrame)', async () => {
    const { sessionId } = await fx.configuredSession(2);
    const first = await fx.getNextFrame(sessionId);
    fx.source.setImage(GREEN);
    const pending = fx.getNextFrame(sessionId);
    fx.clock.tick();
    const frame = await pending;
    assert.equal(frame.frameNumber, 2);
    const next = track(fx.getNextFrame(sessionId));
    await settle();
    assert.equal(next.settled, false, 'frame 2 was delivered once; the next call waits');
    assert.notEqual(frame.releaseToken, first.releaseToken);
  });

  it('a cancelled pending call is withdrawn, so the next call is not a second hanging get', async () => {
    const sessionId = await fx.sessionWithCancelledCall();
    await settle();
    const next = fx.getNextFrame(sessionId);
    await fx.newFrame(GREEN);
    assert.equal((await next).frameNumber, 2);
  });

  it("reports the damage since the client's previous frame, mapped into its image", async () => {
    const { sessionId } = await fx.configuredSession(1, { width: 32, height: 24 });
    const first = await fx.getNextFrame(sessionId);
    assert.deepEqual(first.damage, [{ x: 0, y: 0, width: 32, height: 24 }], 'the first frame is wholly new');
    await fx.release(sessionId, first.releaseToken);
    const pixels = Buffer.from(RED.pixels);
    // Change a 8x8 block at (16, 16) of the 64x48 display: (8, 8) in the half-size image.
    for (let y = 16; y < 24; y++) pixels.fill(Buffer.from([0, 0, 255, 255]), (y * 64 + 16) * 4, (y * 64 + 24) * 4);
    fx.source.setImage({ ...RED, pixels }, [{ x: 16, y: 16, width: 8, height: 8 }]);
    const frame2 = track(fx.getNextFrame(sessionId));
    fx.clock.tick();
    const frame = await frame2.promise;
    assert.equal(frame.damage.length, 1);
    const [rect] = frame.damage;
    // The 4x4 block at (8, 8), grown by at most the one pixel the scaling filter may smear.
    assert.ok(rect.x >= 7 && rect.x <= 8 && rect.y >= 7 && rect.y <= 8, `origin near (8, 8): ${JSON.stringify(rect)}`);
    assert.ok(rect.x + rect.width >= 12 && rect.x + rect.width <= 13, `right edge near 12: ${JSON.stringify(rect)}`);
    assert.ok(rect.y + rect.height >= 12 && rect.y + rect.height <= 13, `bottom edge near 12: ${JSON.stringify(rect)}`);
    assert.deepEqual(pixelAt(frame.pixels, 32, 10, 10), [0, 0, 255, 255], 'the block is there');
  });
});
