import type { Rect, SurfaceFormat } from '../sources/display-source';

/**
 * An immutable picture of the display, latched by the scheduler. Pixels are packed
 * (stride = width * 4) and never change after the frame is made, so every client can read them
 * without a copy.
 */
export interface Frame {
  /** 1, 2, 3... in latch order. */
  readonly number: number;
  /** Latch time, wall clock, in milliseconds since the Unix epoch (fractional). */
  readonly captureWallMs: number;
  /** Latch time on the monotonic clock (process.hrtime.bigint), nanoseconds. */
  readonly captureMonotonicNs: bigint;
  readonly width: number;
  readonly height: number;
  readonly format: SurfaceFormat;
  readonly pixels: Buffer;
  /** What changed since the previous frame, in this frame's pixels; the whole frame after a resize. */
  readonly damage: readonly Rect[];
}
