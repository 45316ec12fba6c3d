/**
 * Renders frames into clients' buffers: scale the display into the client's image size, rotate
 * it, convert the byte order. Each distinct target is rendered at most once per frame, however
 * many clients share it (the cache hangs off the frame and goes with it), and a frame whose
 * target matches it exactly is handed out as is, without a copy.
 *
 * Renders are written into buffers from a pool and given back when their frame is (see
 * Frame.hold): the caller must hold the frame for as long as it reads what render() returned.
 *
 * The pointer is part of what is rendered: a target that draws it (cursor 'embedded') is
 * rendered from the frame with the pointer composited (pointer-composite.ts), once per frame,
 * and its key differs from the same target without it; a frame whose pointer does not show is
 * the same picture either way and shares one render.
 */
import { isImageTransformAvailable } from '../codec/image-transform';
import type { Frame } from '../scheduler/frame';
import { PixelPool } from '../scheduler/pixel-pool';
import { nativeTransform } from './native-transform';
import type { Picture } from './picture';
import { drawPointer, pointerShows } from './pointer-composite';
import { drawsPointer, targetKey, type RenderTarget } from './render-target';
import { sharpTransform } from './sharp-transform';

/**
 * Turns a frame into the target's pixels: packed, target.width * target.height * 4 bytes,
 * written into `into` when the transform can (the result is then a view of it).
 */
export type PixelTransform = (picture: Picture, target: RenderTarget, into?: Buffer) => Promise<Buffer>;

/** libyuv through the native addon when it is built, libvips through sharp otherwise. */
export function defaultTransform(): { transform: PixelTransform; writesInto: boolean } {
  return isImageTransformAvailable()
    ? { transform: nativeTransform, writesInto: true }
    : { transform: sharpTransform, writesInto: false };
}

export class FrameRenderer {
  private readonly cache = new WeakMap<Frame, Map<string, Promise<Buffer>>>();
  /** Each frame's picture with the pointer drawn in, made when a target first needs it. */
  private readonly withPointerCache = new WeakMap<Frame, Buffer>();
  /** Render buffers: a few targets' worth for the frames being delivered. */
  private readonly pool = new PixelPool(8);
  private readonly transform: PixelTransform;
  private readonly writesInto: boolean;

  /** `transform` defaults to defaultTransform(); `writesInto`: whether it fills the buffer it is given. */
  constructor(transform?: PixelTransform, writesInto = false) {
    const chosen = transform ? { transform, writesInto } : defaultTransform();
    this.transform = chosen.transform;
    this.writesInto = chosen.writesInto;
  }

  /** The target's pixels, valid while the caller holds `frame`. */
  render(frame: Frame, target: RenderTarget): Promise<Buffer> {
    const withPointer = drawsPointer(target) && pointerShows(frame.pointer, frame.width, frame.height);
    if (isIdentity(frame, target)) return Promise.resolve(withPointer ? this.pictureWithPointer(frame) : frame.pixels);
    let renders = this.cache.get(frame);
    if (!renders) {
      renders = new Map();
      this.cache.set(frame, renders);
    }
    const key = targetKey(withPointer ? target : { ...target, cursor: 'hidden' });
    let rendered = renders.get(key);
    if (!rendered) {
      rendered = this.renderNew(frame, target, withPointer);
      renders.set(key, rendered);
      // A failed render is not cached: the next client tries again.
      rendered.catch(() => renders!.delete(key));
    }
    return rendered;
  }

  /**
   * The frame's picture with its pointer drawn in: a pooled copy, made once per frame and given
   * back with it. The caller must hold the frame.
   */
  private pictureWithPointer(frame: Frame): Buffer {
    let pixels = this.withPointerCache.get(frame);
    if (!pixels) {
      const buffer = this.pool.acquire(frame.pixels.length);
      pixels = buffer.data;
      frame.pixels.copy(pixels);
      drawPointer(pixels, frame.width, frame.height, frame.format, frame.pointer);
      this.withPointerCache.set(frame, pixels);
      frame.onDispose(() => buffer.release());
    }
    return pixels;
  }

  private async renderNew(frame: Frame, target: RenderTarget, withPointer: boolean): Promise<Buffer> {
    // The transform reads the frame on another thread: keep its pixels meanwhile.
    const release = frame.hold();
    const buffer = this.writesInto ? this.pool.acquire(target.width * target.height * 4) : undefined;
    try {
      const picture: Picture = withPointer ? { width: frame.width, height: frame.height, format: frame.format, pixels: this.pictureWithPointer(frame) } : frame;
      const pixels = await this.transform(picture, target, buffer?.data);
      // The render lives as long as the frame: every reader holds the frame.
      if (buffer) frame.onDispose(() => buffer.release());
      return pixels;
    } catch (error) {
      buffer?.release();
      throw error;
    } finally {
      release();
    }
  }
}

function isIdentity(frame: Frame, target: RenderTarget): boolean {
  return target.rotation === 0 && target.width === frame.width && target.height === frame.height && target.format === frame.format;
}
