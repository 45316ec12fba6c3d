import assert from 'node:assert/strict';
import { SpiceDisplaySource, SpiceLinkError } from '../../src/sources/spice';
import { createLogger } from '../../src/util/logger';
import { countDifferences } from './helpers/compare';
import { delay, run, waitFor } from './helpers/processes';
import { RecordingSink } from './helpers/recording-sink';
import { grabRoot } from './helpers/xwd';
import { Xspice } from './helpers/xspice';

describe('SPICE source against Xspice: passwords and restarts', function () {
  this.timeout(120000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;

  afterEach(async () => {
    await source?.stop();
    await server?.stop();
    source = undefined;
    server = undefined;
  });

  it('connects with the right password', async () => {
    server = await Xspice.start({ password: 'open sesame' });
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, password: 'open sesame', logger: createLogger('t', { level: 'silent' }) });
    await source.start(new RecordingSink());
    const surface = await waitFor(() => source!.surface(), 20000, 'the primary surface');
    assert.equal(surface.width, 1024);
    assert.equal(source.state, 'connected');
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

  it('keeps the last picture while the server is gone and continues after it restarts', async () => {
    server = await Xspice.start();
    const { port, display } = server;
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port,
      logger: createLogger('t', { level: 'silent' }),
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    await source.start(sink);
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    await run('xsetroot', ['-solid', '#ff8000'], { env: server.env });
    await waitFor(() => (source!.surface()!.pixels[2] === 0xff ? true : undefined), 20000, 'the orange root');
    await server.stop();
    await waitFor(() => (source!.state !== 'connected' ? true : undefined), 20000, 'the source to notice');
    const kept = source.surface()!;
    assert.deepEqual([kept.pixels[0], kept.pixels[1], kept.pixels[2], kept.pixels[3]], [0x00, 0x80, 0xff, 0xff], 'last picture kept');
    await delay(500);
    // Same port and display, a different size: the new surface must flow through.
    server = await Xspice.start({ port, display, width: 800, height: 600 });
    await waitFor(() => (source!.connections >= 2 && source!.surface()?.width === 800 ? true : undefined), 30000, 'the reconnect');
    await run('xsetroot', ['-solid', '#00a040'], { env: server.env });
    let diff = -1;
    await waitFor(
      async () => {
        const root = await grabRoot(server!.env);
        diff = countDifferences(source!.surface()!, root.rgba, root.width, root.height);
        return diff === 0 ? true : undefined;
      },
      20000,
      'the new picture',
      300,
    );
    assert.equal(source.surface()!.height, 600);
    const lastDamage = sink.damages.find((d) => d.some((r) => r.width === 800 && r.height === 600));
    assert.ok(lastDamage, 'the new size was reported as full damage');
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
    assert.ok(sink.damages.some((d) => d.some((r) => r.x === 0 && r.y === 0 && r.width === 800 && r.height === 600)), 'full damage at the new size');
  });
});
