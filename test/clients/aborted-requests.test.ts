/**
 * Frame requests given up at any moment (an AbortSignal, a deadline) while frames keep coming: an
 * answer the server had already sent is the next request's, so that no buffer is left held by
 * nobody and no frame the caller never saw counts as seen. Both of a session's frame channels:
 * StreamFrames (INLINE) and the local frame socket (SHARED_MEMORY); and a server without
 * StreamFrames, where every request is a call of its own and a reply given up after it left the
 * server is taken back by the next request's held_frames.
 */
import assert from 'node:assert/strict';
import { CaptureClient, type CapturedFrame } from '../../src/clients';
import { solidImage } from '../support/images';
import { Fixture } from '../support/fixture';
import { ForwardingServer } from '../support/forwarding-server';

const ROUNDS = 150;

/** A number from a fixed sequence in [0, 1): each run gives up at the same moments. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const WAYS = [
  { transport: 'inline', calls: false, name: 'INLINE, on a StreamFrames stream' },
  { transport: 'shared-memory', calls: false, name: 'SHARED_MEMORY, on the local frame socket' },
  { transport: 'inline', calls: true, name: 'INLINE, a call each (a server without StreamFrames)' },
] as const;

for (const { transport, calls, name } of WAYS) {
  describe(`aborted frame requests: ${name}`, function () {
    this.timeout(120_000);
    let fx: Fixture;
    let proxy: ForwardingServer | undefined;
    let client: CaptureClient;
    beforeEach(async () => {
      fx = await Fixture.start({ image: solidImage(64, 48, [0, 0, 0]) });
      fx.clock.tick();
      proxy = calls ? await ForwardingServer.start(fx.server.address, { streamFrames: false }) : undefined;
      client = new CaptureClient({ address: proxy?.address ?? fx.server.address });
    });
    afterEach(async () => {
      client.close();
      await proxy?.stop();
      await fx.stop();
    });

    it(`${ROUNDS} requests given up 0-3 ms after being made, frames latched every 0-2 ms: a two-buffer session never runs dry and never sees a frame twice`, async () => {
      const session = await client.openSession();
      await session.configure({ width: 64, height: 48, bufferCount: 2, transport });
      const random = sequence(12);
      // Frames numbered in their first pixel (1..255, round and round), latched at random moments.
      let shown = 0;
      let latching = true;
      const latch = () => {
        if (!latching) return;
        shown = (shown % 255) + 1;
        void fx.newFrame(solidImage(64, 48, [shown, 0, 0]));
        setTimeout(latch, random() * 2);
      };
      latch();
      const frameNumbers: number[] = [];
      const take = (frame: CapturedFrame) => {
        frameNumbers.push(frame.frameNumber);
        assert.equal(frame.pixels.length, 64 * 48 * 4);
        return frame.release();
      };
      let given = 0;
      let answered = 0;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          // Half the requests give up by a signal, half by a deadline, 0-3 ms after being made;
          // one in five by a signal aborted at once, after the request went out.
          const wait = Math.floor(random() * 4);
          const atOnce = round % 5 === 0;
          const controller = new AbortController();
          if (!atOnce) setTimeout(() => controller.abort(), wait);
          const request =
            atOnce || round % 2 === 0 ? session.nextFrame({ signal: controller.signal }) : session.nextFrame({ timeoutMs: wait });
          if (atOnce) controller.abort();
          try {
            await take(await request);
            answered++;
          } catch (error) {
            const name = (error as Error).name;
            assert.ok(name === 'TimeoutError' || name === 'AbortError' || name === 'CaptureClientError', String(error));
            given++;
          }
          // A plain request always has a frame: no buffer is lost, so the server can answer.
          await take(await session.nextFrame({ signal: AbortSignal.timeout(10_000) }));
        }
      } finally {
        latching = false;
      }
      assert.ok(given >= ROUNDS / 5 && answered > 0, `both kinds of ending happened: ${given} given up, ${answered} answered`);
      for (let i = 1; i < frameNumbers.length; i++) {
        assert.ok(
          frameNumbers[i]! > frameNumbers[i - 1]!,
          `frame ${frameNumbers[i]} after ${frameNumbers[i - 1]}: each frame once, in order`,
        );
      }
      // The last frame shown is the one a request made now gets (or has just had): none is held back.
      const last = await session.nextFrame({ signal: AbortSignal.timeout(200) }).then(
        async (frame) => {
          const first = frame.pixels[0];
          await frame.release();
          return first;
        },
        () => undefined,
      );
      if (last !== undefined) assert.equal(last, shown, 'the newest frame');
      if (proxy) assert.ok(proxy.count('GetNextFrame') > ROUNDS, `a call per request: ${proxy.count('GetNextFrame')} calls`);
      await session.close();
    });
  });
}
