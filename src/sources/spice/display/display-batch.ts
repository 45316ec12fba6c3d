import type { Rect } from '../../../core/rect';
import { type Area, toRect } from '../canvas/clip';
import type { MessageChannel } from '../channels/channel-connection';
import type { SpiceMessage } from '../wire/framing';

/** More rectangles than this in one batch are reported as their bounding box. */
const MAX_DAMAGE_RECTS = 64;
/** Stop reading the socket while this many messages wait for an asynchronous decode. */
const QUEUE_HIGH_WATER = 256;

/** What a batch reports when it ends. */
export interface BatchReport {
  damage(rects: Rect[]): void;
  mark(): void;
}

/**
 * A display channel's messages applied strictly in order, and reported a batch at a time.
 *
 * A batch is what arrived together: the messages of one socket read, applied in one event-loop
 * turn, or, when a decode had to be awaited, everything queued until the queue is empty again.
 * Most messages apply synchronously; one that needs a decode makes the channel `busy` until the
 * queue drains, so a frame is never latched halfway through a batch. Damage is reported once per
 * batch, in a microtask after its last message (before any timer or I/O callback, so before the
 * scheduler can latch), and MARK after that damage.
 */
export class DisplayBatch {
  private readonly queue: SpiceMessage[] = [];
  private draining = false;
  private damageAreas: Area[] = [];
  private markPending = false;
  private flushScheduled = false;

  constructor(
    private readonly connection: MessageChannel,
    private readonly apply: (message: SpiceMessage) => void | Promise<void>,
    private readonly report: BatchReport,
  ) {}

  /** True while messages wait for an asynchronous decode (the surface is mid-batch). */
  get busy(): boolean {
    return this.draining;
  }

  enqueue(message: SpiceMessage): void {
    this.queue.push(message);
    if (!this.draining) this.drain();
    else if (this.queue.length >= QUEUE_HIGH_WATER) this.connection.pause();
  }

  /** Damage to report at the end of this batch. */
  damaged(areas: Area[]): void {
    this.damageAreas.push(...areas);
  }

  /** MARK arrived: reported after this batch's damage. */
  mark(): void {
    this.markPending = true;
  }

  /** Ends the batch now: reports its damage, then MARK if one arrived. */
  flush(): void {
    if (this.damageAreas.length > 0) {
      let areas = this.damageAreas;
      this.damageAreas = [];
      if (areas.length > MAX_DAMAGE_RECTS) {
        let { x0, y0, x1, y1 } = areas[0];
        for (const a of areas) {
          x0 = Math.min(x0, a.x0);
          y0 = Math.min(y0, a.y0);
          x1 = Math.max(x1, a.x1);
          y1 = Math.max(y1, a.y1);
        }
        areas = [{ x0, y0, x1, y1 }];
      }
      this.report.damage(areas.map(toRect));
    }
    if (this.markPending) {
      this.markPending = false;
      this.report.mark();
    }
  }

  /** Applies queued messages in order; awaits only when a message needs it. */
  private drain(): void {
    this.draining = true;
    while (this.queue.length > 0) {
      if (this.connection.isClosed) {
        this.queue.length = 0;
        break;
      }
      const message = this.queue.shift()!;
      let pending: void | Promise<void>;
      try {
        pending = this.apply(message);
      } catch (error) {
        this.fail(error);
        return;
      }
      if (pending) {
        pending.then(
          () => this.drain(),
          (error: unknown) => this.fail(error),
        );
        return;
      }
    }
    this.draining = false;
    this.connection.resume();
    this.scheduleFlush();
  }

  private fail(error: unknown): void {
    this.queue.length = 0;
    this.draining = false;
    this.flush();
    this.connection.close(error instanceof Error ? error : new Error(String(error)));
  }

  /** Reports the batch once the messages of this turn have been applied. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      // Mid-batch (a decode is awaited): the drain reschedules the flush when the queue empties.
      if (!this.draining) this.flush();
    });
  }
}
