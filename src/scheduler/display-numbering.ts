/**
 * Frame numbers of each display of the desktop. A client configured for one display (a monitor
 * head) must see its frames numbered 1, 2, 3... by changes to that display alone: a clock ticking
 * on another head is not a frame of this one, so it neither wakes the client nor shows up as a
 * skipped frame. The scheduler latches frames for the whole desktop; this counts, at each latch,
 * which displays the frame changed.
 */
import type { Display } from '../core/display';
import { intersects, type Rect } from '../core/rect';
import type { DisplayFrame } from './frame';

export class DisplayNumbering {
  /** Each display's latest number, kept while it is gone so that its numbers go on if it comes back. */
  private readonly numbers = new Map<number, number>();
  private previous: readonly Display[] = [];

  /**
   * Numbers `displays` for a frame whose changes are `changed` (pixels and pointer areas, in
   * desktop coordinates); `everything` when the whole desktop is new (the first frame, a resize).
   * A display that is new or moved since the previous frame has changed as a whole.
   */
  number(displays: readonly Display[], changed: readonly Rect[], everything: boolean): DisplayFrame[] {
    const numbered = displays.map((display) => {
      const before = this.numbers.get(display.id) ?? 0;
      const touched = everything || !sameRegion(display, this.previous) || changed.some((rect) => intersects(rect, display));
      const frameNumber = touched ? before + 1 : before;
      this.numbers.set(display.id, frameNumber);
      return { ...display, frameNumber };
    });
    this.previous = displays;
    return numbered;
  }

  /**
   * The regions of `displays` that the previous frame did not have (new displays, and moved or
   * resized ones, where they are now); empty when the layout is as it was.
   */
  newRegions(displays: readonly Display[]): Rect[] {
    return displays.filter((display) => !sameRegion(display, this.previous));
  }
}

/** Whether `list` has a display of this id with this region. */
function sameRegion(display: Display, list: readonly Display[]): boolean {
  return list.some(
    (other) =>
      other.id === display.id &&
      other.x === display.x &&
      other.y === display.y &&
      other.width === display.width &&
      other.height === display.height,
  );
}
