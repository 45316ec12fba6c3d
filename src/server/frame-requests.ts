/**
 * One client's stream of frame requests, whatever carries it: StreamFrames over gRPC
 * (frame-stream.ts) or the local frame socket (local-frame-socket.ts). Each request is handled
 * exactly as a GetNextFrame call (CaptureManager.getNextFrame) and answered by one frame, in
 * order; a request the call would refuse ends the stream with that call's error, and the stream
 * going away withdraws a waiting request, as cancelling the call does.
 */
import type { GetNextFrameRequest } from '../gen/screencapture/v1/screen_capture.pb';
import type { CaptureManager, FrameRequest, NextFrameOptions } from './capture-manager';
import { invalid } from './errors';
import type { CaptureSession, FrameDelivery } from './session';

/** Where a stream's answers go. */
export interface FrameReplies {
  /** Sends a delivery's frame; the transport calls delivery.sent() once it no longer needs its pixels. */
  send(delivery: FrameDelivery): void;
  /** Ends the stream with the error for `error` (a CaptureError, or anything else as INTERNAL). */
  fail(error: unknown): void;
  /** Whether the other end is gone, so that an answer can no longer be sent. */
  readonly gone: boolean;
}

export class FrameRequestStream {
  private session: CaptureSession | undefined;
  private waiting: FrameRequest | undefined;
  private ended = false;

  constructor(
    private readonly manager: CaptureManager,
    private readonly replies: FrameReplies,
  ) {}

  /** Handles the stream's next request; ignored once the stream has ended. */
  request(request: Pick<GetNextFrameRequest, 'sessionId'> & NextFrameOptions): void {
    if (this.ended) return;
    const { manager } = this;
    let pending: FrameRequest;
    let requested: CaptureSession;
    try {
      requested = manager.session(request.sessionId);
      if (this.session && requested !== this.session) {
        throw invalid('session_id', "is not the session of the stream's first request: open one stream per session");
      }
      this.session = requested;
      // Refused as a unary call would be, a second request while one waits included (the
      // manager answers BAD_HANGING_GET); the stream then ends with that error.
      pending = manager.getNextFrame(requested, request);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.waiting = pending;
    manager.beginCall(requested);
    // The request settles either way, withdrawn ones included (rejected).
    pending.frame
      .then(
        (delivery) => {
          if (this.ended || this.replies.gone) {
            // Answered as the stream ended: the client will never see this frame's token.
            delivery.withdraw();
          } else {
            this.replies.send(delivery);
          }
        },
        (error: unknown) => this.fail(error),
      )
      .finally(() => {
        if (this.waiting === pending) this.waiting = undefined;
        manager.endCall(requested);
      });
  }

  /** Ends the stream with `error`'s status, withdrawing a waiting request. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.waiting?.cancel();
    this.replies.fail(error);
  }

  /**
   * The client ended its side, or went away: a waiting request is withdrawn. Returns whether the
   * stream was still open (then the caller ends its side too).
   */
  close(): boolean {
    this.waiting?.cancel();
    if (this.ended) return false;
    this.ended = true;
    return true;
  }
}
