/**
 * The FrameInfo a delivery is answered with, whichever way it travels (GetNextFrame,
 * StreamFrames, the local frame socket). INLINE full frames' pixels are left out: they are
 * encoded once for every client that gets them and attached by the transport (inline-replies.ts).
 */
import {
  InlineCompression,
  type FrameInfo,
  type Pointer,
  type RectUpdate as RectUpdateInfo,
} from '../gen/screencapture/v1/screen_capture.pb';
import { durationFromNs, formatToProto, timestampFromMs } from '../protocol/conversions';
import type { RectCompression, RectUpdate } from './rect-updates';
import type { DeliveredPointer, FrameDelivery } from './session';

const NO_PIXELS = Buffer.alloc(0);

const COMPRESSION_TO_PROTO: Record<RectCompression, InlineCompression> = {
  none: InlineCompression.INLINE_COMPRESSION_NONE,
  deflate: InlineCompression.INLINE_COMPRESSION_DEFLATE,
  brotli: InlineCompression.INLINE_COMPRESSION_BROTLI,
};

function rectUpdateInfo(update: RectUpdate): RectUpdateInfo {
  return {
    rects: update.rects.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })),
    fullFrame: update.fullFrame,
    compression: COMPRESSION_TO_PROTO[update.compression],
    data: update.data,
    uncompressedSize: update.uncompressedSize,
  };
}

function pointerInfo(pointer: DeliveredPointer): Pointer {
  const { shape } = pointer;
  return {
    visible: pointer.visible,
    x: pointer.x,
    y: pointer.y,
    displayX: pointer.displayX,
    displayY: pointer.displayY,
    shapeId: pointer.shapeId,
    shape: shape && { id: shape.id, width: shape.width, height: shape.height, hotX: shape.hotX, hotY: shape.hotY, rgba: shape.rgba },
  };
}

export function frameInfo(delivery: FrameDelivery): FrameInfo {
  const { target } = delivery;
  return {
    bufferIndex: delivery.bufferIndex,
    frameNumber: delivery.frameNumber,
    captureTime: timestampFromMs(delivery.captureWallMs),
    captureMonotonic: durationFromNs(delivery.captureMonotonicNs),
    releaseToken: delivery.releaseToken,
    damage: delivery.damage.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })),
    imageSize: { width: target.width, height: target.height },
    pixelFormat: formatToProto(target.format),
    stride: target.width * 4,
    // INLINE pixels are attached by inlineReply, encoded once for every client.
    pixels: NO_PIXELS,
    displaySize: { width: delivery.displayWidth, height: delivery.displayHeight },
    bufferOffset: delivery.bufferOffset,
    pointer: delivery.pointer && pointerInfo(delivery.pointer),
    rectUpdate: delivery.rectUpdate && rectUpdateInfo(delivery.rectUpdate),
  };
}
