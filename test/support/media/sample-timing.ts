/**
 * Capture-like timestamps: frames arrive when the screen changes, not at a fixed rate, so the
 * gaps vary (one, two or three 60 Hz vsyncs, with microsecond jitter).
 */
const GAPS_US = [16_667, 33_333, 50_021, 16_000, 33_367, 49_950, 17_012];

/** `count` increasing timestamps in microseconds, the first at `startUs`. */
export function irregularTimestamps(count: number, startUs = 0): number[] {
  const timestamps: number[] = [];
  let time = startUs;
  for (let i = 0; i < count; i++) {
    timestamps.push(time);
    time += GAPS_US[i % GAPS_US.length];
  }
  return timestamps;
}
