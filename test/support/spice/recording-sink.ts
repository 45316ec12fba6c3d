import type { DisplaySink } from '../../../src/sources/display-source';
import type { PointerState } from '../../../src/core/pointer';
import type { Rect } from '../../../src/core/rect';

/** A sink that records what a source tells the scheduler. */
export class RecordingSink implements DisplaySink {
  readonly damages: Rect[][] = [];
  frameRequests = 0;

  damage(rects: readonly Rect[]): void {
    this.damages.push([...rects]);
  }

  requestFrame(): void {
    this.frameRequests++;
  }

  readonly pointers: (PointerState | undefined)[] = [];

  pointer(state: PointerState | undefined): void {
    this.pointers.push(state);
  }
}
