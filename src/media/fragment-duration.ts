/**
 * The range of an MP4 fragment's target duration, which is also the recorder's keyframe interval.
 * Kept apart from the MP4 writer so that the command line can check `--keyframe-interval` before
 * anything starts without loading the writer (`screencap serve` loads none of it unless it records).
 */

/** The shortest target: a fragment per millisecond is already a keyframe per frame. */
export const MIN_FRAGMENT_DURATION_MS = 1;
/** The longest target: longer fragments would defeat crash safety (a crash loses about one). */
export const MAX_FRAGMENT_DURATION_MS = 60_000;
