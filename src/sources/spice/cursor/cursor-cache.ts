import type { PointerShape } from '../../display-source';

/**
 * spice-server assumes 256 cached cursors per client (CLIENT_CURSOR_CACHE_SIZE) and invalidates
 * entries itself (INVAL_ONE) before going over; the protocol has no field announcing a size. The
 * bound here only protects this process from a server that never invalidates.
 */
export const MAX_CACHED_CURSORS = 1024;

/** The cursor channel's cache: shapes sent with CACHE_ME, reused by FROM_CACHE, keyed by unique id. */
export class CursorCache {
  private readonly shapes = new Map<bigint, PointerShape>();

  get(unique: bigint): PointerShape | undefined {
    return this.shapes.get(unique);
  }

  put(unique: bigint, shape: PointerShape): void {
    this.shapes.delete(unique);
    // The oldest entry goes first (Map keeps insertion order).
    if (this.shapes.size >= MAX_CACHED_CURSORS) this.shapes.delete(this.shapes.keys().next().value!);
    this.shapes.set(unique, shape);
  }

  remove(unique: bigint): void {
    this.shapes.delete(unique);
  }

  clear(): void {
    this.shapes.clear();
  }

  get size(): number {
    return this.shapes.size;
  }
}
