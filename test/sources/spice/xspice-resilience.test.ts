import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource, SpiceLinkError } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { setRoot } from '../../support/spice/scene';
import { TcpProxy } from '../../support/spice/tcp-proxy';
import { SpiceCaptureStack, nextFrameSurface, settleApiAgainstXwd } from '../../support/spice/capture-stack';
import { countDifferences, describeDifferences } from '../../support/spice/compare';
import type { Surface } from '../../../src/sources/display-source';
import { delay, run, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { grabRoot } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

/** The colour at (x, y) of a bgra8 surface, as hex RGB. */
function bgrAt(surface: Surface, x: number, y: number): string {
  const i = y * surface.stride + x * 4;
  return Buffer.from([surface.pixels[i + 2], surface.pixels[i + 1], surface.pixels[i]]).toString('hex');
}

describe('SPICE source against Xspice: passwords and restarts', function () {
  this.timeout(120000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  let stack: SpiceCaptureStack | undefined;
  let proxy: TcpProxy | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-restart-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async () => {
    await source?.stop();
    await stack?.stop();
    await proxy?.stop();
    await server?.stop();
    source = undefined;
    stack = undefined;
    proxy = undefined;
    server = undefined;
  });

  it('connects with the right password', async () => {
    server = await Xspice.start({ password: 'open sesame' });
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server.port,
      password: 'open sesame',
      logger: createLogger('t', { level: 'silent' }),
    });
    await source.start(new RecordingSink());
    const surface = await waitFor(() => source!.surface(), 20000, 'the primary surface');
    assert.equal(surface.width, 1024);
    // The display channel draws while the session's other channels are still linking; the
    // source is connected once all have.
    await waitFor(() => (source!.state === 'connected' ? true : undefined), 20000, 'the source connected');
    assert.equal(source.connections, 1);
    assert.equal(source.lastError, undefined);
  });

  it('fails a wrong password with a clear PERMISSION_DENIED message, and keeps retrying', async () => {
    server = await Xspice.start({ password: 'open sesame' });
    const lines: string[] = [];
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server.port,
      password: 'wrong',
      logger: createLogger('t', { level: 'error', sink: (line) => lines.push(line) }),
      reconnect: { initialDelayMs: 100, maxDelayMs: 200 },
    });
    await source.start(new RecordingSink());
    await waitFor(() => (source!.connections === 0 && lines.length >= 2 ? true : undefined), 20000, 'two failed attempts');
    assert.ok(source.lastError instanceof SpiceLinkError);
    assert.equal((source.lastError as SpiceLinkError).code, 7);
    assert.match(lines[0], /rejected the password.*PERMISSION_DENIED/);
    assert.equal(source.surface(), undefined);
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`serves clients across a server ${signal}: the last picture meanwhile, then the restarted server's screen (no black frame)`, async () => {
      // A stippled root from the start: any all-black frame would be an empty surface published
      // before its first complete picture (MARK), at connect or after the restart. Uncompressed
      // images through a proxy that trickles them in: the surface's whole-screen image then
      // spans many vsyncs after SURFACE_CREATE, where a scheduler could latch the empty surface.
      server = await Xspice.start({ stippledRoot: true, compression: 'off' });
      const { port, display } = server;
      proxy = await TcpProxy.start(port, { chunkBytes: 32 * 1024, chunkDelayMs: 5 });
      stack = await SpiceCaptureStack.start({ port: proxy.port, reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
      const { source } = stack;
      await waitFor(() => source.surface(), 20000, 'the first picture');
      const session = await stack.openSession('restart', 1024, 768);
      await run('xsetroot', ['-solid', '#ff8000'], { env: server.env });
      const orange = await waitFor(
        async () => {
          const frame = await nextFrameSurface(session, 1000);
          return frame && bgrAt(frame, 0, 0) === 'ff8000' ? frame : undefined;
        },
        20000,
        'the orange root through the API',
      );

      await server.stop({ signal });
      await waitFor(() => (source.state !== 'connected' ? true : undefined), 20000, 'the source to notice');
      // Meanwhile a new client is served the last picture at once.
      const late = await stack.openSession('late', 1024, 768);
      const kept = await nextFrameSurface(late, 5000);
      assert.ok(kept, 'a client that connects while the SPICE server is gone gets a frame');
      assert.ok(kept.frameNumber >= orange.frameNumber);
      assert.equal(bgrAt(kept, 0, 0), 'ff8000', 'the last picture is kept');
      await late.close();
      // The first client catches up with what was latched before the server went away ...
      for (let seen = orange.frameNumber; seen < kept.frameNumber; ) {
        const frame = await nextFrameSurface(session, 5000);
        assert.ok(frame, `frame ${seen + 1}..${kept.frameNumber} for the first client`);
        seen = frame.frameNumber;
      }
      // ... and then waits for the next frame: it comes once the server is back, with
      // another size (the new surface flows through; the client keeps its configured size).
      const next = nextFrameSurface(session, 30000);
      await delay(500);
      server = await Xspice.start({ port, display, width: 800, height: 600, stippledRoot: true, compression: 'off' });
      const first = await next;
      assert.ok(first, 'a frame after the server returned');
      assert.ok(first.frameNumber > kept.frameNumber);
      assert.deepEqual([first.width, first.height], [1024, 768]);
      assert.ok(source.connections >= 2, 'reconnected');

      await setRoot(server.env, dir, '#00a040');
      const green = await waitFor(
        async () => {
          const frame = await nextFrameSurface(session, 1000);
          return frame && bgrAt(frame, 10, 10) === '00a040' ? frame : undefined;
        },
        20000,
        'the new picture through the first session',
      );
      assert.ok(green.frameNumber > first.frameNumber);
      await session.close();
      const native = await stack.openSession('after-restart', 800, 600);
      const { frame, diff, root } = await settleApiAgainstXwd(native, server.env);
      await native.close();
      assert.equal(diff, 0, `${diff} pixels differ from xwd -root: ${describeDifferences(frame, root.rgba, root.width, root.height)}`);
      const resize = stack.frames.find((f) => f.width === 800);
      assert.ok(resize, 'an 800x600 frame was latched');
      assert.deepEqual(resize.damage, [{ x: 0, y: 0, width: 800, height: 600 }], 'the new size was reported as full damage');
      assert.deepEqual(stack.blackFrames, [], `no all-black frame among the ${stack.frames.length} latched`);
    });
  }

  it('backs off further while every connection is dropped soon after it links, and starts over after one that stayed up', async () => {
    server = await Xspice.start();
    proxy = await TcpProxy.start(server.port);
    const delays: number[] = [];
    const logger = createLogger('t', {
      level: 'warn',
      sink: (line) => {
        const retry = /SPICE connection ended.* retryInMs=(\d+)/.exec(line);
        if (retry) delays.push(Number(retry[1]));
      },
    });
    const stableMs = 3000;
    const sink = new RecordingSink();
    // What a crash-looping server or a meddling middlebox does: the link succeeds, then the
    // connection is cut. The proxy still answers links, as a server that dropped this client for
    // another one does: `always` takes the session back without telling the two apart.
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: proxy.port,
      logger,
      reconnect: { initialDelayMs: 100, maxDelayMs: 800, stableMs },
      reclaim: { mode: 'always' },
    });
    let cutSoon = true;
    source.on('state', (state: string) => {
      if (state === 'connected' && cutSoon) setTimeout(() => proxy!.cutAll(), 100);
    });
    await source.start(sink);
    await waitFor(() => (delays.length >= 5 ? true : undefined), 60000, 'five short-lived connections');
    cutSoon = false;
    assert.deepEqual(delays.slice(0, 5), [100, 200, 400, 800, 800]);
    assert.ok(source.connections >= 5, `every attempt linked (${source.connections} connections)`);
    // One that shows its picture and stays up: the next reconnect starts from the shortest delay.
    const connections = source.connections;
    const marks = sink.frameRequests;
    await waitFor(
      () => (source!.connections > connections && sink.frameRequests > marks ? true : undefined),
      20000,
      'a connection with a MARK',
    );
    await delay(stableMs + 200);
    const before = delays.length;
    proxy.cutAll();
    await waitFor(() => (delays.length > before ? true : undefined), 20000, 'the reconnect after a stable connection');
    assert.equal(delays[before], 100);
  });

  it('follows a live resolution change (xrandr) with a new surface, reported as full damage', async () => {
    server = await Xspice.start();
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger: createLogger('t', { level: 'silent' }) });
    await source.start(sink);
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    await run('xrandr', ['-s', '800x600'], { env: server.env });
    await run('xsetroot', ['-solid', '#a05020'], { env: server.env });
    await waitFor(() => (source!.surface()!.width === 800 ? true : undefined), 20000, 'the new size');
    let diff = -1;
    await waitFor(
      async () => {
        const root = await grabRoot(server!.env);
        diff = countDifferences(source!.surface()!, root.rgba, root.width, root.height);
        return diff === 0 ? true : undefined;
      },
      20000,
      'the resized picture',
      300,
    );
    assert.equal(source.surface()!.height, 600);
    assert.equal(source.connections, 1, 'no reconnect was needed');
    assert.ok(
      sink.damages.some((d) => d.some((r) => r.x === 0 && r.y === 0 && r.width === 800 && r.height === 600)),
      'full damage at the new size',
    );
  });
});
