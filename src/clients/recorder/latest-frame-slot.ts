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
  /** Pullers waiting for the slot to empty (see vacated()). */
  private vacancyWaiters: (() => void)[] = [];
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
    this.notifyVacancy();
  }

  /**
   * Resolves once no frame waits (it was taken, or there was none), the slot is closed, or
   * `signal` aborts. A puller that asks for its next frame only then has none replaced: a frame
   * the encoder would never see costs the server a render and the transport a delivery.
   */
  vacated(signal?: AbortSignal): Promise<void> {
    if (this.frame === undefined || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.vacancyWaiters = this.vacancyWaiters.filter((waiter) => waiter !== done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      this.vacancyWaiters.push(done);
    });
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
    return this.takeNow();
  }

  /** The waiting frame, if any, without waiting (for a taker on its own clock). */
  takeNow(): T | undefined {
    const frame = this.frame;
    this.frame = undefined;
    this.notifyVacancy();
    return frame;
  }

  /** True once close() was called and the waiting frame, if any, was taken. */
  get finished(): boolean {
    return this.closed && this.frame === undefined;
  }

  private notifyVacancy(): void {
    for (const waiter of this.vacancyWaiters) waiter();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
