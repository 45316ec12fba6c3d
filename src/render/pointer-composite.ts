/**
 * The pointer drawn into a frame's picture, for clients that want it embedded.
 *
 * It is drawn at the display's own resolution into a copy of the latched frame, once per frame
 * for every EMBEDDED target, before any scaling or rotation: the client's image is then exactly
 * what the screen shows, transformed like the rest of it (the pointer filtered together with
 * what is under it, letterbox bars and rotations needing no special case), and a client at the
 * display's size gets it without a further copy. The cost is one frame-sized copy into a pooled
 * buffer per frame while the pointer is shown and an EMBEDDED client takes the frame; drawing
 * into each client's scaled image instead would need the pointer scaled and rotated per target
 * and would still need that copy for a client at the display's size, since the latched pixels
 * are shared with clients that must not see the pointer.
 */
import { clipToBounds, isEmpty } from '../core/rect';
import { pointerArea } from '../scheduler/pointer-area';
import type { PointerState } from '../core/pointer';
import type { SurfaceFormat } from '../core/pixel-format';
import { blendPointer } from './pointer-blend';

/** Whether any of the pointer shows on a width x height picture. */
export function pointerShows(pointer: PointerState | undefined, width: number, height: number): boolean {
  const area = pointerArea(pointer);
  return area !== undefined && !isEmpty(clipToBounds(area, width, height));
}

/** Blends the pointer into a packed picture (width * 4 bytes a row) in place; clipped to it. */
export function drawPointer(pixels: Buffer, width: number, height: number, format: SurfaceFormat, pointer: PointerState | undefined): void {
  const area = pointerArea(pointer);
  if (!area || !pointer?.shape) return;
  const shown = clipToBounds(area, width, height);
  if (isEmpty(shown)) return;
  const shape = pointer.shape;
  const srcOffset = ((shown.y - area.y) * shape.width + (shown.x - area.x)) * 4;
  const dstOffset = (shown.y * width + shown.x) * 4;
  blendPointer(pixels, dstOffset, width * 4, shape.rgba, srcOffset, shape.width * 4, shown.width, shown.height, format === 'bgra8');
}
