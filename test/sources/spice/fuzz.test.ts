import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointerState } from '../../../src/core/pointer';
import { SpiceDisplaySource, SpiceProtocolError } from '../../../src/sources/spice';
import { CursorChannel } from '../../../src/sources/spice/cursor/cursor-channel';
import { PointerShapeRegistry } from '../../../src/sources/spice/cursor/pointer-shapes';
import { DisplayChannel } from '../../../src/sources/spice/display/display-channel';
import { CursorMsg } from '../../../src/sources/spice/wire/constants';
import { MessageFramer, type SpiceMessage } from '../../../src/sources/spice/wire/framing';
import { createLogger } from '../../../src/util/logger';
import { FakeConnection } from '../../support/spice/fake-connection';
import { readPcapStreams } from '../../support/spice/pcap-reader';
import { delay, run, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene, setRoot } from '../../support/spice/scene';
import { Xspice } from '../../support/spice/xspice';
import { prng } from '../../support/prng';

const silent = createLogger('fuzz', { level: 'silent' });

/** Replays messages into a fresh display channel; resolves once it has applied all it will. */
async function replay(messages: SpiceMessage[]) {
  const connection = new FakeConnection();
  const display = new DisplayChannel(
    connection.asConnection,
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

/** Replays messages into a fresh cursor channel; it handles each one synchronously. */
function replayCursor(messages: SpiceMessage[]) {
  const connection = new FakeConnection();
  const cursor = new CursorChannel(connection.asConnection, silent, new PointerShapeRegistry(), { pointer: () => {} });
  for (const m of messages) connection.deliver(m);
  return { connection, cursor };
}

/**
 * One seeded mutation of one message of `messages`: truncated, bytes or a word overwritten, or its
 * type replaced by one of `typeCount` types from 100. Returns the sequence to replay (the messages
 * before it, the mutant, and a few after) and what was done.
 */
function mutate(random: () => number, messages: SpiceMessage[], typeCount: number) {
  const index = Math.floor(random() * messages.length);
  const original = messages[index];
  const body = Buffer.from(original.body);
  let type = original.type;
  const mode = Math.floor(random() * 4);
  let mutated: Buffer = body;
  if (mode === 0 && body.length > 0) mutated = body.subarray(0, Math.floor(random() * body.length));
  else if (mode === 1) for (let k = 0; k < 1 + Math.floor(random() * 8); k++) mutated[Math.floor(random() * Math.max(body.length, 1))] = Math.floor(random() * 256);
  else if (mode === 2 && body.length >= 4) mutated.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.floor(random() * (body.length - 3)));
  else type = 100 + Math.floor(random() * typeCount);
  const sequence = messages.slice(0, index).concat({ type, body: mutated }, messages.slice(index + 1, index + 5));
  const truncated = mode === 0 && body.length > 0 && mutated.length < body.length;
  return { sequence, type, truncated };
}

/** Server-to-client messages of one channel connection in a dump (after its link handshake). */
function channelMessages(fromServer: Buffer): SpiceMessage[] {
  // Server side of a link: header (16), reply (size from the header), result (4).
  const start = 16 + fromServer.readUInt32LE(12) + 4;
  return new MessageFramer(true).push(fromServer.subarray(start)).filter((m) => m.type >= 100);
}

const DRAW_TYPES = new Set([302, 303, 304, 305, 309, 312, 313, 104, 314]);

describe('SPICE display channel fuzzing with a real session', function () {
  this.timeout(180000);
  let messages: SpiceMessage[] = [];
  let cursorMessages: SpiceMessage[] = [];
  let livePixels: Buffer | undefined;
  let livePointer: PointerState | undefined;
  let pcapPath = '';
  let serverPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-fuzz-'));

  before(async () => {
    const server = await Xspice.start({ compression: 'auto_glz', width: 640, height: 480 });
    const source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, dumpDir: dir, logger: silent });
    const scene = new Scene(server.env, dir);
    try {
      const sink = new RecordingSink();
      await source.start(sink);
      await waitFor(() => source.surface(), 20000, 'surface');
      await scene.draw();
      // Cursor channel traffic: ARGB cursors set, moved, replaced, hidden (a core cursor).
      for (const [index, file] of ['left_ptr', 'hand2'].entries()) {
        await run('xsetroot', ['-xcf', `/usr/share/icons/Adwaita/cursors/${file}`, '32'], { env: server.env });
        for (let k = 0; k < 3; k++) await run('xdotool', ['mousemove', String(100 + 50 * k), String(80 + 40 * index)], { env: server.env });
      }
      // Then over the bare root (not the scene's windows, whose themed cursors are ARGB), the
      // scene's root again with its blank core cursor: the channel hides the pointer.
      await run('xdotool', ['mousemove', '600', '450'], { env: server.env });
      await setRoot(server.env, dir, '#336699');
      await delay(2500);
      livePixels = Buffer.from(source.surface()!.pixels);
      livePointer = sink.pointers.at(-1);
    } finally {
      await source.stop();
      await scene.stop();
      await server.stop();
    }
    serverPort = server.port;
    pcapPath = join(dir, readdirSync(dir).find((f) => f.endsWith('.pcap'))!);
    const streams = readPcapStreams(pcapPath);
    assert.equal(streams.length, 3, 'main, display and cursor connections in the dump');
    messages = channelMessages(streams[1].fromServer);
    cursorMessages = channelMessages(streams[2].fromServer);
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
    for (const message of ['INIT', 'SET', 'MOVE', 'HIDE']) {
      assert.match(text, new RegExp(`Spice CURSOR .*Server ${message}(,|$)`, 'm'), `tshark shows the cursor channel's ${message}`);
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
        const { sequence, type, truncated } = mutate(random, messages, 230);
        const { connection } = await replay(sequence);
        if (connection.closedWith) {
          closed++;
          // Every failure is a diagnosed protocol error, not a TypeError/RangeError from a bug.
          assert.ok(connection.closedWith instanceof SpiceProtocolError, `mutation ${i}: ${connection.closedWith.stack}`);
        }
        if (truncated && DRAW_TYPES.has(type)) {
          assert.ok(connection.closedWith instanceof SpiceProtocolError, `truncated type ${type} closes the channel with a protocol error`);
        }
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.ok(closed > 30, `${closed} of 300 mutations were detected and closed the channel`);
  });

  it('the cursor channel replays to the live pointer, and survives 300 mutated cursor messages (seeded)', () => {
    const types = new Set(cursorMessages.map((m) => m.type));
    for (const t of [CursorMsg.INIT, CursorMsg.SET, CursorMsg.MOVE, CursorMsg.HIDE]) assert.ok(types.has(t), `the dump holds cursor message ${t}`);
    const clean = replayCursor(cursorMessages);
    assert.equal(clean.connection.closedWith, undefined);
    assert.ok(livePointer?.shape, 'the live session reported a pointer with a shape');
    assert.equal(livePointer.visible, false, 'hidden at the end: the last cursor was a core one');
    const replayed = clean.cursor.pointer!;
    assert.deepEqual([replayed.x, replayed.y, replayed.visible], [livePointer.x, livePointer.y, livePointer.visible]);
    assert.ok(replayed.shape!.rgba.equals(livePointer.shape.rgba), 'the replayed shape is the live one');
    const random = prng(20261207);
    let closed = 0;
    for (let i = 0; i < 300; i++) {
      const { sequence, type, truncated } = mutate(random, cursorMessages, 10);
      const { connection } = replayCursor(sequence);
      if (connection.closedWith) {
        closed++;
        assert.ok(connection.closedWith instanceof SpiceProtocolError, `mutation ${i}: ${connection.closedWith.stack}`);
      }
      if (truncated && (type === CursorMsg.INIT || type === CursorMsg.SET || type === CursorMsg.MOVE)) {
        assert.ok(connection.closedWith instanceof SpiceProtocolError, `truncated cursor message ${type} closes the channel with a protocol error`);
      }
    }
    assert.ok(closed > 30, `${closed} of 300 mutations were detected and closed the channel`);
  });
});
