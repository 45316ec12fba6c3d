/**
 * The local frame socket: StreamFrames over a Unix socket, for clients on the server's machine
 * (proto/screencapture/v1/local_frames.proto says what travels on it).
 *
 * Why: a frame announced on StreamFrames passes through HTTP/2 and grpc-js at both ends. On this
 * kind of 2-core VM a small message every 16.7 ms takes 0.8-0.9 ms from one process to another
 * that way at the median and 1.6-4.4 ms at p99, against 0.3 and 0.8-1.3 ms on a bare Unix socket
 * (docs/PERFORMANCE.md), and a shared-memory frame is nothing but such a message: its pixels are
 * already in the client's buffer.
 *
 * Where: a directory of its own made by mkdtemp (mode 0700) in $XDG_RUNTIME_DIR when that is set,
 * else in the temporary directory, holding the socket (mode 0600): only processes of the
 * server's user can connect, the same ones that can make SHARED_MEMORY buffer files the server
 * accepts. The session id (a bearer secret) and, when the server has one, its token are checked
 * as on gRPC. Closing removes the socket and its directory; a server that could not (killed) has
 * its directory removed by the next one to start (stale-frame-sockets.ts).
 */
import fs = require('node:fs');
import net = require('node:net');
import os = require('node:os');
import path = require('node:path');
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Status } from '../gen/google/rpc/status.pb';
import { LocalFrameReply, LocalFrameRequest } from '../gen/screencapture/v1/local_frames.pb';
import { FrameInfo } from '../gen/screencapture/v1/screen_capture.pb';
import { type FramingError, framedMessage, messagePrefix, MessageReader } from '../protocol/length-prefixed';
import type { Logger } from '../util/logger';
import { bearerTokenRefusal, RefusalLog } from './auth';
import { logFailure } from './call-handler';
import type { CaptureManager } from './capture-manager';
import { invalid, internalStatus, rpcStatus } from './errors';
import { FrameRequestStream } from './frame-requests';
import type { FrameDelivery } from './session';
import { removeStaleSocketDirectories, SOCKET_DIRECTORY_PREFIX, SOCKET_NAME } from './stale-frame-sockets';

const METHOD = 'local frame socket';

/** The longest message a client may send: a request is a session id, a token and an authorization. */
export const LOCAL_REQUEST_LIMIT = 4096;

/** A connection that has not sent its first request within this long is closed. */
const FIRST_REQUEST_TIMEOUT_MS = 10_000;

/** How long a connection the server has ended waits for the client to close it. */
const END_GRACE_MS = 1000;

/** LocalFrameReply's field number of its frame. */
const REPLY_FRAME_FIELD = 1;

export interface LocalFrameSocketOptions {
  manager: CaptureManager;
  logger: Logger;
  /** The FrameInfo a delivery is answered with (INLINE full frames' pixels left out). */
  frameInfo: (delivery: FrameDelivery) => FrameInfo;
  /** The server's bearer token, when it requires one. */
  token?: string;
  /** Connections open at once; one more is refused with RESOURCE_EXHAUSTED. */
  maxConnections: number;
}

/** The directory the socket's own directory is made in. */
function defaultParent(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime) {
    try {
      if (fs.statSync(runtime).isDirectory()) return runtime;
    } catch {
      // Set but absent (a session that ended): the temporary directory will do.
    }
  }
  return os.tmpdir();
}

export class LocalFrameSocketServer {
  private readonly connections = new Set<net.Socket>();
  /** Refused tokens, logged at most once per interval (a looping client cannot flood the log). */
  private refusals: RefusalLog | undefined;

  private constructor(
    private readonly server: net.Server,
    /** The socket's path, as OpenSessionResponse.local_frame_socket gives it. */
    readonly path: string,
    private readonly directory: string,
  ) {}

