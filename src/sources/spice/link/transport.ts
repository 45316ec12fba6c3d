import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SpiceProtocolError } from '../wire/errors';
import { copyInto, type ReadTarget } from '../wire/read-target';
import type { SocketReads } from './socket-reads';

export interface TransportOptions {
  host: string;
  port: number;
  tls?: { ca?: Buffer; serverName?: string };
  /** Give up connecting after this long (ms). */
  connectTimeoutMs: number;
}

/**
 * Opens the TCP (or TLS) connection for one channel. With `reads`, its bytes go there (read into
 * its readers' buffers) and the socket emits no 'data'; without, they come as 'data' chunks.
 */
export function openTransport(options: TransportOptions, reads?: SocketReads): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tlsConnect({
          host: options.host,
          port: options.port,
          ca: options.tls.ca,
          servername: options.tls.serverName ?? (isIpAddress(options.host) ? undefined : options.host),
        })
      : netConnect({ host: options.host, port: options.port, ...(reads ? { onread: reads.onread } : {}) });
    reads?.attach(socket, options.tls !== undefined);
    const readyEvent = options.tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${options.host}:${options.port} timed out after ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** The link phase is a few hundred bytes; a server sending more than this before it ends is refused. */
const MAX_LINK_BYTES = 1024 * 1024;

/**
 * Reads exact byte counts from a socket during the link phase, before message framing starts.
 * Whatever arrives beyond the last read is handed over as `leftover`. Takes the socket's bytes
 * from `reads` when given (see openTransport), else from its 'data' events.
 */
export class ExactReader implements ReadTarget {
  private bytes = Buffer.allocUnsafe(1024);
  /** Received and not yet read: [start, end). */
  private start = 0;
  private end = 0;
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => copyInto(this, chunk);
  private readonly onEnd = () => this.fail(new SpiceProtocolError('server closed the connection during the link handshake'));
  private readonly onError = (error: Error) => this.fail(error);

  constructor(
    private readonly socket: Socket,
    private readonly reads?: SocketReads,
  ) {
    if (reads) reads.handTo(this);
    else socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  nextBuffer(): Buffer {
    if (this.end === this.bytes.length) {
      const pending = this.end - this.start;
      if (pending >= MAX_LINK_BYTES) {
        this.fail(new SpiceProtocolError(`server sent more than ${MAX_LINK_BYTES} bytes during the link handshake`));
        this.socket.destroy();
        this.start = this.end = 0;
      } else {
        const room = Buffer.allocUnsafe(Math.max(this.bytes.length, pending * 2));
        this.bytes.copy(room, 0, this.start, this.end);
        this.bytes = room;
        this.start = 0;
        this.end = pending;
      }
    }
    return this.bytes.subarray(this.end);
  }

  filled(n: number): void {
    if (this.failure) return;
    this.end += n;
    this.settle();
  }

  read(n: number, timeoutMs: number, what: string): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new SpiceProtocolError(`timed out after ${timeoutMs} ms waiting for the ${what}`));
      }, timeoutMs);
      this.waiter = {
        n,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.settle();
    });
  }

  /** Stops listening; returns bytes received past the last read. */
  detach(): Buffer {
    if (this.reads) this.reads.release();
    else this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    const rest = Buffer.from(this.bytes.subarray(this.start, this.end));
    this.start = this.end;
    return rest;
  }

  private settle(): void {
    const waiter = this.waiter;
    if (!waiter || this.end - this.start < waiter.n) return;
    this.waiter = undefined;
    const out = Buffer.from(this.bytes.subarray(this.start, this.start + waiter.n));
    this.start += waiter.n;
    waiter.resolve(out);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}
