/**
 * A session's way of taking frames one after another, one request waiting at a time: StreamFrames
 * over gRPC (frame-stream.ts), or the server's local frame socket (local-frame-stream.ts). This
 * is what the two share: the waiting request, what an aborted one leaves, and the channel's end.
 *
 * An aborted request is not withdrawn. The server may be answering it already, and that answer,
 * on its way in the socket, is a frame in one of the session's buffers that the server counts as
 * delivered: dropping it would leave the buffer held by nobody until the next Configure, and the
 * session's hanging get would wait for a frame newer than one the caller never saw (a pointer
 * that moved on a still screen would never be reported). So the request stays at the server, and
 * the next request takes its answer: it is not sent, and waits for that answer, or has it at once
 * when it came in the meantime.
 */
import { status } from '@grpc/grpc-js';
import type { FrameInfo, GetNextFrameRequest } from '../gen/screencapture/v1/screen_capture.pb';
import { CaptureClientError } from './capture-error';
import { abortError, type CallSettings } from './unary-call';

interface Waiting {
  resolve(info: FrameInfo): void;
  reject(error: Error): void;
}

export abstract class FrameChannel {
  /** The request waiting at the server, whether or not its caller still waits (see abandoned). */
  private pending: Waiting | undefined;
  /** Whether the pending request's caller gave up: its answer goes to the next request. */
  private abandoned = false;
  /** The answer to an abandoned request, come before any next request: that request's answer. */
  private kept: FrameInfo | undefined;
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

  /** Called when a caller starts waiting, and when it stops (for transports that care). */
  protected onWaiting(_waiting: boolean): void {}

  /** Whether it can answer no more requests (it failed, or was closed, and keeps no answer). */
  get ended(): boolean {
    return this.failure !== undefined && this.kept === undefined;
  }

  /** Whether a caller waits for an answer (a request whose caller gave up does not count). */
  get waiting(): boolean {
    return this.pending !== undefined && !this.abandoned;
  }

  /**
   * Whether the next request will not be sent but answered by what an aborted one left (its
   * answer, or the request itself still waiting at the server). The frame the next request
   * would give back (its release_token) must then be released apart, and the next request must
   * be made on this channel: another one would be refused as a second hanging get.
   */
  get takesOverNextRequest(): boolean {
    return this.kept !== undefined || (this.abandoned && this.failure === undefined);
  }

  /**
   * Closes the channel if an aborted request left something on it, dropping its answer: for a
   * new Configure, which makes that answer's buffer part of a configuration that is gone (and
   * would fail the request still waiting at the server).
   */
  discardAbandoned(): void {
    if (!this.takesOverNextRequest) return;
    this.kept = undefined;
    this.close();
  }

  /**
   * The answer to `request`; one at a time. Aborting `settings.signal` rejects at once (with an
   * AbortError), and so does `settings.timeoutMs` passing (DEADLINE_EXCEEDED, as a call's
   * deadline); the request stays at the server for the next one to take over (see
   * takesOverNextRequest).
   */
  next(request: GetNextFrameRequest, settings: CallSettings = {}): Promise<FrameInfo> {
    const { signal, timeoutMs } = settings;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const kept = this.kept;
    if (kept) {
      this.kept = undefined;
      return Promise.resolve(kept);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('FrameChannel.next: the previous request is still waiting'));
    const takesOver = this.abandoned;
    this.abandoned = false;
    return new Promise<FrameInfo>((resolve, reject) => {
      let deadline: NodeJS.Timeout | undefined;
      const settled = () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(deadline);
      };
      const giveUp = (error: Error) => {
        settled();
        this.abandoned = true;
        this.onWaiting(false);
        reject(error);
      };
      const onAbort = () => giveUp(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        deadline = setTimeout(
          () => giveUp(new CaptureClientError(`GetNextFrame: no frame within the deadline of ${timeoutMs} ms`, status.DEADLINE_EXCEEDED)),
          Math.max(0, timeoutMs),
        );
      }
      this.pending = {
        resolve: (info) => {
          settled();
          resolve(info);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      };
      this.onWaiting(true);
      if (!takesOver) this.send(request);
    });
  }

  /** Hands `info` to the waiting request, or keeps it for the next one when its caller gave up. */
  protected answer(info: FrameInfo): void {
    const waiting = this.pending;
    const abandoned = this.abandoned;
    this.pending = undefined;
    this.abandoned = false;
    if (abandoned) {
      this.kept = info;
      return;
    }
    this.onWaiting(false);
    waiting?.resolve(info);
  }

  /**
   * The channel can take no more requests: a waiting one fails with `failure`. An answer kept for
   * the next request is still given to it.
   */
  protected end(failure: Error): void {
    if (this.failure) return;
    this.failure = failure;
    const waiting = this.abandoned ? undefined : this.pending;
    this.pending = undefined;
    this.abandoned = false;
    this.onWaiting(false);
    waiting?.reject(failure);
    this.onEnd?.();
  }
}
