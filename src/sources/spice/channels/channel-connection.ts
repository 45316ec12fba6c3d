import type { Socket } from 'node:net';
import type { Logger } from '../../../util/logger';
import type { ByteTap, LinkedChannel } from '../link/link-handshake';
import { BaseMsg, BaseMsgc } from '../wire/constants';
import { SpiceProtocolError, SpiceServerClosedError } from '../wire/errors';
import { buildMessage, type SpiceMessage } from '../wire/framing';
import { MessageReader } from '../wire/message-reader';
import { copyInto, type ReadTarget } from '../wire/read-target';
import { ByteReader } from '../wire/reader';

/**
 * What a channel handler (display, cursor, main) needs of the connection it reads: its messages
 * in order, the end, and a way to answer. A relayed connection (share/) implements it too, with
 * a `send` that never writes: there the viewer is the one answering the server.
 */
export interface MessageChannel {
  readonly name: string;
  onMessage: (message: SpiceMessage) => void;
  onClose: (error: Error | undefined) => void;
  send(type: number, body?: Buffer): void;
  pause(): void;
  resume(): void;
  close(error?: Error): void;
  readonly isClosed: boolean;
}

/**
 * One linked channel after the handshake: frames messages, answers the base protocol itself
 * (SET_ACK -> ACK_SYNC and ACKs, PING -> PONG at once, since the server's bandwidth test times the
 * answers), logs DISCONNECTING/NOTIFY, and hands every other message to the channel's handler.
 * Any error (socket, framing, handler) closes the connection once, reported through `onClose`.
 */
export class ChannelConnection implements MessageChannel {
  private readonly messages: MessageReader;
  private readonly socket: Socket;
  private serial = 0n;
  private ackWindow = 0;
  private unacked = 0;
  private closed = false;
  private handler: ((message: SpiceMessage) => void) | undefined;
  /**
   * Messages that came before the owner set its handler. A server may send its first messages
   * in the same segment as the end of the link handshake (spice-server's CURSOR_INIT does), and
   * those bytes are read before the owner exists; dropping them loses the initial pointer.
   */
  private held: SpiceMessage[] = [];

  /** Set by the owner: non-base messages, in order (any that came before it are handed over at once). */
  set onMessage(handler: (message: SpiceMessage) => void) {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    try {
      for (const message of held) if (!this.closed) handler(message);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }

  get onMessage(): (message: SpiceMessage) => void {
    return this.handler ?? ((message) => this.held.push(message));
  }
  /** Set by the owner: called once when the connection ends, with the reason if it failed. */
  onClose: (error: Error | undefined) => void = () => {};

  constructor(
    linked: LinkedChannel,
    readonly name: string,
    private readonly logger: Logger,
    private readonly tap?: ByteTap,
  ) {
    this.socket = linked.socket;
    this.miniHeader = linked.miniHeader;
    this.messages = new MessageReader(
      linked.miniHeader,
      (message) => this.receive(message),
      (error) => this.close(error),
    );
    this.socket.on('error', (error) => this.close(error));
    this.socket.on('close', () => this.close(new SpiceServerClosedError(`${name} channel: server closed the connection`)));
    // After the owner has set its handlers (onClose above all): the bytes that came with the
    // link's end first, then the socket's.
    queueMicrotask(() => {
      const target = tap ? tapped(this.messages, tap) : this.messages;
      copyInto(target, linked.leftover);
      linked.reads.handTo(target);
    });
  }
  /** Bytes received on this channel's socket so far (TLS records included). */
  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  private readonly miniHeader: boolean;

  send(type: number, body: Buffer = Buffer.alloc(0)): void {
    if (this.closed) return;
    this.serial += 1n;
    const bytes = buildMessage(type, body, this.miniHeader, this.serial);
    this.tap?.sent(bytes);
    this.socket.write(bytes);
  }

  /** Stops reading (back-pressure while the owner catches up) and resumes. */
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(error);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One message off the socket; a throw here closes the connection (the reader's `fail`). */
  private receive(message: SpiceMessage): void {
    if (this.closed) return;
    this.countForAck();
    if (message.type < 100) this.handleBase(message);
    else this.onMessage(message);
  }

  private countForAck(): void {
    if (this.ackWindow === 0) return;
    this.unacked += 1;
    if (this.unacked >= this.ackWindow) {
      this.unacked = 0;
      this.send(BaseMsgc.ACK);
    }
  }

  private handleBase(message: SpiceMessage): void {
    const r = new ByteReader(message.body, 0, `${this.name} base message ${message.type}`);
    switch (message.type) {
      case BaseMsg.SET_ACK: {
        const generation = r.u32('SET_ACK.generation');
        const window = r.u32('SET_ACK.window');
        const body = Buffer.alloc(4);
        body.writeUInt32LE(generation, 0);
        this.send(BaseMsgc.ACK_SYNC, body);
        this.ackWindow = window;
        this.unacked = 0;
        return;
      }
      case BaseMsg.PING: {
        const id = r.u32('PING.id');
        const timestamp = r.u64('PING.timestamp');
        const body = Buffer.alloc(12);
        body.writeUInt32LE(id, 0);
        body.writeBigUInt64LE(timestamp, 4);
        this.send(BaseMsgc.PONG, body);
        return;
      }
      case BaseMsg.DISCONNECTING: {
        r.u64('DISCONNECTING.time_stamp');
        const reason = r.u32('DISCONNECTING.reason');
        this.logger.info('server is disconnecting the channel', { channel: this.name, reason });
        return;
      }
      case BaseMsg.NOTIFY: {
        r.u64('NOTIFY.time_stamp');
        const severity = r.u32('NOTIFY.severity');
        r.u32('NOTIFY.visibility');
        const what = r.u32('NOTIFY.what');
        const length = r.u32('NOTIFY.message_len');
        const text = r.bytes(Math.min(length, r.remaining), 'NOTIFY.message').toString('utf8').replace(/\0+$/, '');
        this.logger.info('server notice', { channel: this.name, severity, what, text });
        return;
      }
      case BaseMsg.LIST:
        // Sub-message lists only accompany the full header, which this client avoids when the
        // server offers mini headers; real servers never send them to a display client.
        throw new SpiceProtocolError(`${this.name}: sub-message LIST is not supported`);
      default:
        // MIGRATE, MIGRATE_DATA, WAIT_FOR_CHANNELS: nothing a capture client must act on.
        this.logger.debug('ignoring base message', { channel: this.name, type: message.type });
    }
  }
}

/** `target`, with a copy of every read passed to the protocol dump. */
function tapped(target: ReadTarget, tap: ByteTap): ReadTarget {
  let lent: Buffer = Buffer.alloc(0);
  return {
    nextBuffer: () => {
      lent = target.nextBuffer();
      return lent;
    },
    filled: (n) => {
      tap.received(Buffer.from(lent.subarray(0, n)));
      target.filled(n);
    },
  };
}
