/**
 * A session's way of taking frames one after another, one request waiting at a time: StreamFrames
 * over gRPC (frame-stream.ts), or the server's local frame socket (local-frame-stream.ts). This
 * is what the two share: the waiting request, its abort, and the channel's end.
 */
import type { FrameInfo, GetNextFrameRequest } from '../gen/screencapture/v1/screen_capture.pb';
import { abortError } from './unary-call';

interface Waiting {
  resolve(info: FrameInfo): void;
  reject(error: Error): void;
}

export abstract class FrameChannel {
  private pending: Waiting | undefined;
  /** Why the channel can take no more requests; set once. */
  private failure: Error | undefined;

  /** `onEnd`: called once when the channel can take no more requests. */
  constructor(private readonly onEnd?: () => void) {}

  /**
   * Whether it failed before any request reached a session (the server has no StreamFrames, or
   * its local frame socket cannot be reached): the request can be made another way.
   */
  abstract readonly notReached: boolean;

  /** Whether it is the server's local frame socket (rather than a StreamFrames stream). */
  abstract readonly local: boolean;

  /** Sends a request (the transport's part of next()). */
  protected abstract send(request: GetNextFrameRequest): void;

  /** Ends the channel; the server withdraws a waiting request. */
  abstract close(): void;

  /** Called when a request starts waiting, and when it is answered (for transports that care). */
  protected onWaiting(_waiting: boolean): void {}

  /** Whether it can take no more requests (it failed, or was closed). */
  get ended(): boolean {
    return this.failure !== undefined;
  }

  /** Whether a request waits for its answer. */
  get waiting(): boolean {
    return this.pending !== undefined;
  }

  /** The answer to `request`; one at a time. Aborting `signal` ends the channel. */
  next(request: GetNextFrameRequest, signal?: AbortSignal): Promise<FrameInfo> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.pending) return Promise.reject(new Error('FrameChannel.next: the previous request is still waiting'));
    return new Promise<FrameInfo>((resolve, reject) => {
      const onAbort = () => {
        this.pending = undefined;
        reject(abortError(signal!));
        this.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
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
      this.onWaiting(true);
      this.send(request);
    });
  }

  /** Hands `info` to the waiting request. */
  protected answer(info: FrameInfo): void {
    const waiting = this.pending;
    this.pending = undefined;
    this.onWaiting(false);
    waiting?.resolve(info);
  }

  /** The channel can take no more requests: a waiting one fails with `failure`. */
  protected end(failure: Error): void {
    if (this.failure) return;
    this.failure = failure;
    const waiting = this.pending;
    this.pending = undefined;
    this.onWaiting(false);
    waiting?.reject(failure);
    this.onEnd?.();
  }
}
