/**
 * A one-place mailbox between the frame puller and the encoder: putting a frame while one is
 * still waiting replaces it (the latest frame wins, and the replaced one counts as skipped), so
 * a slow encoder makes the recording choppier but never later than the screen.
 */
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

  /** The waiting frame, or the next one put; undefined once closed and empty. */
  async take(): Promise<T | undefined> {
    while (this.frame === undefined && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    const frame = this.frame;
    this.frame = undefined;
    return frame;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