  static async listen(options: LocalFrameSocketOptions): Promise<LocalFrameSocketServer> {
    const parent = defaultParent();
    const removed = await removeStaleSocketDirectories(parent);
    if (removed > 0) options.logger.info('removed the socket directories of servers that are gone', { parent, removed });
    const directory = fs.mkdtempSync(path.join(parent, SOCKET_DIRECTORY_PREFIX));
    const socketPath = path.join(directory, SOCKET_NAME);
    const server = net.createServer();
    const self = new LocalFrameSocketServer(server, socketPath, directory);
    server.on('connection', (socket) => self.serve(socket, options));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
      fs.chmodSync(socketPath, 0o600);
    } catch (error) {
      server.close();
      fs.rmSync(directory, { recursive: true, force: true });
      throw error;
    }
    return self;
  }

  /** Connections open now (one per session taking frames here). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops listening, closes every connection (withdrawing their waiting requests), removes the socket. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  private serve(socket: net.Socket, options: LocalFrameSocketOptions): void {
    const { manager, logger, token } = options;
    this.connections.add(socket);
    /** The deliveries written and not yet flushed: their frames are let go if the socket closes first. */
    const unsent = new Set<() => void>();
    let firstRequestTimer: NodeJS.Timeout | undefined;
    const endWith = (statusMessage: Status) => {
      if (socket.destroyed || socket.writableEnded) return;
      socket.end(framedMessage(LocalFrameReply.encode({ reply: { $case: 'status', value: statusMessage } }).finish()));
      // What the client sends after this is not read (nor kept), and a client that never closes
      // its side is closed for it.
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    };
    const stream = new FrameRequestStream(manager, {
      get gone() {
        return socket.destroyed || socket.writableEnded;
      },
      send: (delivery) => writeFrame(socket, delivery, options.frameInfo(delivery), unsent),
      fail: (error) => endWith(logFailure(logger, METHOD, error) ? rpcStatus(error) : internalStatus()),
    });
    socket.on('close', () => {
      clearTimeout(firstRequestTimer);
      this.connections.delete(socket);
      stream.close();
      for (const sent of unsent) sent();
      unsent.clear();
    });
    // A reset by the client: 'close' follows, which is all there is to do.
    socket.on('error', () => undefined);
    // The client ended its side: a waiting request is withdrawn, and the server ends its own.
    socket.on('end', () => {
      if (stream.close()) socket.end();
    });
    if (this.connections.size > options.maxConnections) {
      endWith({
        code: grpcStatus.RESOURCE_EXHAUSTED,
        message: `RESOURCE_EXHAUSTED: the local frame socket has ${options.maxConnections} connections open, its limit; close one (each session needs one)`,
        details: [],
      });
      return;
    }
    firstRequestTimer = setTimeout(
      () => stream.fail(invalid('request', `none came within ${FIRST_REQUEST_TIMEOUT_MS} ms of connecting`)),
      FIRST_REQUEST_TIMEOUT_MS,
    );
    firstRequestTimer.unref();
    let authorized = token === undefined;
    const reader = new MessageReader(LOCAL_REQUEST_LIMIT);
    socket.on('data', (chunk: Buffer) => {
      if (socket.writableEnded) return;
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (error) {
        stream.fail(invalid('message', (error as FramingError).message));
        return;
      }
      for (const message of messages) {
        clearTimeout(firstRequestTimer);
        let request: LocalFrameRequest;
        try {
          request = LocalFrameRequest.decode(message);
        } catch (error) {
          stream.fail(invalid('message', `is not a LocalFrameRequest (${(error as Error).message})`));
          return;
        }
        if (!authorized) {
          const refusal = bearerTokenRefusal(request.authorization || undefined, token!);
          if (refusal) {
            this.refusals ??= new RefusalLog(logger);
            this.refusals.refused('local frame socket', METHOD, refusal.reason);
            stream.close();
            endWith({ code: grpcStatus.UNAUTHENTICATED, message: refusal.message, details: [] });
            return;
          }
          authorized = true;
        }
        stream.request(request.request ?? { sessionId: '', releaseToken: '' });
      }
    });
  }
}

/**
 * Writes a LocalFrameReply carrying `info`. INLINE full frames' pixels (encoded once for every
 * client) go out as they are, between the reply's prefix and the rest of the FrameInfo, with no
 * copy: the delivery holds them until the socket has taken them, then lets go (delivery.sent()).
 */
function writeFrame(socket: net.Socket, delivery: FrameDelivery, info: FrameInfo, unsent: Set<() => void>): void {
  const encoded = delivery.pixels;
  const rest = FrameInfo.encode(info).finish();
  const frameLength = (encoded?.fieldLength ?? 0) + rest.length;
  const frameHeader = new BinaryWriter().tag(REPLY_FRAME_FIELD, WireType.LengthDelimited).uint32(frameLength).finish();
  const prefix = messagePrefix(frameHeader.length + frameLength);
  if (!encoded) {
    socket.write(Buffer.concat([prefix, frameHeader, rest]));
    delivery.sent();
    return;
  }
  unsent.add(delivery.sent);
  socket.cork();
  socket.write(Buffer.concat([prefix, frameHeader]));
  socket.write(encoded.buffer.subarray(0, encoded.fieldLength));
  socket.write(rest, () => {
    unsent.delete(delivery.sent);
    delivery.sent();
  });
  socket.uncork();
}
