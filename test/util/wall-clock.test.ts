import { strict as assert } from 'node:assert';
import { SystemTrackingClock, wallClockMs } from '../../src/util/wall-clock';

describe('wall clock', () => {
  it('follows a system clock that is slewed away from the monotonic clock, to within half a millisecond', () => {
    // Simulated clocks: the system clock runs 200 ppm fast of the monotonic one (NTP slewing a
    // large error away) and starts 0.37 ms into a millisecond; Date.now() truncates it.
    let monotonic = 1_000_000.0;
    const systemExact = (): number => monotonic + 12.37 + (monotonic - 1_000_000) * 200e-6;
    const clock = new SystemTrackingClock(
      () => monotonic,
      () => Math.floor(systemExact()),
    );
    let worst = 0;
    let total = 0;
    let seed = 7;
    for (let step = 0; step < 60_000; step++) {
      seed = (seed * 48271) % 2147483647;
      monotonic += 0.5 + seed / 2147483647; // a minute of readings ~1 ms apart, at every phase

      const error = Math.abs(clock.nowMs() - systemExact());
      worst = Math.max(worst, error);
      total += error;
    }
    assert.ok(worst < 0.5, `worst error ${worst.toFixed(3)} ms`);
    assert.ok(total / 60_000 < 0.15, `mean error ${(total / 60_000).toFixed(3)} ms`);
    // The monotonic clock alone would be 12 ms off by now.
    assert.ok(systemExact() - (monotonic + 12.37) > 11);
  });

  it('agrees with Date.now() in this process, to its millisecond', () => {
    for (let i = 0; i < 2000; i++) {
      const before = Date.now();
      const now = wallClockMs();
      const after = Date.now();
      assert.ok(now >= before - 0.25 && now < after + 1.25, `${now} outside [${before}, ${after + 1})`);
    }
  });
});
