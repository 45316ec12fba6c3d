import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource, SpiceProtocolError } from '../../src/sources/spice';
import type { ChannelConnection } from '../../src/sources/spice/channels/channel-connection';
import { DisplayChannel } from '../../src/sources/spice/display/display-channel';
import { MessageFramer, type SpiceMessage } from '../../src/sources/spice/wire/framing';
import { createLogger } from '../../src/util/logger';
import { readPcapStreams } from './helpers/pcap-reader';
import { delay, run, waitFor } from './helpers/processes';
import { RecordingSink } from './helpers/recording-sink';
import { Scene } from './helpers/scene';
import { Xspice } from './helpers/xspice';

/** Stands in for the socket side of a display channel. */
class FakeConnection {
  closedWith: Error | undefined;
  isClosed = false;
  onMessage: (m: SpiceMessage) => void = () => {};
  send(): void {}
  pause(): void {}
  resume(): void {}
  close(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedWith = error;
  }
}

/** Small seeded PRNG (mulberry32): the same mutations on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const silent = createLogger('fuzz', { level: 'silent' });

/** Replays messages into a fresh display channel; resolves once it has applied all it will. */
async function replay(messages: SpiceMessage[]) {
  const connection = new FakeConnection();
  const display = new DisplayChannel(
    connection as unknown as ChannelConnection,
    { channelId: 0, logger: silent, serverCaps: [], cacheSizePixels: 1 << 24, glzWindowPixels: 1 << 23 },
    { primaryCreated: () => {}, damage: () => {}, mark: () => {} },
  );
  for (const m of messages) {
    if (connection.isClosed) break;
    connection.onMessage(m);
  }
  await waitFor(() => (!display.busy ? true : undefined), 10000, 'the replay', 5);
  return { connection, display };
}

const DRAW_TYPES = new Set([302, 303, 304, 305, 309, 312, 313, 104, 314]);

describe('SPICE display channel fuzzing with a real session', function () {
  this.timeout(180000);
  let messages: SpiceMessage[] = [];
  let livePixels: Buffer | undefined;
  let pcapPath = '';
  let serverPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-fuzz-'));

  before(async () => {
    const server = await Xspice.start({ compression: 'auto_glz', width: 640, height: 480 });
    const source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, dumpDir: dir, logger: silent });
    const scene = new Scene(server.env, dir);
    try {
      await source.start(new RecordingSink());
      await waitFor(() => source.surface(), 20000, 'surface');
      await scene.draw();
      await delay(2500);
      livePixels = Buffer.from(source.surface()!.pixels);
    } finally {
      await source.stop();
      await scene.stop();
      await server.stop();
    }
    serverPort = server.port;
    pcapPath = join(dir, readdirSync(dir).find((f) => f.endsWith('.pcap'))!);
    const streams = readPcapStreams(pcapPath);
    assert.equal(streams.length, 2, 'main and display connections in the dump');
    // Server side of the display link: header (16), reply (size from the header), result (4).
    const server2client = streams[1].fromServer;
    const start = 16 + server2client.readUInt32LE(12) + 4;
    messages = new MessageFramer(true).push(server2client.subarray(start)).filter((m) => m.type >= 100);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the dump replays to the very picture the live session showed', async () => {
    assert.ok(messages.length > 5, `${messages.length} display messages recorded`);
    const { connection, display } = await replay(messages);
    assert.equal(connection.closedWith, undefined);
    assert.ok(display.primary());
    assert.ok(Buffer.from(display.primary()!.buffer).equals(livePixels!), 'replayed pixels equal the live surface');
  });

  it("Wireshark's SPICE dissector reads the dump (tshark, installed by scripts/setup.sh)", async () => {
    const text = (await run('tshark', ['-r', pcapPath, '-d', `tcp.port==${serverPort},spice`])).toString();
    for (const expected of ['Client link message', 'Client ticket', 'Server INIT', 'Client ATTACH_CHANNELS', 'Client INIT', 'Server SURFACE_CREATE', 'Server DRAW_COPY', 'Server MARK']) {
      assert.ok(text.includes(expected), `tshark shows "${expected}"`);
    }
    assert.ok(!/malformed/i.test(text), 'no malformed packets');
  });

  it('survives 300 mutated or truncated messages (seeded), closing the channel with a protocol error', async () => {
    const random = prng(20261122);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let closed = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const index = Math.floor(random() * messages.length);
        const original = messages[index];
        const body = Buffer.from(original.body);
        let type = original.type;
        const mode = Math.floor(random() * 4);
        let mutated: Buffer = body;
        if (mode === 0 && body.length > 0) mutated = body.subarray(0, Math.floor(random() * body.length));
        else if (mode === 1) for (let k = 0; k < 1 + Math.floor(random() * 8); k++) mutated[Math.floor(random() * Math.max(body.length, 1))] = Math.floor(random() * 256);
        else if (mode === 2 && body.length >= 4) mutated.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.floor(random() * (body.length - 3)));
        else type = 100 + Math.floor(random() * 230);
        const sequence = messages.slice(0, index).concat({ type, body: mutated }, messages.slice(index + 1, index + 5));
        const { connection } = await replay(sequence);
        if (connection.closedWith) {
          closed++;
          // Every failure is a diagnosed protocol error, not a TypeError/RangeError from a bug.
          assert.ok(connection.closedWith instanceof SpiceProtocolError, `mutation ${i}: ${connection.closedWith.stack}`);
        }
        if (mode === 0 && body.length > 0 && DRAW_TYPES.has(type) && mutated.length < body.length) {
          assert.ok(connection.closedWith instanceof SpiceProtocolError, `truncated type ${type} closes the channel with a protocol error`);
        }
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.ok(closed > 30, `${closed} of 300 mutations were detected and closed the channel`);
  });
});
