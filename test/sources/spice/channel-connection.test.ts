/**
 * A linked channel hands its owner every message, including those read together with the end of
 * the link handshake before the owner existed (spice-server sends CURSOR_INIT at once).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ChannelConnection } from '../../../src/sources/spice/channels/channel-connection';
import { SocketReads } from '../../../src/sources/spice/link/socket-reads';
import { CursorMsg } from '../../../src/sources/spice/wire/constants';
import { buildMessage, type SpiceMessage } from '../../../src/sources/spice/wire/framing';
import { createLogger } from '../../../src/util/logger';
import { delay } from '../../support/spice/processes';

const logger = createLogger('t', { level: 'silent' });

describe('ChannelConnection: messages before the owner listens', () => {
  let server: Server;
  let serverSide: Socket;
  let clientSide: Socket;

  beforeEach(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection');
    clientSide = connect({ host: '127.0.0.1', port });
    [serverSide] = (await accepted) as [Socket];
    await once(clientSide, 'connect');
  });

  afterEach(async () => {
    clientSide.destroy();
    serverSide.destroy();
    server.close();
    await once(server, 'close');
  });

  /** As the session links a channel: the connection is made in one async step, its owner in the next. */
  async function linked(leftover: Buffer): Promise<ChannelConnection> {
    await delay(0);
    const reads = new SocketReads();
    reads.attach(clientSide, true);
    return new ChannelConnection(
      { socket: clientSide, reads, miniHeader: true, serverCommonCaps: [], serverChannelCaps: [], leftover },
      'cursor #0',
      logger,
    );
  }

  it('hands the owner the messages of the leftover bytes once it listens, then later ones, in order', async () => {
    const init = buildMessage(CursorMsg.INIT, Buffer.from([1, 2, 3]), true, 1n);
    const move = buildMessage(CursorMsg.MOVE, Buffer.from([4, 0, 5, 0]), true, 2n);
    // The INIT whole and the start of the MOVE came with the link reply.
    const connection = await linked(Buffer.concat([init, move.subarray(0, 3)]));
    await delay(20);
    const received: SpiceMessage[] = [];
    connection.onMessage = (message) => received.push(message);
    assert.deepEqual(
      received.map((m) => [m.type, [...m.body]]),
      [[CursorMsg.INIT, [1, 2, 3]]],
    );
    serverSide.write(move.subarray(3));
    await waitForCount(received, 2);
    assert.deepEqual(
      received.map((m) => [m.type, [...m.body]]),
      [
        [CursorMsg.INIT, [1, 2, 3]],
        [CursorMsg.MOVE, [4, 0, 5, 0]],
      ],
    );
    assert.equal(connection.isClosed, false);
  });

  it('a held message its handler throws on closes the connection with that error', async () => {
    const connection = await linked(buildMessage(CursorMsg.INIT, Buffer.alloc(0), true, 1n));
    await delay(20);
    let closedWith: Error | undefined;
    connection.onClose = (error) => (closedWith = error);
    connection.onMessage = () => {
      throw new Error('CURSOR_INIT: truncated');
    };
    assert.equal(connection.isClosed, true);
    assert.match(String(closedWith), /CURSOR_INIT: truncated/);
  });
});

async function waitForCount(list: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 200 && list.length < count; i++) await delay(10);
  assert.equal(list.length, count);
}
