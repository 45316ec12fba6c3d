import assert from 'node:assert/strict';
import { microsecondsToTicks } from '../../src/media/mp4/mp4-time';

describe('microsecondsToTicks', () => {
  it('rounds to the nearest tick', () => {
    assert.equal(microsecondsToTicks(0, 90_000), 0);
    assert.equal(microsecondsToTicks(16_667, 90_000), 1500); // 1500.03
    assert.equal(microsecondsToTicks(5, 90_000), 0); // 0.45 ticks
    assert.equal(microsecondsToTicks(6, 90_000), 1); // 0.54 ticks
    assert.equal(microsecondsToTicks(1_500, 1000), 2); // half a tick rounds up
    assert.equal(microsecondsToTicks(33_333.4, 90_000), 3000);
  });

  it('stays exact for a day-long recording at 90 kHz', () => {
    const oneDayUs = 86_400_000_000;
    assert.equal(microsecondsToTicks(oneDayUs, 90_000), 86_400 * 90_000);
    assert.equal(microsecondsToTicks(oneDayUs + 11, 90_000), 86_400 * 90_000 + 1);
  });

  it('does not drift: an hour of 60 Hz frames converts to exactly 1500 ticks each', () => {
    // Summing per-frame converted deltas of 16,667 us would gain 0.03 ticks a frame (6.5 ticks
    // over the hour); converting each absolute time keeps every frame on its exact tick.
    for (let frame = 0; frame <= 216_000; frame += 997) {
      const timestampUs = (frame * 1_000_000) / 60;
      assert.equal(microsecondsToTicks(timestampUs, 90_000), frame * 1500, `frame ${frame}`);
    }
  });
});
