import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SpiceProtocolError } from '../wire/errors';

export interface TransportOptions {
  host: string;
  port: number;
  tls?: { ca?: Buffer; serverName?: string };
  /** Give up connecting after this long (ms). */
  connectTimeoutMs: number;
}

/** Opens the TCP (or TLS) connection for one channel. */
export function openTransport(options: TransportOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tlsConnect({
          host: options.host,
          port: options.port,
          ca: options.tls.ca,
          servername: options.tls.serverName ?? (isIpAddress(options.host) ? undefined : options.host),
        })
      : netConnect({ host: options.host, port: options.port });
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

/**
 * Reads exact byte counts from a socket during the link phase, before message framing starts.
 * Whatever arrives beyond the last read is handed over as `leftover`.
 */
export class ExactReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.settle();
  };
  private readonly onEnd = () => this.fail(new SpiceProtocolError('server closed the connection during the link handshake'));
  private readonly onError = (error: Error) => this.fail(error);

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
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
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  private settle(): void {
    const waiter = this.waiter;
    if (!waiter || this.buffered.length < waiter.n) return;
    this.waiter = undefined;
    const out = this.buffered.subarray(0, waiter.n);
    this.buffered = this.buffered.subarray(waiter.n);
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
