/**
 * INLINE full frames' pixels, rendered straight into the reply: the pixels field of FrameInfo
 * (tag, length, then the image) is written into a pooled buffer once per frame and target,
 * however many clients get it, the image by the renderer itself (on a worker thread, the pointer
 * drawn in) when the native addon is built. Rendering into a picture of its own and then copying that into the field would move
 * every 8 MB frame twice (see docs/PERFORMANCE.md, INLINE full frames).
 */
import { isImageTransformAvailable } from '../codec/image-transform';
import { encodedPixelsSize, writePixelsFieldHeader } from '../protocol/frame-info-wire';
import type { FrameRenderer } from '../render/frame-renderer';
import { targetKey, type RenderTarget } from '../render/render-target';
import type { Frame } from '../scheduler/frame';
import { PixelPool } from '../scheduler/pixel-pool';

/** A FrameInfo pixels field, followed by room for a reply's metadata (frameInfoWithPixels). */
export interface EncodedPixels {
  readonly buffer: Buffer;
  readonly fieldLength: number;
}

export class InlinePixels {
  private readonly cache = new WeakMap<Frame, Map<string, Promise<EncodedPixels>>>();
  /** A few targets' worth for the frames being sent. */
  private readonly pool = new PixelPool(8);

  constructor(private readonly renderer: FrameRenderer) {}

  /**
   * The target's pixels field of `frame`, valid while the caller holds the frame (the buffer
   * goes back to the pool with it).
   */
  encode(frame: Frame, target: RenderTarget): Promise<EncodedPixels> {
    let byTarget = this.cache.get(frame);
    if (!byTarget) {
      byTarget = new Map();
      this.cache.set(frame, byTarget);
    }
    const key = targetKey(target);
    let encoded = byTarget.get(key);
    if (!encoded) {
      encoded = this.render(frame, target);
      byTarget.set(key, encoded);
      // A failed render is not cached: the next client tries again.
      encoded.catch(() => byTarget.delete(key));
    }
    return encoded;
  }

  private async render(frame: Frame, target: RenderTarget): Promise<EncodedPixels> {
    const pixelBytes = target.width * target.height * 4;
    const buffer = this.pool.acquire(encodedPixelsSize(pixelBytes));
    const at = writePixelsFieldHeader(pixelBytes, buffer.data);
    try {
      if (isImageTransformAvailable()) {
        await this.renderer.renderInto(frame, target, buffer.data.subarray(at, at + pixelBytes), undefined);
      } else {
        // Without the native addon the renderer cannot write into a buffer it is given (sharp
        // makes its own): its render is copied in.
        (await this.renderer.render(frame, target)).copy(buffer.data, at);
      }
    } catch (error) {
      buffer.release();
      throw error;
    }
    frame.onDispose(() => buffer.release());
    return { buffer: buffer.data, fieldLength: at + pixelBytes };
  }
}
