/**
 * A session's frames over StreamFrames: one request message per frame on one open stream, each
 * answered by one FrameInfo, instead of a GetNextFrame call per frame (about a fifteenth of the
 * CPU on both sides; see the method in screen_capture.proto and docs/PERFORMANCE.md).
 */
import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { FrameInfo, GetNextFrameRequest, ScreenCaptureClient } from '../gen/screencapture/v1/screen_capture.pb';
import { CaptureClientError } from './capture-error';
import { abortError } from './unary-call';

/**
 * How long an open stream may go without a request before it is closed. An open call keeps
 * grpc-js's connection, and with it the process, alive: a program that stops asking for frames
 * and never closes its session or client must still be able to exit. Frame loops ask far more
 * often; a slower one makes a call per frame, as it would without the stream.
 */
export const IDLE_STREAM_CLOSE_MS = 1000;

interface Waiting {
  resolve(info: FrameInfo): void;
  reject(error: Error): void;
}

export class FrameStream {
  private readonly call: ClientDuplexStream<GetNextFrameRequest, FrameInfo>;
  private pending: Waiting | undefined;
  /** Why the stream can take no more requests; set once. */
  private failure: Error | undefined;
  /** Whether the server does not know StreamFrames (a server from before it). */
  private unimplemented = false;
  private idleTimer: NodeJS.Timeout | undefined;

  /** `onEnd`: called once when the stream can take no more requests. */
  constructor(
    client: ScreenCaptureClient,
    token: string | undefined,
    private readonly onEnd?: () => void,
  ) {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    this.call = client.streamFrames(metadata);
    const target = client.getChannel().getTarget();
    this.call.on('data', (info: FrameInfo) => {
      const waiting = this.pending;
      this.pending = undefined;
      this.idleTimer = setTimeout(() => this.close(), IDLE_STREAM_CLOSE_MS).unref();
      waiting?.resolve(info);
    });
    this.call.on('error', (error: ServiceError) => {
      this.unimplemented = error.code === status.UNIMPLEMENTED;
      this.end(CaptureClientError.fromServiceError(error, target));
    });
    this.call.on('end', () => this.end(new Error('StreamFrames: the server ended the stream')));
  }

  /** Whether the stream can take no more requests (it failed, or was closed). */
  get ended(): boolean {
    return this.failure !== undefined;
  }

  /** Whether a request waits for its answer. */
  get waiting(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Whether the stream failed because the server does not have StreamFrames: no request reached
   * a session, and GetNextFrame does the same.
   */
  get refusedAsUnknown(): boolean {
    return this.unimplemented;
  }

  /** The answer to `request`; one at a time. Aborting `signal` ends the stream. */
  next(request: GetNextFrameRequest, signal?: AbortSignal): Promise<FrameInfo> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.pending) return Promise.reject(new Error('FrameStream.next: the previous request is still waiting'));
    return new Promise<FrameInfo>((resolve, reject) => {
      const onAbort = () => {
        this.pending = undefined;
        reject(abortError(signal!));
        this.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      clearTimeout(this.idleTimer);
      this.pending = {
        resolve: (info) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(info);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.call.write(request);
    });
  }

  /** Ends the stream; the server withdraws a waiting request. */
  close(): void {
    this.end(new Error('StreamFrames: the stream was closed'));
    this.call.cancel();
  }

  private end(failure: Error): void {
    if (this.failure) return;
    this.failure = failure;
    clearTimeout(this.idleTimer);
    const waiting = this.pending;
    this.pending = undefined;
    waiting?.reject(failure);
    this.onEnd?.();
  }
}
