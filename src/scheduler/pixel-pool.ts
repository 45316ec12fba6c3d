/**
 * Reusable pixel buffers with reference counts. A 1080p frame is 8.3 MB; allocating one per vsync
 * (and one per render) costs a page fault per 4 KiB on first touch, several milliseconds, plus
 * the garbage collector's time, which is more than the copy itself. So frames and renders take
 * their buffers from a pool and give them back when the last holder lets go: a buffer that a
 * pending delivery still reads (a socket write, a shared-memory write, a transform) is never
 * handed out again meanwhile.
 *
 * A missed release is harmless: the buffer is simply collected as garbage and the pool allocates
 * another. A release too many would hand out a buffer still in use, so it throws.
 */
export class PixelBuffer {
  private refs = 1;
  /**
   * What the pixels are, for a user that updates a buffer in place rather than filling it
   * (the scheduler keeps the frame number here); it stays with the memory through the pool.
   * 0: unknown (a new buffer, or set so by the user).
   */
  content = 0;

  constructor(
    readonly data: Buffer,
    private readonly pool: PixelPool,
  ) {}

  /** One more holder; each must call release() once. */
  retain(): void {
    if (this.refs === 0) throw new Error('PixelBuffer.retain: the buffer was already given back to its pool');
    this.refs++;
  }

  release(): void {
    if (this.refs === 0) throw new Error('PixelBuffer.release: released more often than retained');
    if (--this.refs === 0) this.pool.recycle(this.data, this.content);
  }
}

export class PixelPool {
  private readonly free: { data: Buffer; content: number }[] = [];

  /**
   * `maxFree`: buffers kept for reuse. Beyond it the oldest is dropped, which also lets buffers
   * of an old size go after a resize.
   */
  constructor(private readonly maxFree = 4) {}

  /** A buffer of exactly `size` bytes with one holder; its contents are whatever was there. */
  acquire(size: number): PixelBuffer {
    return this.take(
      size,
      this.free.findIndex((buffer) => buffer.data.length === size),
    );
  }

  /**
   * Like acquire(), choosing among the free buffers of that size the one with the highest
   * `content`: for a user that updates the newest picture rather than rewriting one.
   */
  acquireNewest(size: number): PixelBuffer {
    let best = -1;
    this.free.forEach((buffer, i) => {
      if (buffer.data.length === size && (best < 0 || buffer.content > this.free[best]!.content)) best = i;
    });
    return this.take(size, best);
  }

  private take(size: number, index: number): PixelBuffer {
    if (index < 0) {
      // allocUnsafeSlow: a buffer of its own, not a slice of Node's shared 8 KiB pool, so that
      // small frames (tests) recycle the same way large ones do.
      return new PixelBuffer(Buffer.allocUnsafeSlow(size), this);
    }
    const [reused] = this.free.splice(index, 1);
    const buffer = new PixelBuffer(reused!.data, this);
    buffer.content = reused!.content;
    return buffer;
  }

  /** @internal Called by PixelBuffer when its last holder lets go. */
  recycle(data: Buffer, content: number): void {
    this.free.push({ data, content });
    if (this.free.length > this.maxFree) this.free.shift();
  }

  /** Buffers waiting for reuse (for tests and diagnostics). */
  get freeCount(): number {
    return this.free.length;
  }
}
