/**
 * Vsync clocks: the cadence at which the scheduler may latch a frame. The real one is driven by
 * timers; the manual one lets tests (and embedders that have their own vsync) tick it.
 */
import { FieldError } from '../core/field-error';
import { wallClockMs } from '../util/wall-clock';

export interface VsyncTick {
  /** Monotonic time of the tick (process.hrtime.bigint), nanoseconds. */
  readonly monotonicNs: bigint;
  /** The same instant on the wall clock, milliseconds since the epoch (fractional). */
  readonly wallMs: number;
}

export interface VsyncClock {
  /** Nominal rate in ticks per second. */
  readonly hz: number;
  /**
   * `onMidFrame`, on a clock whose `midFrames` is true, is called once per period halfway
   * between two ticks: the quiet half of a frame, after a latch's deliveries and before the next
   * latch, where the scheduler lets sources draw (DisplaySink.onFrameBegin).
   */
  start(onVsync: (tick: VsyncTick) => void, onMidFrame?: () => void): void;
  stop(): void;
  /** Whether start() calls onMidFrame; only a clock that keeps real time can say when halfway is. */
  readonly midFrames?: boolean;
}

/** Reads both clocks at one instant. */
export function now(): VsyncTick {
  return { monotonicNs: process.hrtime.bigint(), wallMs: wallClockMs() };
}

export const MAX_VSYNC_HZ = 240;

/**
 * A vsync clock from timers. Ticks are placed on a fixed grid (start + k * period) so that
 * timer lateness never accumulates into drift; a tick that is more than a period late is
 * skipped rather than fired twice in a row.
 */
export class TimerVsyncClock implements VsyncClock {
  readonly midFrames = true;
  private timer: NodeJS.Timeout | undefined;
  private midTimer: NodeJS.Timeout | undefined;
  private readonly periodNs: bigint;

  constructor(readonly hz: number) {
    if (!Number.isFinite(hz) || hz <= 0 || hz > MAX_VSYNC_HZ) {
      throw new FieldError('vsync', `must be a rate from 1 to ${MAX_VSYNC_HZ} Hz, got ${hz}`);
    }
    this.periodNs = BigInt(Math.round(1e9 / hz));
  }

  start(onVsync: (tick: VsyncTick) => void, onMidFrame?: () => void): void {
    if (this.timer) throw new Error('TimerVsyncClock is already running');
    const origin = process.hrtime.bigint();
    let nextIndex = 1n;
    const delayUntil = (target: bigint) => Math.max(0, Number(target - process.hrtime.bigint()) / 1e6);
    const schedule = () => {
      this.timer = setTimeout(fire, delayUntil(origin + nextIndex * this.periodNs));
    };
    const fire = () => {
      const tick = now();
      // Move to the first grid point after now: late timers skip ticks instead of bunching them.
      // Timers may also fire a little early (Node rounds to milliseconds), so never aim at the
      // grid point just fired again.
      const afterNow = (tick.monotonicNs - origin) / this.periodNs + 1n;
      nextIndex = afterNow > nextIndex ? afterNow : nextIndex + 1n;
      schedule();
      if (onMidFrame) {
        // Halfway to the next tick, on the same grid; after a tick that came late, no sooner than a
        // quarter period after it, so that it stays out of the latch's deliveries.
        const halfway = delayUntil(origin + nextIndex * this.periodNs - this.periodNs / 2n);
        clearTimeout(this.midTimer);
        this.midTimer = setTimeout(onMidFrame, Math.max(halfway, Number(this.periodNs) / 4e6));
      }
      onVsync(tick);
    };
    schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.midTimer);
    this.timer = undefined;
    this.midTimer = undefined;
  }
}

/** A clock that ticks only when told to; for tests and for embedding under an external vsync. */
export class ManualVsyncClock implements VsyncClock {
  private listener: ((tick: VsyncTick) => void) | undefined;

  constructor(readonly hz = 60) {}

  start(onVsync: (tick: VsyncTick) => void): void {
    this.listener = onVsync;
  }

  stop(): void {
    this.listener = undefined;
  }

  /** Fires one vsync now. */
  tick(): void {
    this.listener?.(now());
  }
}
