import type { Display } from '../core/display';
import type { PointerState } from '../core/pointer';
import type { Rect } from '../core/rect';
import type { SurfaceFormat } from '../core/pixel-format';

/**
 * A picture of the display, latched by the scheduler. Pixels are packed (stride = width * 4) and
 * do not change while the frame is held: the scheduler holds its latest frame, and whoever reads
 * the pixels after that (a render, a delivery to a client) holds it too, through hold(). When
 * the last holder lets go, the pixel buffer (and the renders made from it) go back to a pool for
 * later frames, so a frame must not be read after its holds are released.
 */
export interface Frame {
  /** 1, 2, 3... in latch order. */
  readonly number: number;
  /**
   * The desktop's displays at the latch, each with its own frame number: 1, 2, 3... over the
   * frames that changed what it shows (its pixels or the pointer over it), or moved it; a frame
   * that changed only another display leaves it as it was. A client of one display counts and
   * skips frames in these numbers.
   */
  readonly displays: readonly DisplayFrame[];
  /** Latch time, wall clock, in milliseconds since the Unix epoch (fractional). */
  readonly captureWallMs: number;
  /** Latch time on the monotonic clock (process.hrtime.bigint), nanoseconds. */
  readonly captureMonotonicNs: bigint;
  readonly width: number;
  readonly height: number;
  readonly format: SurfaceFormat;
  readonly pixels: Buffer;
  /**
   * What changed in `pixels` since the previous frame; the whole frame after a resize. Empty
   * when only the pointer changed (see pointerDamage).
   */
  readonly damage: readonly Rect[];
  /**
   * The pointer as the source reported it at the latch; undefined when it reports none. It is
   * not in `pixels`: a renderer draws it for the clients that want it there.
   */
  readonly pointer: PointerState | undefined;
  /**
   * The surface areas the pointer left and entered since the previous frame (clipped to the
   * frame); what changes for a client that sees the pointer in its image, on top of `damage`.
   */
  readonly pointerDamage: readonly Rect[];
  /**
   * Keeps the pixels from being reused until the returned function is called (calling it again
   * does nothing). Throws once the frame has been given back.
   */
  hold(): () => void;
  /** Runs `dispose` when the frame is given back (its last hold released); for what hangs off it. */
  onDispose(dispose: () => void): void;
}

/** A display as a frame latched it, and the display's own number for that frame. */
export interface DisplayFrame extends Display {
  readonly frameNumber: number;
}
