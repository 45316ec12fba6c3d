/**
 * The wall clock that capture times are stamped with, and that the live viewer's clock probe
 * answers with: milliseconds since the epoch, fractional, following the system clock.
 *
 * Node has two clocks and neither is enough alone. `Date.now()` follows the system clock but in
 * whole milliseconds. `performance.timeOrigin + performance.now()` has microseconds but runs on
 * the monotonic clock from the moment the process started, so it drifts from the system clock
 * as NTP slews it (tens of ppm: milliseconds after minutes), and two processes (a capture server
 * and a separate viewer) drift apart. Mixing the two put the viewer's measured latencies off by
 * several milliseconds, some below zero.
 *
 * So: the monotonic reading plus an offset to the system clock, re-measured as the process runs.
 * One reading of `Date.now() - monotonicWall` lies in (offset - 1, offset], since Date.now()
 * truncates; the largest of the readings of the last half second is the offset to within a
 * fraction of a millisecond, while still following a slew (NTP's 500 ppm at most: 0.25 ms in
 * half a second).
 */

const SAMPLE_EVERY_MS = 25;
const SAMPLES_KEPT = 20;

/** A fractional wall-clock reading that runs on the monotonic clock. */
export type MonotonicWallClock = () => number;
/** The system clock in whole milliseconds, as Date.now(). */
export type SystemClock = () => number;

/** A wall clock with the monotonic clock's resolution that follows the system clock. */
export class SystemTrackingClock {
  private readonly samples: number[] = [];
  private next = 0;
  private lastSampleAt = -Infinity;
  private offsetMs: number;

  constructor(
    private readonly monotonicWall: MonotonicWallClock = () => performance.timeOrigin + performance.now(),
    private readonly system: SystemClock = Date.now,
  ) {
    this.offsetMs = this.calibrate();
  }

  /** Now, in milliseconds since the epoch (fractional). */
  nowMs(): number {
    const monotonic = this.monotonicWall();
    if (monotonic - this.lastSampleAt >= SAMPLE_EVERY_MS) {
      this.lastSampleAt = monotonic;
      this.samples[this.next] = this.system() - monotonic;
      this.next = (this.next + 1) % SAMPLES_KEPT;
      this.offsetMs = Math.max(...this.samples);
    }
    return monotonic + this.offsetMs;
  }

  /**
   * The first offset, exact rather than within a millisecond: read just after the system clock
   * ticks to its next millisecond (at most 1 ms of waiting, once).
   */
  private calibrate(): number {
    const start = this.system();
    let monotonic = this.monotonicWall();
    let system = this.system();
    for (let spins = 0; system === start && spins < 1_000_000; spins++) {
      monotonic = this.monotonicWall();
      system = this.system();
    }
    this.samples.push(system - monotonic);
    this.next = this.samples.length;
    return system - monotonic;
  }
}

const processClock = new SystemTrackingClock();

/** Now, in milliseconds since the epoch (fractional), on the system clock. */
export function wallClockMs(): number {
  return processClock.nowMs();
}
