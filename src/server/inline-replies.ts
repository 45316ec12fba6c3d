/**
 * INLINE replies built with one copy of the pixels per frame and target, shared by every client
 * that gets them, instead of the generated codec's three copies per client (see
 * src/protocol/frame-info-wire.ts). The service definition here replaces the generated one's
 * GetNextFrame serializer with one that puts the shared encoded pixels and the client's own
 * metadata together; every other method is the generated one.
 */
import { FrameInfo, ScreenCaptureService } from '../gen/screencapture/v1/screen_capture.pb';
import { encodedPixelsSize, encodePixelsField, frameInfoWithPixels } from '../protocol/frame-info-wire';
import { targetKey } from '../render/render-target';
import type { Frame } from '../scheduler/frame';
import { PixelPool } from '../scheduler/pixel-pool';
import type { FrameDelivery } from './session';

const ENCODED = Symbol('encoded pixels');
/** Called once a reply without encoded pixels is serialized (its rect update may read the frame). */
const SENT = Symbol('sent');

interface EncodedPixels {
  /** The pixels field, then room for the metadata. */
  readonly buffer: Buffer;
  readonly fieldLength: number;
}

/** A FrameInfo the serializer below completes with pixels encoded beforehand. */
export type FrameInfoReply = FrameInfo & {
  [ENCODED]?: EncodedPixels & { sent(): void };
  [SENT]?: () => void;
};

export class InlineReplies {
  private readonly cache = new WeakMap<Frame, Map<string, EncodedPixels>>();
  /** A few targets' worth for the frames being sent. */
  private readonly pool = new PixelPool(8);

  /**
   * `info` (its pixels left empty) with the delivery's pixels attached in encoded form, encoded
   * now if no other client got this frame and target yet. The delivery must still hold its frame.
   */
  reply(info: FrameInfo, delivery: FrameDelivery): FrameInfoReply {
    const pixels = delivery.pixels;
    if (!pixels) return { ...info, [SENT]: delivery.sent };
    const { frame } = delivery;
    let byTarget = this.cache.get(frame);
    if (!byTarget) {
      byTarget = new Map();
      this.cache.set(frame, byTarget);
    }
    const key = targetKey(delivery.target);
    let encoded = byTarget.get(key);
    if (!encoded) {
      const buffer = this.pool.acquire(encodedPixelsSize(pixels.length));
      encoded = { buffer: buffer.data, fieldLength: encodePixelsField(pixels, buffer.data) };
      byTarget.set(key, encoded);
      frame.onDispose(() => buffer.release());
    }
    return { ...info, [ENCODED]: { ...encoded, sent: delivery.sent } };
  }
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

/** The generated ScreenCapture definition with GetNextFrame's serializer replaced. */
export const screenCaptureDefinition = {
  ...ScreenCaptureService,
  getNextFrame: { ...ScreenCaptureService.getNextFrame, responseSerialize: serializeFrameInfo },
} as const;
