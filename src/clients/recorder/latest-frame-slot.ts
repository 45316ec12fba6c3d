/**
 * A one-place mailbox between the frame puller and the encoder: putting a frame while one is
 * still waiting replaces it (the latest frame wins, and the replaced one counts as skipped), so
 * a slow encoder makes the recording choppier but never later than the screen.
 */
/** What take() gives when no frame came within its idle time. */
export const IDLE: unique symbol = Symbol('idle');

export class LatestFrameSlot<T> {
  private frame: T | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  /** Frames replaced before they were taken. */
  replaced = 0;

  /** `onReplaced` gets each frame dropped unseen, e.g. to give its buffer back. */
  constructor(private readonly onReplaced?: (frame: T) => void) {}

  put(frame: T): void {
    if (this.frame !== undefined) {
      this.replaced++;
      this.onReplaced?.(this.frame);
    }
    this.frame = frame;
    this.notify();
  }

  /** No more frames: take() resolves to undefined once the slot is empty. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  /**
   * The waiting frame, or the next one put; undefined once closed and empty. With `idleMs`,
   * resolves to IDLE when no frame has come for that long (the taker may have work for a pause).
   */
  async take(idleMs?: number): Promise<T | undefined | typeof IDLE> {
    while (this.frame === undefined && !this.closed) {
      const woken = await new Promise<boolean>((resolve) => {
        const timer = idleMs === undefined ? undefined : setTimeout(() => resolve(false), idleMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      if (!woken) {
        this.wake = undefined;
        return IDLE;
      }
    }
    const frame = this.frame;
    this.frame = undefined;
    return frame;
  }

  /** The waiting frame, if any, without waiting (for a taker on its own clock). */
  takeNow(): T | undefined {
    const frame = this.frame;
    this.frame = undefined;
    return frame;
  }

  /** True once close() was called and the waiting frame, if any, was taken. */
  get finished(): boolean {
    return this.closed && this.frame === undefined;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
