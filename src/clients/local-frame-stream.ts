/**
 * A session's frames over the server's local frame socket: StreamFrames' requests and answers on
 * a Unix socket, without HTTP/2 (proto/screencapture/v1/local_frames.proto). The server offers
 * the socket to clients on its machine (OpenSessionResponse.local_frame_socket); the session takes
 * SHARED_MEMORY frames there, whose replies are small and whose latency is most of what the
 * transport adds (about half of it is grpc-js's and HTTP/2's; docs/PERFORMANCE.md).
 */
import net = require('node:net');
import { status } from '@grpc/grpc-js';
import { LocalFrameReply, LocalFrameRequest } from '../gen/screencapture/v1/local_frames.pb';
import type { GetNextFrameRequest } from '../gen/screencapture/v1/screen_capture.pb';
import { framedMessage, MessageReader } from '../protocol/length-prefixed';
import { CaptureClientError } from './capture-error';
import { FrameChannel } from './frame-channel';

/** The largest reply taken when the client has no receive limit: a frame's metadata and a pointer shape fit many times over. */
const DEFAULT_REPLY_LIMIT = 64 * 1024 * 1024;

export class LocalFrameStream extends FrameChannel {
  private readonly socket: net.Socket;
  private readonly reader: MessageReader;
  readonly local = true;
  private connected = false;
  /** Whether connecting failed: no request reached the server. */
  private unreachable = false;
  /** The server's bearer token goes with the first request only. */
  private authorization: string;

  /**
   * `receiveLimit`: the largest reply accepted (the client's maxReceiveMessageLength), Infinity
   * for none. `onEnd`: called once when the stream can take no more requests.
   */
  constructor(
    private readonly socketPath: string,
    token: string | undefined,
    receiveLimit: number,
    onEnd?: () => void,
  ) {
    super(onEnd);
    this.authorization = token ? `Bearer ${token}` : '';
    this.reader = new MessageReader(Number.isFinite(receiveLimit) ? receiveLimit : DEFAULT_REPLY_LIMIT);
    this.socket = net.connect(socketPath);
    // Only a waiting request keeps the process alive (onWaiting), as a call would.
    this.socket.unref();
    this.socket.on('connect', () => {
      this.connected = true;
    });
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.connected) this.unreachable = true;
      this.end(
        new CaptureClientError(
          `the server's local frame socket ${socketPath}: ${error.code ?? error.message}${this.connected ? '' : ' (cannot connect)'}`,
          status.UNAVAILABLE,
          undefined,
          undefined,
          undefined,
          { cause: error },
        ),
      );
    });
    this.socket.on('close', () =>
      this.end(new CaptureClientError(`the server closed its local frame socket ${socketPath}`, status.UNAVAILABLE)),
    );
  }

  /** Whether connecting to the socket failed, so that no request reached the server. */
  get notReached(): boolean {
    return this.unreachable;
  }

  protected send(request: GetNextFrameRequest): void {
    this.socket.write(framedMessage(LocalFrameRequest.encode({ request, authorization: this.authorization }).finish()));
    this.authorization = '';
  }

  protected override onWaiting(waiting: boolean): void {
    if (waiting) this.socket.ref();
    else this.socket.unref();
  }

  close(): void {
    this.end(new Error('local frame socket: the stream was closed'));
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.reader.push(chunk);
    } catch (error) {
      this.fail(`the server's local frame socket ${this.socketPath} sent ${(error as Error).message}`, status.RESOURCE_EXHAUSTED);
      return;
    }
    for (const message of messages) {
      let reply: LocalFrameReply;
      try {
        reply = LocalFrameReply.decode(message);
      } catch (error) {
        this.fail(
          `the server's local frame socket ${this.socketPath} sent a reply that does not parse: ${(error as Error).message}`,
          status.INTERNAL,
        );
        return;
      }
      if (reply.reply?.$case === 'frame') {
        this.answer(reply.reply.value);
      } else if (reply.reply?.$case === 'status') {
        this.end(CaptureClientError.fromStatus(reply.reply.value));
        this.socket.destroy();
        return;
      } else {
        this.fail(`the server's local frame socket ${this.socketPath} sent an empty reply`, status.INTERNAL);
        return;
      }
    }
  }

  private fail(message: string, code: status): void {
    this.end(new CaptureClientError(message, code));
    this.socket.destroy();
  }
}
