import type { DisplaySink, PointerState, Rect } from '../../../src/sources/display-source';

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
