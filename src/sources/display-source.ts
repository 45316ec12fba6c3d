/**
 * The contract between a display source (the built-in synthetic desktop, a SPICE client, a still
 * image) and the frame scheduler.
 *
 * A source owns one surface: a packed 4-byte-per-pixel image it draws into. It tells the
 * scheduler *what* changed (damage) and, rarely, that a frame must be taken *now* (SPICE's MARK);
 * the scheduler decides *when* to latch, copying the surface into an immutable frame at a vsync.
 * Latching happens on the event loop, so a source that updates its surface synchronously is
 * always seen between two updates; a source that applies a batch of updates across several
 * event-loop turns reports `isLatchable() === false` until the batch is complete.
 */

import type { Display } from '../core/display';
import type { Rect } from '../core/rect';
import type { PointerShape, PointerState } from '../core/pointer';
import type { SurfaceFormat } from '../core/pixel-format';

// The shared types a source's contract is made of, declared in the base layer.
export type { Display, PointerShape, PointerState, Rect, SurfaceFormat };

/** A source's current image. `pixels` holds `height * stride` bytes. */
export interface Surface {
  readonly width: number;
  readonly height: number;
  /** Bytes per row; at least width * 4. */
  readonly stride: number;
  readonly format: SurfaceFormat;
  readonly pixels: Buffer;
}

/**
 * Whether the source shows its display now. A source that can lose its display (a SPICE client
 * whose server went away) reports `live: false` while it cannot see it: the picture the
 * scheduler holds is then the last one it had, and may be stale.
 */
export interface SourceStatus {
  readonly live: boolean;
  /** Why not, for people ("connecting", "reconnecting in 2 s: connection refused"); '' when live. */
  readonly detail: string;
  /**
   * Not live because another client holds the display (a SPICE server takes one client at a
   * time), rather than because the display is gone.
   */
  readonly displaced?: boolean;
}

export const LIVE: SourceStatus = Object.freeze({ live: true, detail: '' });

/** What a source tells the scheduler. */
export interface DisplaySink {
  /**
   * These rectangles of the surface changed. A new surface size (a resize) is reported as
   * damage covering the whole new surface.
   */
  damage(rects: readonly Rect[]): void;
  /**
   * Latch a frame at once rather than at the next vsync (used for SPICE's MARK: the first
   * complete picture of a surface). Damage reported before the call is part of that frame.
   */
  requestFrame(): void;
  /**
   * The pointer moved, changed shape, appeared or vanished; `undefined` when the source no
   * longer has a pointer at all. A change is damage (the old and new pointer areas): it makes a
   * frame at the next vsync, at most one per vsync however many moves come in between. The
   * state is immutable: send a new object for each change.
   */
  pointer(state: PointerState | undefined): void;
  /**
   * The source went down or came back (sources that cannot go down never call it: a source is
   * live until it says otherwise).
   */
  status?(status: SourceStatus): void;
  /**
   * Offered when the display's vsync keeps real time (absent under a manual clock): calls `draw`
   * once per display frame, halfway between two vsyncs, with the display's frame period in
   * milliseconds, until the returned function is called. A source that animates on its own clock
   * may draw here instead, as a Wayland client draws on its frame callback: once per frame, in
   * the half of the frame after a latch's deliveries are out, so that its drawing never delays
   * them (its damage is latched at the next vsync).
   */
  onFrameBegin?(draw: (framePeriodMs: number) => void): () => void;
}

export interface DisplaySource {
  /** What the frames come from, for logs and GetDisplayInfo ("synthetic 1920x1080", "spice://..."). */
  readonly description: string;
  /**
   * Starts producing: the source calls the sink from now on. Resolves once the source is
   * running (it may not have a surface yet: a SPICE source has none until the server sends one).
   */
  start(sink: DisplaySink): Promise<void>;
  /** Stops producing and frees what the source holds; the sink is not called afterwards. */
  stop(): Promise<void>;
  /** The current surface, or undefined while there is none. Read by the scheduler when it latches. */
  surface(): Surface | undefined;
  /** False while the surface is halfway through a batch of updates; the scheduler then waits. */
  isLatchable(): boolean;
  /**
   * The monitors the surface is divided into, now (a SPICE guest's heads), in surface pixels;
   * read whenever the server needs them, so a source just answers with its latest list. Absent,
   * or an empty list: one display, the whole surface.
   */
  displays?(): readonly Display[];
}
