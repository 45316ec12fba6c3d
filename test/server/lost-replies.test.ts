/**
 * GetNextFrameRequest.held_frames over real gRPC: a client lists the frames it holds, and a frame
 * the server sent that it does not list was lost on the way (a call aborted or past its deadline
 * after the server answered, a connection cut). Its buffer comes back and the session counts
 * from the frame before it; without the list such a buffer stayed held until the next Configure.
 * Requests carrying the list are numbered, so that one given up and arriving late is refused
 * instead of taking back frames sent for a later one.
 */
import assert from 'node:assert/strict';
import { CursorMode, type FrameInfo } from '../../src/gen/screencapture/v1/screen_capture.pb';
import type { Rect } from '../../src/core/rect';
import { solidImage } from '../support/images';
import { Fixture, rejectsWith, settle } from '../support/fixture';
import { PointerImageSource, pointerShape } from '../support/pointer-source';

describe('GetNextFrameRequest.held_frames: replies lost after the server sent them', () => {
  let fx: Fixture;
  let source: PointerImageSource;
  beforeEach(async () => {
    source = new PointerImageSource(solidImage(64, 48, [0, 90, 0]));
    fx = await Fixture.start({ source });
  });
  afterEach(async () => {
    await fx.stop();
  });

  /** GetNextFrame saying which frames the client holds, as request `requestNumber`. */
  function nextHolding(
    sessionId: string,
    releaseTokens: string[],
    requestNumber: number,
    options: { releaseToken?: string; signal?: AbortSignal } = {},
  ): Promise<FrameInfo> {
    return fx.call(
      fx.capture,
      fx.capture.getNextFrame,
      { sessionId, releaseToken: options.releaseToken ?? '', heldFrames: { releaseTokens, requestNumber } },
      options.signal,
    );
  }

  /** Whether `rects` cover the point x, y. */
  const covers = (rects: readonly Rect[], x: number, y: number) =>
    rects.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height);

  it('a frame not listed comes back: its buffer free, the newest frame at once, damage counted from the frame before it', async () => {
    const shape = await pointerShape('ring', 3);
    source.setPointer({ x: 8, y: 8, visible: true, shape });
    fx.clock.tick();
    // Two buffers; the pointer drawn in, so that each move damages where it was and where it is.
    const { sessionId } = await fx.configuredSession(2, { cursorMode: CursorMode.CURSOR_MODE_EMBEDDED });
    const seen = await nextHolding(sessionId, [], 1);
    // The pointer moves to 30,8: this frame's reply is "lost" (the client never reads it).
    source.setPointer({ x: 30, y: 8, visible: true, shape });
    fx.clock.tick();
    const lost = await fx.getNextFrame(sessionId, undefined, seen.releaseToken);
    assert.ok(covers(lost.damage, 8, 8) && covers(lost.damage, 30, 8));
    // It moves on to 52,30. The client, which has neither buffer, says so.
    source.setPointer({ x: 52, y: 30, visible: true, shape });
    fx.clock.tick();
    const next = await nextHolding(sessionId, [], 2, { signal: AbortSignal.timeout(10_000) });
    assert.equal(next.frameNumber, lost.frameNumber + 1, 'the newest frame');
    // Counted from the frame the client has (the pointer at 8,8), not from the lost one: the
    // pointer's first place is damage too.
    assert.ok(covers(next.damage, 8, 8), `damage ${JSON.stringify(next.damage)} covers the pointer's place in the last frame seen`);
    assert.ok(covers(next.damage, 52, 30));
    assert.equal(next.bufferIndex, lost.bufferIndex, "the lost frame's buffer, the lowest free one");
    await rejectsWith(fx.release(sessionId, lost.releaseToken), 'INVALID_ARGS', 'release_token');

    // A lost frame with nothing newer comes again at once, whole: the same frame number.
    const again = await nextHolding(sessionId, [next.releaseToken], 3, { signal: AbortSignal.timeout(300) }).catch((e: Error) => e);
    assert.equal(
      (again as Error).name,
      'TimeoutError',
      'no newer frame, and the listed one is kept: the call waits (here, until it is given up)',
    );
    const resent = await nextHolding(sessionId, [], 4, { signal: AbortSignal.timeout(10_000) });
    assert.equal(resent.frameNumber, next.frameNumber, 'the frame whose reply was lost, again');
    assert.ok(covers(resent.damage, 8, 8), 'its damage as the first time');
    await fx.release(sessionId, resent.releaseToken);
  });

  it('listed frames stay held, tokens it does not know are ignored, and a frame given back by release_token need not be listed', async () => {
    fx.clock.tick();
    const { sessionId } = await fx.configuredSession(3);
    const first = await nextHolding(sessionId, [], 1);
    await fx.newFrame(solidImage(64, 48, [1, 1, 1]));
    const second = await nextHolding(sessionId, [first.releaseToken, 'not-a-token'], 2);
    await fx.newFrame(solidImage(64, 48, [2, 2, 2]));
    const third = await nextHolding(sessionId, [second.releaseToken], 3, { releaseToken: first.releaseToken });
    const session = fx.server.manager.session(sessionId);
    assert.deepEqual([...session.configuration!.heldBuffers.keys()].sort(), [second.releaseToken, third.releaseToken].sort());
    await fx.release(sessionId, second.releaseToken);
    await fx.release(sessionId, third.releaseToken);
  });

  it('a request numbered at or below the last is refused, naming request_number, and changes nothing', async () => {
    fx.clock.tick();
    const { sessionId } = await fx.configuredSession(1);
    const held = await nextHolding(sessionId, [], 5);
    for (const number of [5, 4, 0]) {
      const error = await rejectsWith(nextHolding(sessionId, [], number), 'INVALID_ARGS', 'held_frames.request_number');
      assert.match(error.message, new RegExp(`${number} is not above 5`));
    }
    const session = fx.server.manager.session(sessionId);
    assert.deepEqual([...session.configuration!.heldBuffers.keys()], [held.releaseToken], 'the held frame not taken back');
    assert.equal(session.lastRequestNumber, 5);
    await fx.release(sessionId, held.releaseToken);
  });

  it('a waiting call is withdrawn for a numbered request (its client gave it up); without held_frames the second is refused as before', async () => {
    fx.clock.tick();
    const { sessionId } = await fx.configuredSession(1);
    const first = await nextHolding(sessionId, [], 1);
    const waiting = nextHolding(sessionId, [first.releaseToken], 2);
    await settle();
    await rejectsWith(fx.getNextFrame(sessionId), 'BAD_HANGING_GET');
    const later = nextHolding(sessionId, [first.releaseToken], 3);
    const error = await rejectsWith(waiting, 'BAD_OPERATION');
    assert.match(error.message, /later request \(held_frames.request_number 3\)/);
    await fx.release(sessionId, first.releaseToken);
    await fx.newFrame(solidImage(64, 48, [7, 7, 7]));
    const frame = await later;
    assert.equal(frame.frameNumber, 2);
    await fx.release(sessionId, frame.releaseToken);
  });

  it('held_frames is bounded: 17 tokens, or a token of 65 characters, are refused naming release_tokens, and change nothing', async () => {
    fx.clock.tick();
    const { sessionId } = await fx.configuredSession(1);
    const held = await nextHolding(sessionId, [], 1);
    const tooMany = await rejectsWith(
      nextHolding(
        sessionId,
        Array.from({ length: 17 }, (_, i) => `t${i}`),
        2,
      ),
      'INVALID_ARGS',
      'held_frames.release_tokens',
    );
    assert.match(tooMany.message, /lists 17 frames; a session holds at most 16/);
    const tooLong = await rejectsWith(nextHolding(sessionId, ['x'.repeat(65)], 2), 'INVALID_ARGS', 'held_frames.release_tokens');
    assert.match(tooLong.message, /token 0 is 65 characters long/);
    // Neither took the held frame back nor used up request number 2.
    const session = fx.server.manager.session(sessionId);
    assert.deepEqual([...session.configuration!.heldBuffers.keys()], [held.releaseToken]);
    assert.equal(session.lastRequestNumber, 1);
    await fx.release(sessionId, held.releaseToken);
  });
});
