/** The pointer: its shape, where it is, and what a client asks to become of it. */

/**
 * A pointer image: straight (not premultiplied) RGBA, `width * height * 4` bytes, rows packed.
 * `id` names the shape: a source gives the same id to the same image, so a client that was sent
 * the shape once can keep it until the id changes. The hot spot is the pixel of the image that
 * sits at the pointer's position.
 */
export interface PointerShape {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly rgba: Buffer;
}

/**
 * Where the pointer is and what it looks like, in surface pixels. `x, y` is the hot spot's
 * position. `visible` is false while the source hides it (SPICE's CURSOR_HIDE) and `shape` is
 * undefined while the source has none (not yet told, or SPICE's RESET). A source whose pointer
 * is already drawn into its surface (Xspice's core cursors) does not report it.
 */
export interface PointerState {
  readonly x: number;
  readonly y: number;
  readonly visible: boolean;
  readonly shape: PointerShape | undefined;
}

/**
 * What becomes of the pointer a source reports, as in PipeWire's ScreenCast: 'embedded' draws
 * it into the image (what the screen shows); 'metadata' leaves it out and describes it beside
 * each frame; 'hidden' leaves it out.
 */
export type CursorMode = 'embedded' | 'metadata' | 'hidden';
