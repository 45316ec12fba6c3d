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
 *
 * renderInto() updates a client's own buffer (a SHARED_MEMORY mapping) instead: given what
 * changed since the frame the buffer holds, it rewrites only those pixels, and writes the whole
 * image only when the buffer's content is unknown or most of it changed.
 */
import { isImageTransformAvailable } from '../codec/image-transform';
import { copyRects } from '../codec/rect-copy';
import { clipToBounds, isEmpty } from '../core/rect';
import { pointerArea } from '../scheduler/pointer-area';
import type { Rect } from '../core/rect';
import type { Frame } from '../scheduler/frame';
import { PixelPool } from '../scheduler/pixel-pool';
import { nativeTransform } from './native-transform';
import type { Picture } from './picture';
import { drawPointer, pointerShows } from './pointer-composite';
import { drawsPointer, targetKey, type RenderTarget } from './render-target';
import { rewriteRegions } from './rewrite-region';
import { sharpTransform } from './sharp-transform';

/**
 * Past this share of the image changed, renderInto() writes the whole image (one copy on a
 * worker thread) rather than region by region: the regions would cost about as much, and
 * unscaled ones are copied on the event loop.
 */
const WHOLE_IMAGE_SHARE = 0.5;

/**
 * From this many bytes of changed rects on, renderInto() copies them on a worker thread rather
 * than on the event loop: a moving window is megabytes a client, and with many clients those
 * copies took a fifth of the event loop, which is also what answers every client's calls. A
 * small change (a clock, typing) is copied at once: a worker's round trip costs more than it.
 */
const WORKER_COPY_BYTES = 512 * 1024;

/**
 * Turns a frame into the target's pixels: packed, target.width * target.height * 4 bytes,
 * written into `into` when the transform can (the result is then a view of it).
 */
export type PixelTransform = (picture: Picture, target: RenderTarget, into?: Buffer) => Promise<Buffer>;

