/**
 * INLINE replies built around pixels encoded once per frame and target for every client that
 * gets them (inline-pixels.ts), instead of the generated codec's three copies per client (see
 * src/protocol/frame-info-wire.ts). The service definition here replaces the generated one's
 * GetNextFrame serializer with one that puts the shared encoded pixels and the client's own
 * metadata together; every other method is the generated one.
 */
import { FrameInfo, ScreenCaptureService } from '../gen/screencapture/v1/screen_capture.pb';
import { frameInfoWithPixels } from '../protocol/frame-info-wire';
import type { EncodedPixels } from './inline-pixels';
import type { FrameDelivery } from './session';

const ENCODED = Symbol('encoded pixels');
/** Called once a reply without encoded pixels is serialized (its rect update may read the frame). */
const SENT = Symbol('sent');

/** A FrameInfo the serializer below completes with pixels encoded beforehand. */
export type FrameInfoReply = FrameInfo & {
  [ENCODED]?: EncodedPixels & { sent(): void };
  [SENT]?: () => void;
};

/**
 * `info` (its pixels left empty) with the delivery's encoded pixels attached. The delivery must
 * still hold its frame; it is let go once the reply is serialized.
 */
export function inlineReply(info: FrameInfo, delivery: FrameDelivery): FrameInfoReply {
  const encoded = delivery.pixels;
  if (!encoded) return { ...info, [SENT]: delivery.sent };
  return { ...info, [ENCODED]: { ...encoded, sent: delivery.sent } };
}

function serializeFrameInfo(value: FrameInfoReply): Buffer {
  const encoded = value[ENCODED];
  if (!encoded) {
    const message = Buffer.from(FrameInfo.encode(value).finish());
    const sent = value[SENT];
    if (sent) queueMicrotask(sent);
    return message;
  }
  const message = frameInfoWithPixels(encoded.buffer, encoded.fieldLength, value);
  // grpc-js copies the message into its own frame as soon as this returns, before any
  // microtask: only then may the frame (and the encoded pixels with it) be reused.
  queueMicrotask(encoded.sent);
  return message;
}

/** The generated ScreenCapture definition with the serializer of GetNextFrame's and StreamFrames' replies replaced. */
export const screenCaptureDefinition = {
  ...ScreenCaptureService,
  getNextFrame: { ...ScreenCaptureService.getNextFrame, responseSerialize: serializeFrameInfo },
  streamFrames: { ...ScreenCaptureService.streamFrames, responseSerialize: serializeFrameInfo },
} as const;
