/** Where a pointer shows on the surface, for damage and compositing. */
import type { PointerState } from '../core/pointer';
import type { Rect } from '../core/rect';

/**
 * The surface rectangle the pointer's image covers (its hot spot at the pointer's position), or
 * undefined when nothing is shown: no state, hidden, or no shape. Not clipped to the surface.
 */
export function pointerArea(pointer: PointerState | undefined): Rect | undefined {
  if (!pointer?.visible || !pointer.shape) return undefined;
  const { shape } = pointer;
  return { x: pointer.x - shape.hotX, y: pointer.y - shape.hotY, width: shape.width, height: shape.height };
}

/** Whether two states show the same thing at the same place (then no frame is needed). */
export function samePointerPicture(a: PointerState | undefined, b: PointerState | undefined): boolean {
  const areaA = pointerArea(a);
  const areaB = pointerArea(b);
  if (!areaA || !areaB) return areaA === areaB;
  return areaA.x === areaB.x && areaA.y === areaB.y && a!.shape!.id === b!.shape!.id;
}
