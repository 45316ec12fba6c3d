import { connect, createServer, type Server, type Socket } from 'node:net';
import { delay } from './processes';

/** One connection's bytes, seen on their way: the client's as they are, the server's as returned. */
export interface ConnectionRewriter {
  clientData(data: Buffer): void;
  serverData(data: Buffer): Buffer[];
}

export interface TcpProxyOptions {
  /** A rewriter for each connection (what the server sends passes as it returns it). */
  rewrite?: () => ConnectionRewriter;
  /** Hand the server's bytes to the client at most this many at a time ... */
  chunkBytes?: number;
  /** ... this long apart, so that what a server sends in one go arrives over several event-loop turns. */
  chunkDelayMs?: number;
}

/**
 * A loopback TCP proxy in front of a server port, owned by a test: it can slow the server's
 * traffic down and cut every connection at once (what a network or a crashing peer does).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (client) => proxy.relay(client, targetPort, options));
    return proxy;
  }

  /** Closes every connection now; new ones are still accepted. */
  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number, options: TcpProxyOptions): void {
    this.accepted++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    const rewriter = options.rewrite?.();
    if (rewriter) {
      client.on('data', (data: Buffer) => {
        rewriter.clientData(data);
        upstream.write(data);
      });
      upstream.on('data', (data: Buffer) => {
        for (const piece of rewriter.serverData(data)) client.write(piece);
      });
      return;
    }
    client.pipe(upstream);
    if (!options.chunkBytes) {
      upstream.pipe(client);
      return;
    }
    const size = options.chunkBytes;
    const pause = options.chunkDelayMs ?? 0;
    // Server to client in small pieces: pause the upstream while a chunk's pieces trickle out.
    upstream.on('data', (data: Buffer) => {
      upstream.pause();
      void (async () => {
        for (let i = 0; i < data.length && !client.destroyed; i += size) {
          client.write(data.subarray(i, i + size));
          await delay(pause);
        }
        upstream.resume();
      })();
    });
  }
}
