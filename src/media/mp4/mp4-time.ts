/**
 * Time conversion between the writer's input (microseconds) and a track timescale (ticks per
 * second). Every sample time is converted from its absolute timestamp, never by adding converted
 * deltas, so rounding never accumulates: sample N is always within half a tick of its true time.
 */

const MICROSECONDS_PER_SECOND = 1_000_000;

/**
 * Converts an absolute time in microseconds to ticks of `timescale`, rounded to the nearest tick.
 * Whole seconds and the remainder are converted apart so that the product stays far below 2^53
 * even for recordings of days at 90 kHz.
 */
export function microsecondsToTicks(microseconds: number, timescale: number): number {
  const seconds = Math.floor(microseconds / MICROSECONDS_PER_SECOND);
  const remainder = microseconds - seconds * MICROSECONDS_PER_SECOND;
  return seconds * timescale + Math.round((remainder * timescale) / MICROSECONDS_PER_SECOND);
}

/** The length of one tick of `timescale`, in microseconds (for error messages). */
export function tickMicroseconds(timescale: number): number {
  return MICROSECONDS_PER_SECOND / timescale;
}
