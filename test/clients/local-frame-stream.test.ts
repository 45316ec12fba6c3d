/**
 * The client library on the server's local frame socket: SHARED_MEMORY sessions take their frames
 * there, INLINE ones over gRPC; a socket that cannot be reached leaves the session on StreamFrames;
 * the server's refusals arrive as CaptureClientErrors as they do over gRPC.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { CaptureClient, CaptureClientError, type CapturedFrame } from '../../src/clients';
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

  it('aborting a request that waits on the socket closes it; the next request opens another', async () => {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, bufferCount: 2, transport: 'shared-memory' });
    const first = await session.nextFrame();
    const next = session.nextFrame();
    await first.release();
    await fx.newFrame(solidImage(64, 48, [50, 50, 50]));
    const second = await next;
    await second.release();
    assert.equal(fx.server.localFrameSocket?.connections, 1);
    const controller = new AbortController();
    const aborted = session.nextFrame({ signal: controller.signal });
    await settle();
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    await settle();
    assert.equal(fx.server.localFrameSocket?.connections, 0, 'the socket closed, its request withdrawn');
    // Not refused as a second hanging get: the server let the aborted request go.
    const after = session.nextFrame();
    await fx.newFrame(solidImage(64, 48, [60, 60, 60]));
    assert.equal((await after).pixels[0], 60);
    assert.equal(fx.server.localFrameSocket?.connections, 1, 'on a new connection');
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
