/**
 * The frame transform done by the native addon (libyuv): rotate, scale bilinearly and swap R and
 * B in one pass on a libuv worker, straight into a buffer the caller reuses. Preferred over
 * sharp when the addon is built: no fresh output buffer per frame, and no libvips pipeline to
 * set up for every frame.
 */
import { transform } from '../codec/image-transform';
import type { Rect } from '../core/rect';
import type { Picture } from './picture';
import type { RenderTarget } from './render-target';

/** `regions` (with `into`): only these rects of the target are written; see transform(). */
export function nativeTransform(frame: Picture, target: RenderTarget, into?: Buffer, regions?: readonly Rect[]): Promise<Buffer> {
  return transform(
    frame.pixels,
    frame.width,
    frame.height,
    frame.width * 4,
    frame.format,
    target.width,
    target.height,
    target.rotation,
    target.format,
    target.scaleMode,
    into,
    regions,
  );
}
