/** The TypeScript client library against a real server. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { CaptureClient, CaptureClientError, type CapturedFrame } from '../../src/clients';
import { IDLE_STREAM_CLOSE_MS } from '../../src/clients/frame-stream';
import { solidImage } from '../support/images';
import { Fixture, settle } from '../support/fixture';
import { ForwardingServer } from '../support/forwarding-server';

describe('client library', () => {
  let fx: Fixture;
  let client: CaptureClient;
  beforeEach(async () => {
    fx = await Fixture.start({ image: solidImage(64, 48, [10, 20, 30]) });
    fx.clock.tick();
    client = new CaptureClient({ address: fx.server.address });
  });
  afterEach(async () => {
    client.close();
    await fx.stop();
  });

  /** Runs `body` with a client that reaches the server through a ForwardingServer. */
  async function throughProxy(
    options: { streamFrames: boolean },
    body: (proxy: ForwardingServer, viaProxy: CaptureClient) => Promise<void>,
  ): Promise<void> {
    const proxy = await ForwardingServer.start(fx.server.address, options);
    const viaProxy = new CaptureClient({ address: proxy.address });
    try {
      await body(proxy, viaProxy);
    } finally {
      viaProxy.close();
      await proxy.stop();
    }
  }

  it('reports the display', async () => {
    const info = await client.displayInfo();
    assert.deepEqual(info, {
      width: 64,
      height: 48,
      latestFrameNumber: 1,
      vsyncHz: 60,
      source: 'image',
      sourceLive: true,
      sourceDisplaced: false,
      sourceDetail: '',
      displays: [{ id: 0, name: 'desktop', width: 64, height: 48, x: 0, y: 0, primary: true }],
      pixelFormat: 'rgba8',
    });
  });

  it('frames() releases each frame before asking for the next, so one buffer is enough', async () => {
    const session = await client.openSession({ clientName: 'iterator' });
    await session.configure({ width: 32, height: 24, pixelFormat: 'bgra8', bufferCount: 1 });
    const controller = new AbortController();
    const seen: CapturedFrame[] = [];
    const firstPixels: number[][] = [];
    const colours = [
      [40, 50, 60],
      [70, 80, 90],
    ] as const;
    for await (const frame of session.frames({ signal: controller.signal })) {
      seen.push(frame);
      // Pixels are valid until the frame is released (the next turn of the loop): with shared
      // memory the buffer is then filled again.
      firstPixels.push([...frame.pixels.subarray(0, 4)]);
      if (seen.length === 3) controller.abort();
      else {
        const [r, g, b] = colours[seen.length - 1];
        setTimeout(() => fx.newFrame(solidImage(64, 48, [r, g, b])), 20);
      }
    }
    assert.deepEqual(
      seen.map((f) => f.frameNumber),
      [1, 2, 3],
    );
    // Each frame went back with the call for the next one (GetNextFrameRequest.release_token):
    // releasing it again does nothing, where a second ReleaseFrame would fail with INVALID_ARGS.
    await seen[0]!.release();
    await seen[1]!.release();
    assert.deepEqual(
      firstPixels,
      [
        [30, 20, 10, 255],
        [60, 50, 40, 255],
        [90, 80, 70, 255],
      ],
      'BGRA bytes',
    );
    assert.equal(seen[2].pixelFormat, 'bgra8');
    assert.deepEqual([seen[2].width, seen[2].height, seen[2].stride], [32, 24, 128]);
    await session.close();
  });

  for (const server of ['a server with StreamFrames', 'a server from before StreamFrames'] as const) {
    it(`frames() takes every frame in order from ${server}, one stream or one call per frame`, async () => {
      const streams = server === 'a server with StreamFrames';
      await throughProxy({ streamFrames: streams }, async (proxy, viaProxy) => {
        const session = await viaProxy.openSession();
        await session.configure({ width: 64, height: 48, bufferCount: 1, transport: 'inline' });
        const colours: [number, number, number][] = [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
          [10, 11, 12],
          [13, 14, 15],
        ];
        for (const round of [1, 2]) {
          // The session has seen the latest frame: the second loop starts at a new one.
          if (round === 2) await fx.newFrame(solidImage(64, 48, colours.shift()!));
          const controller = new AbortController();
          const seen: { frameNumber: number; rgb: number[] }[] = [];
          for await (const frame of session.frames({ signal: controller.signal })) {
            seen.push({ frameNumber: frame.frameNumber, rgb: [...frame.pixels.subarray(0, 3)] });
            if (seen.length === 3) controller.abort();
            else setTimeout(() => fx.newFrame(solidImage(64, 48, colours.shift()!)), 10);
          }
          const first = seen[0]!.frameNumber;
          assert.deepEqual(
            seen.map((f) => f.frameNumber),
            [first, first + 1, first + 2],
            `round ${round}`,
          );
          assert.notDeepEqual(seen[1]!.rgb, seen[2]!.rgb, 'each frame shows its own image');
          await settle();
        }
        // Both loops went on the session's one stream; without it, one call per frame, and no
        // second try.
        assert.equal(proxy.count('StreamFrames'), streams ? 1 : 0);
        assert.equal(proxy.count('GetNextFrame'), streams ? 0 : 6);
        assert.equal(viaProxy.streamFramesWorthTrying, streams);
        // Released as it went: the last frame's release went with the loop's end.
        assert.equal(proxy.count('ReleaseFrame'), 2);
        await session.close();
      });
    });
  }

  it('nextFrame(): a one-off frame is one call; a loop of them shares one stream', async () => {
    await throughProxy({ streamFrames: true }, async (proxy, viaProxy) => {
      const session = await viaProxy.openSession();
      await session.configure({ width: 64, height: 48, bufferCount: 2, transport: 'inline' });
      let frame = await session.nextFrame();
      assert.deepEqual([proxy.count('GetNextFrame'), proxy.count('StreamFrames')], [1, 0], 'a screenshot opens no stream');
      for (const colour of [1, 2, 3]) {
        const next = session.nextFrame();
        await frame.release();
        await fx.newFrame(solidImage(64, 48, [colour, colour, colour]));
        frame = await next;
        assert.deepEqual([...frame.pixels.subarray(0, 3)], [colour, colour, colour]);
      }
      assert.deepEqual([proxy.count('GetNextFrame'), proxy.count('StreamFrames')], [1, 1], 'the loop went on one stream');

      // A second request while one waits is refused as a call would be, and the first one
      // still gets its frame.
      const waiting = session.nextFrame();
      await settle();
      const second = await session.nextFrame().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(second instanceof CaptureClientError && second.errorName === 'BAD_HANGING_GET', String(second));
      await frame.release();
      await fx.newFrame(solidImage(64, 48, [4, 4, 4]));
      frame = await waiting;
      assert.equal(frame.pixels[0], 4);

      // Aborting a waiting request leaves it at the server; the next request takes its place on
      // the same stream.
      const controller = new AbortController();
      const aborted = session.nextFrame({ signal: controller.signal });
      await settle();
      controller.abort();
      await assert.rejects(aborted, { name: 'AbortError' });
      await frame.release();
      const after = session.nextFrame();
      await fx.newFrame(solidImage(64, 48, [5, 5, 5]));
      frame = await after;
      assert.equal(frame.pixels[0], 5);
      assert.equal(proxy.count('StreamFrames'), 1);

      // A request with a deadline (otherwise a call of its own) takes over an aborted one too,
      // where a call would be refused as a second hanging get; its deadline is kept.
      const callsBefore = [proxy.count('GetNextFrame'), proxy.count('StreamFrames')];
      const again = new AbortController();
      const abortedAgain = session.nextFrame({ signal: again.signal });
      await settle();
      again.abort();
      await assert.rejects(abortedAgain, { name: 'AbortError' });
      await frame.release();
      await assert.rejects(
        session.nextFrame({ timeoutMs: 50 }),
        (e: unknown) => e instanceof CaptureClientError && e.code === status.DEADLINE_EXCEEDED,
      );
      const withDeadline = session.nextFrame({ timeoutMs: 10_000 });
      await fx.newFrame(solidImage(64, 48, [6, 6, 6]));
      frame = await withDeadline;
      assert.equal(frame.pixels[0], 6);
      assert.deepEqual([proxy.count('GetNextFrame'), proxy.count('StreamFrames')], callsBefore, 'no call made, the stream kept');

      // A Configure drops what an aborted request left: the next request is a new one, of the new configuration.
      const beforeConfigure = new AbortController();
      const abandoned = session.nextFrame({ signal: beforeConfigure.signal });
      await settle();
      beforeConfigure.abort();
      await assert.rejects(abandoned, { name: 'AbortError' });
      await session.configure({ width: 32, height: 24, bufferCount: 1, transport: 'inline' });
      const reconfigured = await session.nextFrame({ signal: AbortSignal.timeout(10_000) });
      assert.deepEqual([reconfigured.width, reconfigured.height, reconfigured.pixels[0]], [32, 24, 6]);
      await reconfigured.release();
      await session.close();
    });
  });

  for (const [ending, transport] of [
    ['close-client', 'inline'],
    ['close-nothing', 'inline'],
    ['close-nothing', 'shared-memory'],
  ] as const) {
    it(`a program that took frames on the session's stream exits by itself (${ending}, ${transport})`, async () => {
      // An open stream keeps grpc-js's connection, and so the process, alive: the client closes
      // it with itself, and an idle one closes after IDLE_STREAM_CLOSE_MS.
      const ticker = setInterval(() => {
        fx.source.setImage(solidImage(64, 48, [Math.floor(Math.random() * 256), 0, 0]));
        fx.clock.tick();
      }, 10);
      const child = spawn(process.execPath, [join(__dirname, 'frames-then-exit-child.js'), fx.server.address, ending, transport], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk));
      try {
        let timer: NodeJS.Timeout | undefined;
        const exited = await Promise.race([
          once(child, 'exit'),
          new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000 + IDLE_STREAM_CLOSE_MS))),
        ]);
        clearTimeout(timer);
        assert.notEqual(exited, 'timeout', `the program did not exit: ${output}`);
        assert.deepEqual(exited, [0, null], output);
        assert.match(output, /^TOOK 3$/m);
      } finally {
        clearInterval(ticker);
        child.kill('SIGKILL');
      }
    });
  }

  it('an aborted nextFrame rejects and leaves the session usable', async () => {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, bufferCount: 2 });
    const first = await session.nextFrame();
    await first.release();
    await first.release(); // a second release is a no-op, not an INVALID_ARGS
    const controller = new AbortController();
    const waiting = session.nextFrame({ signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(waiting, { name: 'AbortError' });
    await settle();
    const next = session.nextFrame();
    await fx.newFrame(solidImage(64, 48, [1, 2, 3]));
    assert.equal((await next).frameNumber, 2);
  });

  it('errors are CaptureClientErrors with the Fuchsia name, field and reason', async () => {
    const session = await client.openSession();
    const error = await session.nextFrame().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof CaptureClientError);
    assert.equal(error.errorName, 'BAD_OPERATION');
    assert.equal(error.code, status.FAILED_PRECONDITION);
    assert.match(error.reason!, /before Configure/);
    const invalid = await session.configure({ width: 0, height: 10 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(invalid instanceof CaptureClientError);
    assert.equal(invalid.errorName, 'INVALID_ARGS');
    assert.equal(invalid.field, 'image_size.width');
  });

  it('configure again replaces the collection and the configuration', async () => {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48 });
    const a = await session.nextFrame();
    await session.configure({ width: 16, height: 12, rotation: 90 });
    await assert.rejects(a.release(), (e: unknown) => e instanceof CaptureClientError && e.errorName === 'INVALID_ARGS');
    const b = await session.nextFrame();
    assert.deepEqual([b.width, b.height, b.frameNumber], [16, 12, 1]);
  });
});
