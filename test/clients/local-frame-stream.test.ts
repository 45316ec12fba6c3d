/**
 * The client library on the server's local frame socket: SHARED_MEMORY sessions take their frames
 * there, INLINE ones over gRPC; a socket that cannot be reached leaves the session on StreamFrames;
 * the server's refusals arrive as CaptureClientErrors as they do over gRPC.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { CaptureClient, CaptureClientError, type CapturedFrame, type CaptureSession } from '../../src/clients';
import { solidImage } from '../support/images';
import { Fixture, settle } from '../support/fixture';

const COLOURS = [
  [200, 10, 10],
  [10, 200, 10],
  [10, 10, 200],
] as const;

describe('client library on the local frame socket', () => {
  let fx: Fixture;
  let client: CaptureClient;
  beforeEach(async () => {
    fx = await Fixture.start({ image: solidImage(64, 48, [1, 2, 3]) });
    fx.clock.tick();
    client = new CaptureClient({ address: fx.server.address });
  });
  afterEach(async () => {
    client.close();
    await fx.stop();
  });

  /**
   * Takes the first frame and one frame of each of COLOURS with frames(), each latched after the
   * previous one arrived; returns each frame's first pixel and the socket's connections meanwhile.
   */
  async function takeColours(transport: 'inline' | 'shared-memory'): Promise<{ firstPixels: number[][]; connections: number[] }> {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, bufferCount: 2, transport, pixelFormat: 'rgba8' });
    const firstPixels: number[][] = [];
    const connections: number[] = [];
    let index = 0;
    for await (const frame of session.frames()) {
      firstPixels.push([...frame.pixels.subarray(0, 3)]);
      assert.equal(frame.pixels.length, 64 * 48 * 4);
      connections.push(fx.server.localFrameSocket?.connections ?? -1);
      const next = COLOURS[index++];
      if (!next) break;
      // Latched once this loop asks again (after this frame is released).
      setTimeout(() => void fx.newFrame(solidImage(64, 48, [...next])), 20);
    }
    await session.close();
    return { firstPixels, connections };
  }

  it('a SHARED_MEMORY session takes every frame on the socket, each in its buffer', async () => {
    const { firstPixels, connections } = await takeColours('shared-memory');
    assert.deepEqual(firstPixels, [[1, 2, 3], ...COLOURS]);
    // The first frame of a loop comes with its first request, the rest on the socket.
    assert.deepEqual(connections.slice(1), [1, 1, 1], "one connection, the session's");
    await settle();
    assert.equal(fx.server.localFrameSocket?.connections, 0, 'closed with the session');
  });

  it('an INLINE session takes its frames over gRPC, not the socket', async () => {
    const { firstPixels, connections } = await takeColours('inline');
    assert.deepEqual(firstPixels, [[1, 2, 3], ...COLOURS]);
    assert.deepEqual(connections, [0, 0, 0, 0]);
  });

  it('a socket that cannot be reached leaves the session on StreamFrames, every frame still there', async () => {
    fs.unlinkSync(fx.server.localFrameSocket!.path);
    const { firstPixels, connections } = await takeColours('shared-memory');
    assert.deepEqual(firstPixels, [[1, 2, 3], ...COLOURS]);
    assert.deepEqual(connections, [0, 0, 0, 0]);
    assert.equal(client.localFramesWorthTrying, false, 'and later sessions do not try it');
  });

  it('a session configured again for the other transport takes its frames the other way', async () => {
    const session = await client.openSession();
    const connectionsAfter = async (transport: 'inline' | 'shared-memory', colour: number): Promise<number> => {
      await session.configure({ width: 64, height: 48, bufferCount: 2, transport });
      // Two frames: the second request goes on the session's channel.
      const first = await session.nextFrame();
      const next = session.nextFrame();
      await first.release();
      await fx.newFrame(solidImage(64, 48, [colour, colour, colour]));
      const frame = await next;
      assert.equal(frame.pixels[0], colour, transport);
      await frame.release();
      await settle();
      return fx.server.localFrameSocket?.connections ?? -1;
    };
    assert.equal(await connectionsAfter('shared-memory', 40), 1, 'on the socket');
    assert.equal(await connectionsAfter('inline', 80), 0, 'the socket closed, the frames over gRPC');
    assert.equal(await connectionsAfter('shared-memory', 120), 1, 'on the socket again');
    await session.close();
  });

  /**
   * A session of two SHARED_MEMORY buffers whose frames come on the socket (its second request
   * opened it), holding the frame that request brought.
   */
  async function sessionOnTheSocket(): Promise<{ session: CaptureSession; held: CapturedFrame }> {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, bufferCount: 2, transport: 'shared-memory' });
    const first = await session.nextFrame();
    const next = session.nextFrame();
    await first.release();
    await fx.newFrame(solidImage(64, 48, [50, 50, 50]));
    const held = await next;
    assert.equal(fx.server.localFrameSocket?.connections, 1);
    return { session, held };
  }

  it('an aborted request stays at the server: the next request takes its place, on the same socket', async () => {
    const { session, held } = await sessionOnTheSocket();
    await held.release();
    const controller = new AbortController();
    const aborted = session.nextFrame({ signal: controller.signal });
    await settle();
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    await settle();
    // Not refused as a second hanging get: this request is not sent, it waits for that one's answer.
    const after = session.nextFrame();
    await fx.newFrame(solidImage(64, 48, [60, 60, 60]));
    assert.equal((await after).pixels[0], 60);
    assert.equal(fx.server.localFrameSocket?.connections, 1, 'on the same connection');
    await session.close();
  });

  it("a frame the server sent as its request was aborted is the next request's answer, with its buffer", async () => {
    const opened = await sessionOnTheSocket();
    const session = opened.session;
    let held = opened.held; // one of the two buffers
    for (let round = 0; round < 20; round++) {
      const controller = new AbortController();
      const aborted = session.nextFrame({ signal: controller.signal });
      await settle();
      // Abort just after the server answered, before this process reads the answer: it is on its
      // way (in the socket) when the caller gives up.
      const stop = fx.server.manager.observeDeliveries({ delivered: () => process.nextTick(() => controller.abort()) });
      await fx.newFrame(solidImage(64, 48, [100 + round, 0, 0]));
      await assert.rejects(aborted, { name: 'AbortError' });
      stop();
      // That frame (in the other buffer) is the one this session has not seen: the next request
      // has it, at once. Dropped, its buffer would be held by nobody, and the next request would
      // wait for a newer frame than one never seen.
      await held.release();
      held = await session.nextFrame({ signal: AbortSignal.timeout(10_000) });
      assert.equal(held.pixels[0], 100 + round, `round ${round}: the frame sent as the request was aborted`);
    }
    // Both buffers still go round: a frame after all those aborts.
    const after = session.nextFrame({ signal: AbortSignal.timeout(10_000) });
    await held.release();
    await fx.newFrame(solidImage(64, 48, [200, 0, 0]));
    held = await after;
    assert.equal(held.pixels[0], 200);
    assert.equal(fx.server.localFrameSocket?.connections, 1, 'all on one connection');
    await held.release();
    await session.close();
  });

  it("the server's refusals on the socket are CaptureClientErrors with the Fuchsia name", async () => {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, bufferCount: 2, transport: 'shared-memory' });
    let frame: CapturedFrame = await session.nextFrame();
    // The second request opens the session's channel: the socket.
    const next = session.nextFrame();
    await frame.release();
    await fx.newFrame(solidImage(64, 48, [9, 9, 9]));
    frame = await next;
    assert.equal(frame.pixels[0], 9);
    assert.equal(fx.server.localFrameSocket?.connections, 1);
    const waiting = session.nextFrame().then(
      () => undefined,
      (error: unknown) => error,
    );
    await settle();
    await fx.call(fx.capture, fx.capture.closeSession, { sessionId: session.id });
    const error = await waiting;
    assert.ok(error instanceof CaptureClientError, String(error));
    assert.equal(error.errorName, 'BAD_OPERATION', error.message);
  });
});
