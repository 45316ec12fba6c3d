/** Client identity: sessions are independent, private, freed on close and on idling; many at once. */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { solidImage } from '../support/images';
import { Fixture, rejectsWith, settle, track } from '../support/fixture';

const RED = solidImage(64, 48, [255, 0, 0]);
const GREEN = solidImage(64, 48, [0, 255, 0]);

describe('sessions', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await Fixture.start({ image: RED, limits: { idleTimeoutMs: 300, maxSessions: 40 } });
    fx.clock.tick();
    await settle(10);
  });
  afterEach(() => fx.stop());

  it('counts sessions as they open and close (CreateClients, ClientDiesBeforeManager)', async () => {
    const a = await fx.openSession('a');
    const b = await fx.openSession('b');
    assert.notEqual(a, b);
    assert.equal(fx.server.manager.sessionCount, 2);
    await fx.call(fx.capture, fx.capture.closeSession, { sessionId: a });
    await fx.call(fx.capture, fx.capture.closeSession, { sessionId: b });
    assert.equal(fx.server.manager.sessionCount, 0);
  });

  it('two clients are independent: each gets its own frames, buffers and tokens', async () => {
    const one = await fx.configuredSession(1);
    const two = await fx.configuredSession(1);
    const a = await fx.getNextFrame(one.sessionId);
    const b = await fx.getNextFrame(two.sessionId);
    assert.equal(a.frameNumber, 1);
    assert.equal(b.frameNumber, 1);
    // One client holding its buffer does not stop the other.
    await fx.release(two.sessionId, b.releaseToken);
    const twoNext = track(fx.getNextFrame(two.sessionId));
    const oneNext = track(fx.getNextFrame(one.sessionId));
    await fx.newFrame(GREEN);
    assert.equal((await twoNext.promise).frameNumber, 2);
    assert.equal(oneNext.settled, false, 'client one still holds its only buffer');
    // A client can never release another's buffer.
    await rejectsWith(fx.release(two.sessionId, a.releaseToken), 'INVALID_ARGS', 'release_token');
    await fx.release(one.sessionId, a.releaseToken);
    assert.equal((await oneNext.promise).frameNumber, 2);
  });

  it('an unknown session id is refused, and session ids are 128-bit secrets', async () => {
    await rejectsWith(fx.getNextFrame('made-up'), 'INVALID_ARGS', 'session_id');
    const id = await fx.openSession();
    assert.ok(Buffer.from(id, 'base64url').length >= 16);
  });

  it('closing a session answers its pending call and frees everything', async () => {
    const { sessionId, importToken } = await fx.configuredSession(1);
    await fx.getNextFrame(sessionId);
    const pending = track(fx.getNextFrame(sessionId));
    await settle();
    await fx.call(fx.capture, fx.capture.closeSession, { sessionId });
    await rejectsWith(pending.promise, 'BAD_OPERATION');
    await rejectsWith(fx.getNextFrame(sessionId), 'INVALID_ARGS', 'session_id');
    // Its collection is gone too: nobody can configure with the token.
    const other = await fx.openSession();
    await rejectsWith(fx.configure(other, importToken), 'INVALID_ARGS', 'import_token');
  });

  it('a session that holds no call for the idle timeout is closed and freed', async () => {
    const { sessionId } = await fx.configuredSession(1);
    await fx.getNextFrame(sessionId);
    assert.equal(fx.server.manager.sessionCount, 1);
    await settle(600);
    assert.equal(fx.server.manager.sessionCount, 0);
    await rejectsWith(fx.getNextFrame(sessionId), 'INVALID_ARGS', 'session_id');
  });

  it('a pending GetNextFrame keeps its session alive past the idle timeout', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const first = await fx.getNextFrame(sessionId);
    await fx.release(sessionId, first.releaseToken);
    const pending = fx.getNextFrame(sessionId);
    await settle(700);
    assert.equal(fx.server.manager.sessionCount, 1);
    await fx.newFrame(GREEN);
    assert.equal((await pending).frameNumber, 2);
  });

  it('a cancelled GetNextFrame no longer keeps its session alive', async () => {
    await fx.sessionWithCancelledCall();
    await settle(700);
    assert.equal(fx.server.manager.sessionCount, 0, 'closed after the idle timeout, as a client gone mid-call leaves it');
  });

  it('serves 32 clients at once, each its frame, in its own size', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 32 }, (_, i) => fx.configuredSession(2, { width: 16 + 2 * i, height: 12 + i })),
    );
    const firsts = await Promise.all(sessions.map((s) => fx.getNextFrame(s.sessionId)));
    const seconds = sessions.map((s) => fx.getNextFrame(s.sessionId));
    await fx.newFrame(GREEN);
    const frames = await Promise.all(seconds);
    frames.forEach((frame, i) => {
      assert.equal(firsts[i].frameNumber, 1);
      assert.equal(frame.frameNumber, 2);
      assert.deepEqual(frame.imageSize, { width: 16 + 2 * i, height: 12 + i });
      assert.equal(frame.pixels.length, (16 + 2 * i) * (12 + i) * 4);
      const w = 16 + 2 * i;
      const centre = (Math.floor((12 + i) / 2) * w + Math.floor(w / 2)) * 4;
      assert.deepEqual([...frame.pixels.subarray(centre, centre + 4)], [0, 255, 0, 255]);
    });
    assert.equal(new Set(frames.map((f) => f.releaseToken)).size, 32);
  });

  it('refuses sessions past the maximum with LIMIT_EXCEEDED, and serves the rest meanwhile', async () => {
    await Promise.all(Array.from({ length: 40 }, () => fx.openSession()));
    const error = await rejectsWith(fx.openSession(), 'LIMIT_EXCEEDED');
    assert.equal(error.code, status.RESOURCE_EXHAUSTED);
  });

  it('stopping the server answers pending calls instead of leaving them dangling (ManagerDiesBeforeClients)', async () => {
    const { sessionId } = await fx.configuredSession(1);
    await fx.getNextFrame(sessionId);
    const pending = track(fx.getNextFrame(sessionId));
    await settle();
    await fx.server.stop(500);
    await assert.rejects(pending.promise);
  });
});
