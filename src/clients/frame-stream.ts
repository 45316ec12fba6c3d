/**
 * A session's frames over StreamFrames: one request message per frame on one open stream, each
 * answered by one FrameInfo, instead of a GetNextFrame call per frame (about a fifteenth of the
 * CPU on both sides; see the method in screen_capture.proto and docs/PERFORMANCE.md).
 */
import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { FrameInfo, GetNextFrameRequest, ScreenCaptureClient } from '../gen/screencapture/v1/screen_capture.pb';
import { CaptureClientError } from './capture-error';
import { FrameChannel } from './frame-channel';

/**
 * How long an open stream may go without a request before it is closed. An open call keeps
 * grpc-js's connection, and with it the process, alive: a program that stops asking for frames
 * and never closes its session or client must still be able to exit. Frame loops ask far more
 * often; a slower one makes a call per frame, as it would without the stream.
 */
export const IDLE_STREAM_CLOSE_MS = 1000;

export class FrameStream extends FrameChannel {
  private readonly call: ClientDuplexStream<GetNextFrameRequest, FrameInfo>;
  /** Whether the server does not know StreamFrames (a server from before it). */
  private unimplemented = false;
  private idleTimer: NodeJS.Timeout | undefined;
  readonly local = false;

  /** `onEnd`: called once when the stream can take no more requests. */
  constructor(client: ScreenCaptureClient, token: string | undefined, onEnd?: () => void) {
    super(onEnd);
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    this.call = client.streamFrames(metadata);
    const target = client.getChannel().getTarget();
    this.call.on('data', (info: FrameInfo) => this.answer(info));
    this.call.on('error', (error: ServiceError) => {
      this.unimplemented = error.code === status.UNIMPLEMENTED;
      this.end(CaptureClientError.fromServiceError(error, target));
    });
    this.call.on('end', () => this.end(new Error('StreamFrames: the server ended the stream')));
  }

  /**
   * Whether the stream failed because the server does not have StreamFrames: no request reached
   * a session, and GetNextFrame does the same.
   */
  get notReached(): boolean {
    return this.unimplemented;
  }

  protected send(request: GetNextFrameRequest): void {
    this.call.write(request);
  }

  protected override onWaiting(waiting: boolean): void {
    clearTimeout(this.idleTimer);
    if (!waiting && !this.ended) this.idleTimer = setTimeout(() => this.close(), IDLE_STREAM_CLOSE_MS).unref();
  }

  close(): void {
    this.end(new Error('StreamFrames: the stream was closed'));
    this.call.cancel();
  }
}
