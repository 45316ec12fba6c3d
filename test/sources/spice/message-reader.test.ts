/**
 * A channel's messages read into the buffers they end up in: the reader's staging buffer for
 * headers and small messages, a body of its own for a large one, with socket reads of any size,
 * and a socket handed from the link handshake's reader to the channel's without losing a byte.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { openTransport } from '../../../src/sources/spice/link/transport';
import { ExactReader } from '../../../src/sources/spice/link/transport';
import { SocketReads } from '../../../src/sources/spice/link/socket-reads';
import { buildMessage, type SpiceMessage } from '../../../src/sources/spice/wire/framing';
import { MessageReader, STAGING_SIZE } from '../../../src/sources/spice/wire/message-reader';
import { copyInto } from '../../../src/sources/spice/wire/read-target';

/** Messages of every size class: empty, small, just under and over staging, several MB. */
function sampleMessages(): { type: number; body: Buffer }[] {
  const sizes = [0, 5, 300, 4095, 4097, STAGING_SIZE - 6, STAGING_SIZE - 5, STAGING_SIZE, 3 * STAGING_SIZE + 17, 2_500_000, 1];
  return sizes.map((size, i) => {
    const body = Buffer.alloc(size);
    for (let j = 0; j < size; j++) body[j] = (j * 31 + i * 7) & 0xff;
    return { type: 300 + i, body };
  });
}

function streamOf(messages: readonly { type: number; body: Buffer }[], miniHeader = true): Buffer {
  return Buffer.concat(messages.map((m, i) => buildMessage(m.type, m.body, miniHeader, BigInt(i + 1))));
}

function reader(miniHeader = true) {
  const received: SpiceMessage[] = [];
  const failures: Error[] = [];
  const messages = new MessageReader(
    miniHeader,
    (message) => received.push(message),
    (error) => failures.push(error),
  );
  return { messages, received, failures };
}

function assertSameMessages(received: readonly SpiceMessage[], expected: readonly { type: number; body: Buffer }[]): void {
  assert.equal(received.length, expected.length, 'message count');
  received.forEach((message, i) => {
    assert.equal(message.type, expected[i].type, `message ${i} type`);
    assert.ok(
      message.body.equals(expected[i].body),
      `message ${i} body (${message.body.length} bytes, expected ${expected[i].body.length})`,
    );
  });
}

describe('MessageReader: messages read where they are parsed', () => {
  it('reads every size of message through reads of any size, mini and full headers alike', () => {
    const expected = sampleMessages();
    for (const miniHeader of [true, false]) {
      const stream = streamOf(expected, miniHeader);
      for (const readSize of [1, 3, 6, 7, 1000, 65_536, 1 << 20]) {
        const { messages, received, failures } = reader(miniHeader);
        // As a socket read: at most readSize bytes, and at most what the lent buffer holds.
        for (let offset = 0; offset < stream.length; ) {
          const lent = messages.nextBuffer();
          const n = Math.min(lent.length, readSize, stream.length - offset);
          stream.copy(lent, 0, offset, offset + n);
          offset += n;
          messages.filled(n);
        }
        assert.deepEqual(failures, []);
        assertSameMessages(received, expected);
        assert.equal(messages.pending, 0, `nothing left over (reads of ${readSize})`);
      }
    }
  });

  it('reads a large body straight into the buffer it hands out, and gives every message a body of its own', () => {
    const { messages, received } = reader();
    const small = buildMessage(301, Buffer.from('small'), true, 1n);
    const large = Buffer.alloc(200_000, 9);
    const stream = Buffer.concat([small, buildMessage(302, large, true, 2n)]);
    copyInto(messages, stream.subarray(0, small.length + 6 + 1000));
    // The rest of the large message is read into the body itself.
    const lent = messages.nextBuffer();
    assert.equal(lent.length, large.length - 1000, 'the next read may fill the rest of the body');
    copyInto(messages, stream.subarray(small.length + 6 + 1000));
    assert.equal(received.length, 2);
    assert.equal(received[1].body.buffer, lent.buffer, 'the body is the buffer the socket read into');
    // The small body was copied out of staging: later reads into staging leave it as it was.
    copyInto(messages, Buffer.concat([buildMessage(303, Buffer.alloc(40_000, 0xee), true, 3n)]));
    assert.equal(received[0].body.toString(), 'small');
    assert.equal(received[2].body.length, 40_000);
  });

  it('refuses a header that claims an absurd size, once, and reads nothing after', () => {
    const { messages, received, failures } = reader();
    const head = Buffer.alloc(6);
    head.writeUInt16LE(302, 0);
    head.writeUInt32LE(0xffffffff, 2);
    copyInto(messages, Buffer.concat([buildMessage(301, Buffer.from([1]), true, 1n), head, buildMessage(303, Buffer.from([2]), true, 2n)]));
    copyInto(messages, buildMessage(304, Buffer.from([3]), true, 3n));
    assert.deepEqual(
      received.map((m) => m.type),
      [301],
    );
    assert.equal(failures.length, 1);
    assert.match(failures[0].message, /claims 4294967295 bytes/);
  });

  it('reports a handler that throws as the failure, and delivers nothing after', () => {
    const failures: Error[] = [];
    const types: number[] = [];
    const messages = new MessageReader(
      true,
      (message) => {
        types.push(message.type);
        if (message.type === 302) throw new Error('DRAW_COPY: truncated');
      },
      (error) => failures.push(error),
    );
    copyInto(messages, streamOf(sampleMessages().slice(0, 5)));
    assert.deepEqual(types, [300, 301, 302]);
    assert.deepEqual(
      failures.map((e) => e.message),
      ['DRAW_COPY: truncated'],
    );
  });
});

describe("SocketReads: a socket read into its readers' buffers", () => {
  let server: Server;
  let serverSide: Socket;

  beforeEach(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(async () => {
    serverSide?.destroy();
    server.close();
    await once(server, 'close');
  });

  it('takes the link reply, holds what follows until the channel reads, and loses no byte of 44 messages up to 2.5 MB', async () => {
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection');
    const reads = new SocketReads();
    const socket = await openTransport({ host: '127.0.0.1', port, connectTimeoutMs: 5000 }, reads);
    [serverSide] = (await accepted) as [Socket];
    let dataEvents = 0;
    socket.on('data', () => dataEvents++);
    try {
      const link = new ExactReader(socket, reads);
      const expected = [...sampleMessages(), ...sampleMessages(), ...sampleMessages(), ...sampleMessages()];
      const messages = streamOf(expected);
      // The link reply and the first messages in one write, as spice-server sends CURSOR_INIT.
      serverSide.write(Buffer.concat([Buffer.from('LINKREPLY'), messages.subarray(0, 100_000)]));
      assert.equal((await link.read(9, 5000, 'link reply')).toString(), 'LINKREPLY');
      const leftover = link.detach();
      // Bytes that arrive while no reader has the socket are held for the next.
      serverSide.write(messages.subarray(100_000, 2_000_000));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { messages: channel, received, failures } = reader();
      copyInto(channel, leftover);
      reads.handTo(channel);
      serverSide.end(messages.subarray(2_000_000));
      await once(socket, 'end');
      assert.deepEqual(failures, []);
      assertSameMessages(received, expected);
      assert.equal(dataEvents, 0, "the socket read into the readers' buffers, not into chunks of its own");
      assert.equal(socket.bytesRead, 9 + messages.length);
    } finally {
      socket.destroy();
    }
  });
});
