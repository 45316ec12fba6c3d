/**
 * INLINE damage-only replies (INLINE_ENCODING_DAMAGE_RECTS): the rectangles of a frame's image
 * that differ from what a client's copy of a buffer holds, packed and compressed. The rects are
 * rendered by FrameRenderer.renderInto() into a scratch image, exactly as it rewrites a
 * SHARED_MEMORY buffer, and cut from it: only the changed regions are rendered, and a copy
 * brought up to date with them equals a full render byte for byte, since the same damage
 * history decides which image pixels can differ (rewrite-region.ts). A full frame is the
 * frame's full render for the target, made once for every client with that target.
 *
 * Each update is made once per (frame, target, frame the copy holds, compression): clients that
 * configured alike and took the same frames share it.
 */
import zlib = require('node:zlib');
import { isImageTransformAvailable } from '../codec/image-transform';
import type { Rect } from '../core/rect';
import type { FrameRenderer } from '../render/frame-renderer';
import { targetKey, type RenderTarget } from '../render/render-target';
import { rewriteRegions } from '../render/rewrite-region';
import type { Frame } from '../scheduler/frame';
import { PixelPool } from '../scheduler/pixel-pool';

export type RectCompression = 'none' | 'deflate' | 'brotli';

/**
 * The fastest levels: measured on the animated desktop at 1080p (docs/PERFORMANCE.md), deflate
 * level 6 takes 2.5 times level 1's CPU for a quarter fewer bytes, and Brotli quality 4 2.5
 * times quality 1's for a seventh fewer: a frame must go out within its vsync.
 */
const DEFLATE_LEVEL = 1;
const BROTLI_QUALITY = 1;

/**
 * Past this share of the image changed, a full frame is sent: the rects would carry about as
 * many bytes, and a full frame needs no earlier content (the rule SHARED_MEMORY writes follow).
 */
const WHOLE_IMAGE_SHARE = 0.5;

/** What RectUpdate carries; `data` is shared between the replies that send it. */
export interface RectUpdate {
  readonly rects: readonly Rect[];
  readonly fullFrame: boolean;
  readonly compression: RectCompression;
  readonly data: Buffer;
  readonly uncompressedSize: number;
}

export class RectUpdates {
  private readonly cache = new WeakMap<Frame, Map<string, Promise<RectUpdate>>>();
  /** Scratch images the rects are rendered into: a few targets' worth. */
  private readonly scratch = new PixelPool(4);

  constructor(private readonly renderer: FrameRenderer) {}

  /**
   * The update that brings a copy holding the image of frame `heldFrame` to the target's image
   * of `frame`. `changed`: the display rects changed since `heldFrame` (pointer areas included
   * for a target that draws the pointer); undefined when unknown, and the update is a full
   * frame. The caller holds `frame` until the reply is sent (a full frame's data may be the
   * frame's render).
   */
  update(
    frame: Frame,
    target: RenderTarget,
    heldFrame: number,
    changed: readonly Rect[] | undefined,
    compression: RectCompression,
  ): Promise<RectUpdate> {
    let byKey = this.cache.get(frame);
    if (!byKey) {
      byKey = new Map();
      this.cache.set(frame, byKey);
    }
    const key = `${targetKey(target)}|${changed === undefined ? 0 : heldFrame}|${compression}`;
    let made = byKey.get(key);
    if (!made) {
      made = this.make(frame, target, changed, compression);
      byKey.set(key, made);
      made.catch(() => byKey.delete(key));
    }
    return made;
  }

  private async make(
    frame: Frame,
    target: RenderTarget,
    changed: readonly Rect[] | undefined,
    compression: RectCompression,
  ): Promise<RectUpdate> {
    const imageBytes = target.width * target.height * 4;
    const rects = changed === undefined ? undefined : rewriteRegions(changed, frame.width, frame.height, target);
    if (rects === undefined || area(rects) * 4 >= WHOLE_IMAGE_SHARE * imageBytes) {
      // The render as it is (the reply is serialized while the frame is held, see inline-replies.ts).
      const rendered = await this.renderer.render(frame, target);
      return compress([{ x: 0, y: 0, width: target.width, height: target.height }], true, rendered, compression);
    }
    if (!isImageTransformAvailable()) {
      // Rendering regions needs the native addon; without it, cut them from the full render.
      return compress(rects, false, pack(await this.renderer.render(frame, target), target.width * 4, rects), compression);
    }
    const scratch = this.scratch.acquire(imageBytes);
    try {
      // Outside the rects the scratch holds whatever it held: only the rects are read.
      await this.renderer.renderInto(frame, target, scratch.data, changed);
      return compress(rects, false, pack(scratch.data, target.width * 4, rects), compression);
    } finally {
      scratch.release();
    }
  }
}

async function compress(sent: readonly Rect[], fullFrame: boolean, packed: Buffer, compression: RectCompression): Promise<RectUpdate> {
  const data = compression === 'deflate' ? await deflate(packed) : compression === 'brotli' ? await brotli(packed) : packed;
  // Noise grows a little when compressed: sent as it is, a reply is never larger than a full
  // INLINE frame's (the receive limit declared on Configure holds for both).
  if (data.length >= packed.length) return { rects: sent, fullFrame, compression: 'none', data: packed, uncompressedSize: packed.length };
  return { rects: sent, fullFrame, compression, data, uncompressedSize: packed.length };
}

/** The rects' rows from `image`, one after another. */
function pack(image: Buffer, stride: number, rects: readonly Rect[]): Buffer {
  const packed = Buffer.allocUnsafe(area(rects) * 4);
  let at = 0;
  for (const rect of rects) {
    const rowBytes = rect.width * 4;
    for (let row = rect.y; row < rect.y + rect.height; row++) {
      const start = row * stride + rect.x * 4;
      at += image.copy(packed, at, start, start + rowBytes);
    }
  }
  return packed;
}

/** On the thread pool: the event loop keeps serving other clients meanwhile. */
function deflate(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlib.deflate(bytes, { level: DEFLATE_LEVEL }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function brotli(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
    zlib.brotliCompress(bytes, { params }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** Total area; rects may overlap (mapped with a margin), so this may overstate it. */
function area(rects: readonly Rect[]): number {
  return rects.reduce((sum, rect) => sum + rect.width * rect.height, 0);
}
