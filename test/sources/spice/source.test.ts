import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { SpiceDisplaySource, SpiceLinkError } from '../../../src/sources/spice';
import { PcapDump } from '../../../src/sources/spice/dump/pcap-dump';
import { createLogger } from '../../../src/util/logger';
import { readPcapStreams } from '../../support/spice/pcap-reader';
import { delay, freePort, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';

const silent = createLogger('t', { level: 'silent' });

describe('SpiceDisplaySource options and lifecycle', () => {
  it('rejects bad options with a TypeError naming the field', () => {
    const cases: [object, RegExp][] = [
      [{ host: '', port: 5900 }, /options\.host/],
      [{ host: 'h', port: 0 }, /options\.port/],
      [{ host: 'h', port: 5900, password: 'x'.repeat(60) }, /options\.password/],
      [{ host: 'h', port: 5900, preferredCompression: 'zip' }, /options\.preferredCompression/],
      [{ host: 'h', port: 5900, reconnect: { initialDelayMs: 0, maxDelayMs: 10 } }, /options\.reconnect/],
      [{ host: 'h', port: 5900, reconnect: { initialDelayMs: 10, maxDelayMs: 20, stableMs: -1 } }, /options\.reconnect\.stableMs/],
      [{ host: 'h', port: 5900, connectTimeoutMs: -1 }, /options\.connectTimeoutMs/],
      [{ host: 'h', port: 5900, dumpDir: '' }, /options\.dumpDir/],
      [{ host: 'h', port: 5900, reclaim: { mode: 'sometimes' } }, /options\.reclaim\.mode: must be 'never', 'after' or 'always'/],
      [{ host: 'h', port: 5900, reclaim: { mode: 'after', delayMs: 0 } }, /options\.reclaim\.delayMs: must be a positive number/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new SpiceDisplaySource(options as never),
        (e: unknown) => e instanceof TypeError && message.test(e.message),
      );
    }
  });

  it('with no server: no surface, retries with backoff, stops cleanly and calls nothing afterwards', async () => {
    const port = await freePort();
    const source = new SpiceDisplaySource({ host: '127.0.0.1', port, logger: silent, reconnect: { initialDelayMs: 20, maxDelayMs: 40 } });
    assert.equal(source.description, `spice://127.0.0.1:${port}`);
    const states: string[] = [];
    source.on('state', (s: string) => states.push(s));
    const sink = new RecordingSink();
    await source.start(sink);
    await assert.rejects(source.start(sink), /cannot start: it is/);
    await waitFor(() => (states.filter((s) => s === 'waiting').length >= 3 ? true : undefined), 10000, 'three attempts');
    assert.match(source.lastError!.message, /ECONNREFUSED/);
    assert.equal(source.surface(), undefined);
    assert.equal(source.isLatchable(), true);
    await source.stop();
    await source.stop();
    assert.equal(source.state, 'stopped');
    assert.deepEqual(sink.damages, []);
    assert.equal(sink.frameRequests, 0);
  });

  it('refuses to start when the dump directory cannot be created', async () => {
    // A path below a regular file can never be a directory.
    const file = join(mkdtempSync(join(tmpdir(), 'screencap-spice-')), 'file');
    writeFileSync(file, '');
    const source = new SpiceDisplaySource({ host: '127.0.0.1', port: 1, dumpDir: join(file, 'dump'), logger: silent });
    await assert.rejects(source.start(new RecordingSink()), /ENOTDIR|EEXIST/);
    rmSync(dirname(file), { recursive: true, force: true });
  });

  it('writes nothing to a closed dump: a channel closing after stop() is not a dump failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-'));
    const errors: string[] = [];
    const dump = new PcapDump(dir, 5930, createLogger('t', { level: 'error', sink: (line) => errors.push(line) }));
    const tap = dump.connection();
    tap.sent(Buffer.from('REDQ'));
    const closing = dump.close();
    // What a socket that closes while the source is stopping does, before the file is flushed.
    tap.received(Buffer.from('late'));
    tap.closed();
    await closing;
    await dump.close();
    await delay(50);
    assert.deepEqual(errors, []);
    const streams = readPcapStreams(dump.path);
    assert.equal(streams.length, 1);
    assert.deepEqual([streams[0].fromClient.toString(), streams[0].fromServer.length], ['REDQ', 0]);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('against peers that are not SPICE servers', () => {
    let server: Server | undefined;
    let source: SpiceDisplaySource | undefined;

    afterEach(async () => {
      await source?.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      source = undefined;
      server = undefined;
    });

    /** A loopback server answering every connection with `reply`, then closing it. */
    async function fakeServer(reply: Buffer): Promise<number> {
      server = createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.end(reply));
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
      const address = server.address();
      return typeof address === 'object' && address ? address.port : 0;
    }

    const cases: [string, Buffer, RegExp][] = [
      ['an HTTP server', Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), /expected "REDQ": is this a SPICE port\?/],
      ['a server that hangs up', Buffer.alloc(0), /closed the connection during the link handshake/],
      [
        'a truncated link reply',
        Buffer.concat([Buffer.from('REDQ'), Buffer.from([2, 0, 0, 0, 2, 0, 0, 0, 200, 0, 0, 0]), Buffer.alloc(10)]),
        /closed the connection during the link handshake/,
      ],
      [
        'a link error',
        Buffer.concat([Buffer.from('REDQ'), Buffer.from([2, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 9, 0, 0, 0])]),
        /CHANNEL_NOT_AVAILABLE/,
      ],
    ];
    it('fails a server of another major protocol version with a VERSION_MISMATCH link error', async () => {
      // A link reply header as a SPICE 1.x server would send it, answering our REDQ 2.2.
      const header = Buffer.alloc(16);
      header.write('REDQ', 0, 'latin1');
      header.writeUInt32LE(1, 4);
      header.writeUInt32LE(3, 8);
      header.writeUInt32LE(4, 12);
      const port = await fakeServer(Buffer.concat([header, Buffer.alloc(4)]));
      source = new SpiceDisplaySource({ host: '127.0.0.1', port, logger: silent, reconnect: { initialDelayMs: 50, maxDelayMs: 50 } });
      await source.start(new RecordingSink());
      const error = await waitFor(() => source!.lastError, 10000, 'the failure');
      assert.ok(error instanceof SpiceLinkError, `a SpiceLinkError, got ${error.name}`);
      assert.equal(error.code, 4);
      assert.equal(error.message, 'SPICE server speaks protocol 1.3, this client 2.2 (VERSION_MISMATCH)');
      assert.equal(source.connections, 0);
      assert.equal(source.surface(), undefined);
    });

    for (const [what, reply, message] of cases) {
      it(`fails ${what} with a clear reason and keeps running`, async () => {
        const port = await fakeServer(reply);
        source = new SpiceDisplaySource({ host: '127.0.0.1', port, logger: silent, reconnect: { initialDelayMs: 50, maxDelayMs: 50 } });
        await source.start(new RecordingSink());
        await waitFor(() => source!.lastError, 10000, 'the failure');
        assert.match(source.lastError!.message, message);
        assert.equal(source.surface(), undefined);
      });
    }
  });
});