/** libyuv through the native addon when it is built, libvips through sharp otherwise. */
export function defaultTransform(): { transform: PixelTransform; writesInto: boolean } {
  return isImageTransformAvailable() ? { transform: nativeTransform, writesInto: true } : { transform: sharpTransform, writesInto: false };
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
   * Brings `into` (target.width * target.height * 4 bytes, the client's buffer) to the target's
   * image of `frame`, byte for byte what render() gives. `changed`: the display rects that
   * changed since the frame `into` holds (pointer areas included for a target that draws the
   * pointer); undefined when what it holds is unknown, and the whole image is written.
   *
   * At the display's size (any pixel format) the pixels go from the frame straight into `into`;
   * scaled or rotated, the changed parts are rendered straight into it, and a mostly changed
   * image is copied from the frame's render for the target, made once per frame for every
   * client that has that target. Needs the native addon.
   */
  async renderInto(frame: Frame, target: RenderTarget, into: Buffer, changed: readonly Rect[] | undefined): Promise<void> {
    const release = frame.hold();
    try {
      if (isIdentity(frame, { ...target, format: frame.format })) await this.updateUnscaled(frame, target, into, changed);
      else await this.updateTransformed(frame, target, into, changed);
    } finally {
      release();
    }
  }

  /**
   * Copies the changed rects from the latched pixels, then draws the pointer once. A changed
   * rect that touches the pointer's area brings the whole area back to the latched pixels
   * first, so that the pointer is never blended over itself.
   */
  private async updateUnscaled(frame: Frame, target: RenderTarget, into: Buffer, changed: readonly Rect[] | undefined): Promise<void> {
    const swap = frame.format !== target.format;
    const withPointer = drawsPointer(target) && pointerShows(frame.pointer, frame.width, frame.height);
    let rects = changed === undefined ? undefined : clipAll(changed, frame.width, frame.height);
    if (rects !== undefined && area(rects) >= WHOLE_IMAGE_SHARE * frame.width * frame.height) rects = undefined;
    if (rects === undefined) {
      const picture: Picture = { width: frame.width, height: frame.height, format: frame.format, pixels: frame.pixels };
      await nativeTransform(picture, { ...target, rotation: 0, scaleMode: 'stretch' }, into);
      if (withPointer) drawPointer(into, target.width, target.height, target.format, frame.pointer);
      return;
    }
    rects = rects.map((rect) => toWholeCacheLines(rect, frame.width));
    // Where nothing changed the buffer already shows the pointer as this frame does: any change
    // of the pointer is itself in `changed`.
    const pointer = withPointer ? clipToBounds(pointerArea(frame.pointer)!, frame.width, frame.height) : undefined;
    const touchesPointer = pointer !== undefined && rects.some((rect) => overlaps(rect, pointer));
    const copied = touchesPointer ? [...rects, pointer] : rects;
    if (area(copied) * 4 >= WORKER_COPY_BYTES) {
      const picture: Picture = { width: frame.width, height: frame.height, format: frame.format, pixels: frame.pixels };
      await nativeTransform(picture, { ...target, rotation: 0, scaleMode: 'stretch' }, into, copied);
    } else {
      copyRects(frame.pixels, frame.width * 4, into, target.width * 4, swap, copied);
    }
    if (touchesPointer) drawPointer(into, target.width, target.height, target.format, frame.pointer);
  }

  /**
   * A few changed rects are rendered straight into `into`, each from the source pixels the
   * scaler reaches there; when most of the image changed, the frame's render for the target
   * (made once for every client with that target) is copied whole instead.
   */
  private async updateTransformed(frame: Frame, target: RenderTarget, into: Buffer, changed: readonly Rect[] | undefined): Promise<void> {
    const rects = changed === undefined ? undefined : rewriteRegions(changed, frame.width, frame.height, target);
    if (rects !== undefined && area(rects) < WHOLE_IMAGE_SHARE * target.width * target.height) {
      if (rects.length === 0) return;
      const withPointer = drawsPointer(target) && pointerShows(frame.pointer, frame.width, frame.height);
      const picture: Picture = withPointer
        ? { width: frame.width, height: frame.height, format: frame.format, pixels: this.pictureWithPointer(frame) }
        : frame;
      await nativeTransform(picture, target, into, rects);
      return;
    }
    const rendered = await this.render(frame, target);
    const picture: Picture = { width: target.width, height: target.height, format: target.format, pixels: rendered };
    await nativeTransform(picture, { ...target, rotation: 0, scaleMode: 'stretch' }, into);
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
      const picture: Picture = withPointer
        ? { width: frame.width, height: frame.height, format: frame.format, pixels: this.pictureWithPointer(frame) }
        : frame;
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

/** Pixels of 4 bytes in a 64-byte cache line. */
const PIXELS_PER_CACHE_LINE = 16;

/**
 * `rect` grown sideways to whole 16-pixel columns (within the image's width), so that where an
 * image's rows are a multiple of 64 bytes long (1920, 1280, 3840 pixels...) each row of the copy
 * starts and ends on a cache line. A copy into a client's buffer, which has left the caches since
 * it was last written, then streams whole lines; a line only partly written is read from memory
 * first, and a moving window's copies took twice as long that way (docs/PERFORMANCE.md). The
 * pixels added lie outside what changed, where the buffer already holds this frame's pixels:
 * copying them again writes the same bytes.
 */
function toWholeCacheLines(rect: Rect, width: number): Rect {
  const left = rect.x - (rect.x % PIXELS_PER_CACHE_LINE);
  const right = Math.min(width, Math.ceil((rect.x + rect.width) / PIXELS_PER_CACHE_LINE) * PIXELS_PER_CACHE_LINE);
  return { x: left, y: rect.y, width: right - left, height: rect.height };
}

function clipAll(rects: readonly Rect[], width: number, height: number): Rect[] {
  return rects.map((rect) => clipToBounds(rect, width, height)).filter((rect) => !isEmpty(rect));
}

/** Total area; rects may overlap (mapped with a margin), so this may overstate it. */
function area(rects: readonly Rect[]): number {
  return rects.reduce((sum, rect) => sum + rect.width * rect.height, 0);
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
