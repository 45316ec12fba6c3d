/**
 * A frame answered just as its stream ended never reaches the client, nor does its release
 * token: the server takes the buffer back and counts the next frame's damage from what the
 * client really has. Otherwise a session with one buffer waited forever after such a race,
 * until it was configured again.
 */
import assert from 'node:assert/strict';
import { FrameRequestStream, type FrameReplies } from '../../src/server/frame-requests';
import type { FrameDelivery } from '../../src/server/session';
import { CursorMode } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { solidImage } from '../support/images';
import { Fixture, settle } from '../support/fixture';
import { PointerImageSource, pointerShape } from '../support/pointer-source';

/** Replies kept in a list; `gone` is set by the test. */
class ListReplies implements FrameReplies {
  readonly sent: FrameDelivery[] = [];
  readonly failures: unknown[] = [];
  gone = false;

  send(delivery: FrameDelivery): void {
    this.sent.push(delivery);
    delivery.sent();
  }

  fail(error: unknown): void {
    this.failures.push(error);
  }
}

describe('replies that could not be sent', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await Fixture.start();
  });
  afterEach(async () => {
    await fx.stop();
  });

  async function oneBufferSession(): Promise<string> {
    const sessionId = await fx.openSession();
    await fx.configure(sessionId, await fx.register(sessionId, 1));
    return sessionId;
  }

  /** A frame latched and asked for on a stream whose other end goes away while it is made. */
  async function answerAsStreamEnds(sessionId: string): Promise<void> {
    fx.clock.tick();
    await settle();
    const lost = new ListReplies();
    const first = new FrameRequestStream(fx.server.manager, lost);
    first.request({ sessionId, releaseToken: '' });
    lost.gone = true;
    await settle();
    assert.equal(lost.sent.length, 0, 'nothing was sent on the stream that went away');
    first.close();
  }

  it("a frame answered as its stream ended goes back: the session's next request gets it, damage whole", async () => {
    const sessionId = await oneBufferSession();
    await answerAsStreamEnds(sessionId);

    const replies = new ListReplies();
    new FrameRequestStream(fx.server.manager, replies).request({ sessionId, releaseToken: '' });
    await settle();
    assert.equal(replies.sent.length, 1, "the session's one buffer was free again");
    const [delivery] = replies.sent;
    assert.equal(delivery!.frameNumber, 1, 'the frame the client never saw');
    assert.deepEqual(delivery!.damage, [{ x: 0, y: 0, width: 64, height: 48 }], 'damage counted from nothing received');
    assert.deepEqual(replies.failures, []);
  });

  it('a frame withdrawn after a newer one was delivered changes nothing but its own buffer', async () => {
    const sessionId = await oneBufferSession();
    fx.clock.tick();
    await settle();
    const replies = new ListReplies();
    const stream = new FrameRequestStream(fx.server.manager, replies);
    stream.request({ sessionId, releaseToken: '' });
    await settle();
    const first = replies.sent[0]!;
    // Released with the next request; a second frame comes; then the first is withdrawn late
    // (it was released already: nothing happens).
    await fx.newFrame(solidImage(64, 48, [0, 0, 255]));
    stream.request({ sessionId, releaseToken: first.releaseToken });
    await settle();
    assert.equal(replies.sent.length, 2);
    first.withdraw();
    const session = fx.server.manager.session(sessionId);
    assert.equal(session.configuration!.lastDeliveredFrame, 2, 'the newer delivery stands');
    assert.equal(session.configuration!.heldBuffers.size, 1, 'the second frame is still held');
  });

  it("a pointer shape whose frame was withdrawn comes again with the session's next frame", async () => {
    // METADATA sends a shape's bytes once per configuration: a reply that carried them and never
    // reached the client must not count as sent, or the client would never have the shape.
    await fx.stop();
    const source = new PointerImageSource(solidImage(64, 48, [0, 128, 0]));
    fx = await Fixture.start({ source });
    const shape = await pointerShape('arrow', 7);
    source.setPointer({ x: 20, y: 10, visible: true, shape });
    const sessionId = await fx.openSession();
    await fx.configure(sessionId, await fx.register(sessionId, 1), { cursorMode: CursorMode.CURSOR_MODE_METADATA });
    await answerAsStreamEnds(sessionId);

    const replies = new ListReplies();
    const stream = new FrameRequestStream(fx.server.manager, replies);
    stream.request({ sessionId, releaseToken: '' });
    await settle();
    const [again] = replies.sent;
    assert.equal(again?.pointer?.shapeId, 7);
    assert.equal(again?.pointer?.shape, shape, 'the shape, sent again');
    // Delivered this time, it is not sent a third time.
    source.setPointer({ x: 30, y: 12, visible: true, shape });
    fx.clock.tick();
    stream.request({ sessionId, releaseToken: again!.releaseToken });
    await settle();
    assert.equal(replies.sent.length, 2);
    assert.equal(replies.sent[1]!.pointer?.shapeId, 7);
    assert.equal(replies.sent[1]!.pointer?.shape, undefined, 'kept by the client since the last frame');
    assert.deepEqual(replies.failures, []);
  });
});
