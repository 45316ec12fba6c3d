import { createHash } from 'node:crypto';
import type { PointerShape } from '../../display-source';
import type { DecodedCursor } from './cursor-shape-decoder';

/** How many distinct recent shapes keep their id when they come back. */
const REMEMBERED_SHAPES = 64;

/**
 * Gives PointerShapes their ids: the same image (pixels and hot spot) gets the same id again, so
 * that a client holding a shape need not be sent it twice. That matters for Xspice, which sends
 * every cursor change as a fresh, uncached shape (unique id 0), and across reconnects, which empty
 * the channel's cache; the registry belongs to the source and outlives its sessions. Ids are only
 * compared for equality; a shape forgotten and seen again gets a new one.
 */
export class PointerShapeRegistry {
  private readonly byContent = new Map<string, PointerShape>();
  private nextId = 1;

  intern(cursor: DecodedCursor): PointerShape {
    const key = createHash('sha1')
      .update(`${cursor.width}x${cursor.height}@${cursor.hotX},${cursor.hotY}:`)
      .update(cursor.rgba)
      .digest('hex');
    const known = this.byContent.get(key);
    if (known) {
      // Map order is the recency order: move it to the end.
      this.byContent.delete(key);
      this.byContent.set(key, known);
      return known;
    }
    const shape: PointerShape = Object.freeze({
      id: this.nextId++,
      width: cursor.width,
      height: cursor.height,
      hotX: cursor.hotX,
      hotY: cursor.hotY,
      rgba: cursor.rgba,
    });
    this.byContent.set(key, shape);
    if (this.byContent.size > REMEMBERED_SHAPES) this.byContent.delete(this.byContent.keys().next().value!);
    return shape;
  }
}
