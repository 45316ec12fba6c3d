/**
 * The range of an MP4 fragment's target duration and of the recorder's keyframe interval, and how
 * the recorder picks the two. Kept apart from the MP4 writer and the recorder so that the command
 * line can check `--fragment` and `--keyframe-interval` before anything starts without loading
 * either (`screencap serve` loads none of it unless it records).
 */

/** The shortest target: a fragment per millisecond is already a keyframe per frame. */
export const MIN_FRAGMENT_DURATION_MS = 1;
/** The longest target: longer fragments would defeat crash safety (a crash loses about one). */
export const MAX_FRAGMENT_DURATION_MS = 60_000;

/**
 * The recorder's keyframe interval by default. Keyframes are by far the costliest frames on a
 * busy screen (a textured 1080p IDR takes some 85 ms in screen-content mode, and a recorder that
 * skips frames around it makes the next frames dearer too): with one a second, a busy 1080p
 * screen recorded at about two thirds of 60 fps on this project's benchmark machine, with one
 * every 5 s at nearly all of it (docs/PERFORMANCE.md). Seeking lands within 5 s.
 */
export const DEFAULT_KEYFRAME_INTERVAL_MS = 5000;
/** The highest constant frame rate a recording takes (`--fps`): the highest vsync rate a server runs at. */
export const MAX_RECORDING_FPS = 240;

/** The recorder's fragment length by default: about the most a crash loses. */
export const DEFAULT_RECORDING_FRAGMENT_MS = 1000;

/**
 * A recording's keyframe interval and fragment length: the ones given, or the defaults, the
 * fragment never longer than the keyframe interval unless both are given (which the callers
 * refuse: each keyframe starts a fragment).
 */
export function recordingTiming(given: { keyframeIntervalMs?: number; fragmentDurationMs?: number }): {
  keyframeIntervalMs: number;
  fragmentDurationMs: number;
} {
  const keyframeIntervalMs = given.keyframeIntervalMs ?? DEFAULT_KEYFRAME_INTERVAL_MS;
  const fragmentDurationMs = given.fragmentDurationMs ?? Math.min(DEFAULT_RECORDING_FRAGMENT_MS, keyframeIntervalMs);
  return { keyframeIntervalMs, fragmentDurationMs };
}
