/**
 * StreamFrames: GetNextFrame's hanging get carried on one bidirectional stream (the requests'
 * handling is frame-requests.ts). What differs from the unary call is the cost. A unary call is
 * an HTTP/2 stream with headers, trailers and grpc-js's call objects on both sides, ~200 µs of
 * CPU for both ends; a message on an open stream is ~13 µs (docs/PERFORMANCE.md). At 60
 * frames/s and 8 clients those calls were most of the server's work per frame, and their garbage
 * the collector's pauses in the latency's tail.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { FrameInfo, GetNextFrameRequest } from '../gen/screencapture/v1/screen_capture.pb';
import type { Logger } from '../util/logger';
import { statusOf } from './call-handler';
import type { CaptureManager } from './capture-manager';
import { FrameRequestStream } from './frame-requests';
import type { FrameDelivery } from './session';

const METHOD = 'StreamFrames';

/**
 * The StreamFrames handler. `reply` makes the FrameInfo sent for a delivery (the same as
 * GetNextFrame's reply).
 */
export function frameStreamHandler(manager: CaptureManager, logger: Logger, reply: (delivery: FrameDelivery) => FrameInfo) {
  return (call: ServerDuplexStream<GetNextFrameRequest, FrameInfo>): void => {
    const stream = new FrameRequestStream(manager, {
      get gone() {
        return call.cancelled;
      },
      // The serializer lets the frame go once it has copied the pixels; the callback makes sure
      // of it when the stream is torn down first (sent() twice is harmless).
      send: (delivery) => call.write(reply(delivery), () => delivery.sent()),
      // The Duplex turns an 'error' into the call's status (and then ends it).
      fail: (error) => call.emit('error', statusOf(logger, METHOD, error)),
    });
    call.on('data', (request: GetNextFrameRequest) => stream.request(request));
    call.on('end', () => {
      if (stream.close()) call.end();
    });
    call.on('cancelled', () => stream.close());
  };
}
