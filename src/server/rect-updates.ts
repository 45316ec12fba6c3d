/**
 * INLINE damage-only replies (INLINE_ENCODING_DAMAGE_RECTS): the rectangles of a frame's image
 * that differ from what a client's copy of a buffer holds, packed and compressed. The rects are
 * cut from the frame's full render for the target (made once per frame and target, shared with
 * every other client), so a copy brought up to date with them equals a full render byte for
 * byte, exactly as a SHARED_MEMORY buffer rewritten by FrameRenderer.renderInto() does: the same
 * damage history decides which image pixels can differ (rewrite-region.ts).
 *
 * Each update is made once per (frame, target, frame the copy holds, compression): clients that
 * configured alike and took the same frames share it.
 */
import zlib = require('node:zlib');
import type { Rect } from '../core/rect';
import { targetKey, type RenderTarget } from '../render/render-target';
import { rewriteRegions } from '../render/rewrite-region';
import type { Frame } from '../scheduler/frame';

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

  /**
   * The update that brings a copy holding the image of frame `heldFrame` to `rendered` (the
   * target's full render of `frame`). `changed`: the display rects changed since `heldFrame`
   * (pointer areas included for a target that draws the pointer); undefined when unknown, and
   * the update is a full frame. The caller holds `frame` until the promise settles.
   */
  update(frame: Frame, target: RenderTarget, rendered: Buffer, heldFrame: number, changed: readonly Rect[] | undefined, compression: RectCompression): Promise<RectUpdate> {
    let byKey = this.cache.get(frame);
    if (!byKey) {
      byKey = new Map();
      this.cache.set(frame, byKey);
    }
    const key = `${targetKey(target)}|${changed === undefined ? 0 : heldFrame}|${compression}`;
    let made = byKey.get(key);
    if (!made) {
      made = makeUpdate(frame, target, rendered, changed, compression);
      byKey.set(key, made);
      made.catch(() => byKey.delete(key));
    }
    return made;
  }
}

async function makeUpdate(frame: Frame, target: RenderTarget, rendered: Buffer, changed: readonly Rect[] | undefined, compression: RectCompression): Promise<RectUpdate> {
  const imageBytes = target.width * target.height * 4;
  let rects = changed === undefined ? undefined : rewriteRegions(changed, frame.width, frame.height, target);
  if (rects !== undefined && area(rects) * 4 >= WHOLE_IMAGE_SHARE * imageBytes) rects = undefined;
  const fullFrame = rects === undefined;
  const sent = rects ?? [{ x: 0, y: 0, width: target.width, height: target.height }];
  // A full frame is the render as it is (the reply is serialized while the frame is held, see
  // InlineReplies); rects are gathered row by row (one copy per row).
  const packed = fullFrame ? rendered : pack(rendered, target.width * 4, sent);
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
