/**
 * StreamFrames: GetNextFrame's hanging get carried on one bidirectional stream. Each request is
 * handled exactly as a GetNextFrame call (CaptureManager.getNextFrame) and answered by one
 * FrameInfo; what differs is the cost. A unary call is an HTTP/2 stream with headers, trailers
 * and grpc-js's call objects on both sides, ~200 µs of CPU for both ends; a message on an open
 * stream is ~13 µs (docs/PERFORMANCE.md). At 60 frames/s and 8 clients those calls were most of
 * the server's work per frame, and their garbage the collector's pauses in the latency's tail.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { FrameInfo, GetNextFrameRequest } from '../gen/screencapture/v1/screen_capture.pb';
import type { Logger } from '../util/logger';
import { statusOf } from './call-handler';
import type { CaptureManager, FrameRequest } from './capture-manager';
import { invalid } from './errors';
import type { CaptureSession, FrameDelivery } from './session';

const METHOD = 'StreamFrames';

/**
 * The StreamFrames handler. `reply` makes the FrameInfo sent for a delivery (the same as
 * GetNextFrame's reply).
 */
export function frameStreamHandler(manager: CaptureManager, logger: Logger, reply: (delivery: FrameDelivery) => FrameInfo) {
  return (call: ServerDuplexStream<GetNextFrameRequest, FrameInfo>): void => {
    let session: CaptureSession | undefined;
    let waiting: FrameRequest | undefined;
    let ended = false;

    const withdraw = () => waiting?.cancel();
    const fail = (error: unknown) => {
      if (ended) return;
      ended = true;
      withdraw();
      // The Duplex turns an 'error' into the call's status (and then ends it).
      call.emit('error', statusOf(logger, METHOD, error));
    };

    call.on('data', (request: GetNextFrameRequest) => {
      if (ended) return;
      let pending: FrameRequest;
      let requested: CaptureSession;
      try {
        requested = manager.session(request.sessionId);
        if (session && requested !== session) {
          throw invalid('session_id', "is not the session of the stream's first request: open one stream per session");
        }
        session = requested;
        // Refused as a unary call would be, a second request while one waits included (the
        // manager answers BAD_HANGING_GET); the stream then ends with that status.
        pending = manager.getNextFrame(requested, request.releaseToken);
      } catch (error) {
        fail(error);
        return;
      }
      waiting = pending;
      manager.beginCall(requested);
      // The request settles either way, withdrawn ones included (rejected).
      pending.frame
        .then((delivery) => {
          if (ended || call.cancelled) {
            delivery.sent();
            return;
          }
          // The serializer lets the frame go once it has copied the pixels; the callback makes
          // sure of it when the stream is torn down first (sent() twice is harmless).
          call.write(reply(delivery), () => delivery.sent());
        }, fail)
        .finally(() => {
          if (waiting === pending) waiting = undefined;
          manager.endCall(requested);
        });
    });
    call.on('end', () => {
      withdraw();
      if (!ended) {
        ended = true;
        call.end();
      }
    });
    call.on('cancelled', () => {
      ended = true;
      withdraw();
    });
  };
}
