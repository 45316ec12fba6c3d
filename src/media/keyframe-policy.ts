/**
 * When keyframes are made and fragments cut, for the recorder (`screencap record`, `serve
 * --record`), the MP4 writer beneath it and the live viewer's stream: the one place that decides.
 *
 * Recordings: a keyframe interval and a fragment length (their ranges and defaults are here so
 * that the command line can check `--fragment` and `--keyframe-interval` before anything starts
 * without loading the writer or the recorder; `screencap serve` loads none of it unless it
 * records). Each keyframe starts a fragment, so a fragment is never longer than the keyframe
 * interval; fragments between keyframes are cut on time (FragmentBoundaries) and keyframes asked
 * for at the first fragment boundary a keyframe interval after the last one (RecordingKeyframes).
 *
 * Live streams: a keyframe at least every LIVE_KEYFRAME_INTERVAL_MS, and early ones for viewers
 * joining or falling behind, spaced so that they cannot make the stream all keyframes
 * (LiveKeyframes).
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

/** Whether `ms` is a keyframe interval or fragment length a recording takes. */
export function isRecordingIntervalInRange(ms: number): boolean {
  return ms >= MIN_FRAGMENT_DURATION_MS && ms <= MAX_FRAGMENT_DURATION_MS;
}

/**
 * A recording's keyframe interval and fragment length: the ones given, or the defaults, the
 * fragment never longer than the keyframe interval unless both are given (which the callers
 * refuse with fragmentOutlastsKeyframes: each keyframe starts a fragment).
 */
export function recordingTiming(given: { keyframeIntervalMs?: number; fragmentDurationMs?: number }): {
  keyframeIntervalMs: number;
  fragmentDurationMs: number;
} {
  const keyframeIntervalMs = given.keyframeIntervalMs ?? DEFAULT_KEYFRAME_INTERVAL_MS;
  const fragmentDurationMs = given.fragmentDurationMs ?? Math.min(DEFAULT_RECORDING_FRAGMENT_MS, keyframeIntervalMs);
  return { keyframeIntervalMs, fragmentDurationMs };
}

/** True when the fragment would be longer than the keyframe interval, which no recording takes. */
export function fragmentOutlastsKeyframes(timing: { keyframeIntervalMs: number; fragmentDurationMs: number }): boolean {
  return timing.fragmentDurationMs > timing.keyframeIntervalMs;
}

/**
 * Where the MP4 writer cuts fragments, in track ticks. A fragment is closed when it holds at least
 * the target and the next sample is a keyframe, so that each fragment can be decoded (and seeked
 * to) on its own; if none comes, at the maximum anyway, the next fragment then starting with a
 * delta frame (valid, but it depends on the one before and is no random access point). A maximum
 * equal to the target closes fragments on time whatever comes next: what a recording wants, its
 * keyframes being rarer than its fragments.
 */
export class FragmentBoundaries {
  constructor(
    private readonly targetTicks: number,
    private readonly maxTicks: number,
  ) {}

  /** Boundaries for durations in milliseconds at `timescale` ticks a second; the maximum is at least the target. */
  static fromMilliseconds(targetMs: number, maxMs: number, timescale: number): FragmentBoundaries {
    const targetTicks = Math.max(1, Math.round((targetMs * timescale) / 1000));
    return new FragmentBoundaries(targetTicks, Math.max(targetTicks, Math.round((maxMs * timescale) / 1000)));
  }

  /** Whether a sample `ticksSinceFragmentStart` after the fragment's first would start the next one if it were a keyframe. */
  wouldStartFragment(ticksSinceFragmentStart: number): boolean {
    return ticksSinceFragmentStart >= this.targetTicks;
  }

  /** Whether the fragment is closed before the next sample, `ticksSinceFragmentStart` after its first. */
  closesBefore(ticksSinceFragmentStart: number, nextIsKeyframe: boolean): boolean {
    return this.wouldStartFragment(ticksSinceFragmentStart) && (nextIsKeyframe || ticksSinceFragmentStart >= this.maxTicks);
  }
}

/**
 * A recording's keyframes: for the first frame; at the first fragment boundary a keyframe interval
 * after the last keyframe (so that keyframes start fragments, which makes them the file's random
 * access points); and for the first frame after a still screen's flush (a fragment a player can
 * seek to, encoded while the encoder has nothing else to do).
 */
export class RecordingKeyframes {
  /** The newest keyframe's timestamp, in microseconds. */
  private lastKeyframeUs = -Infinity;
  /** True between a flush and the next sample, which starts a fragment after a still screen. */
  private flushed = false;

  constructor(private readonly keyframeIntervalMs: number) {}

  /**
   * The writer's fragment lengths for a recording: closed on time whether or not a keyframe
   * follows, keyframes being rarer than fragments.
   */
  static writerFragments(fragmentDurationMs: number): { fragmentDurationMs: number; maxFragmentDurationMs: number } {
    return { fragmentDurationMs, maxFragmentDurationMs: fragmentDurationMs };
  }

  /**
   * Whether to ask the encoder for a keyframe at `timestampUs`. `startsFragment` is whether a
   * keyframe there would start a fragment (FragmentedMp4Writer.wantsKeyframe); undefined before
   * the file exists.
   */
  due(timestampUs: number, startsFragment: ((timestampUs: number) => boolean) | undefined): boolean {
    if (startsFragment === undefined || this.flushed) return true;
    return startsFragment(timestampUs) && timestampUs - this.lastKeyframeUs >= this.keyframeIntervalMs * 1000;
  }

  /** A sample was written at `timestampUs`. */
  written(timestampUs: number, isKeyframe: boolean): void {
    if (isKeyframe) this.lastKeyframeUs = timestampUs;
    this.flushed = false;
  }

  /** What was buffered went to disk early: the screen stands still. */
  flushedEarly(): void {
    this.flushed = true;
  }
}

/**
 * A live stream's keyframe at least this often, and the duration every fragment declares. Media
 * Source Extensions treat a gap of more than two frame durations as a discontinuity and drop frames
 * until a keyframe; declaring this long a duration bridges a still screen, and any frame that
 * comes later than this after the last keyframe is made a keyframe itself. It also lets the
 * page trim its buffer at a keyframe.
 */
export const LIVE_KEYFRAME_INTERVAL_MS = 10_000;
/** A keyframe for a joining viewer, or one after a hiccup, comes no sooner than this after the previous keyframe. */
export const MIN_FORCED_KEYFRAME_GAP_MS = 500;
/**
 * A keyframe for a viewer catching up comes no sooner than this after the previous keyframe. A
 * viewer on a link too slow for the stream falls behind again soon after it has caught up (every
 * two seconds or so: its queue limit is half a second of the bitrate); it must not make everyone's
 * stream a keyframe that often (keyframes are the largest frames, and would push the others
 * towards falling behind too). Half the periodic interval: however many viewers lag, the stream
 * has at most twice its usual keyframes, and a lagging viewer's picture stays still for at most
 * this long before it plays on.
 */
export const CATCH_UP_KEYFRAME_GAP_MS = LIVE_KEYFRAME_INTERVAL_MS / 2;

/**
 * Why a viewer wants a keyframe: it joined; it fell behind once (a hiccup: the first time, or the
 * first in a periodic interval); or it keeps falling behind (a link too slow for the stream).
 */
export type KeyframeReason = 'join' | 'hiccup' | 'catch-up';

/** Why a viewer that has fallen behind `catchUps` times, the last two at these instants, wants a keyframe. */
export function keyframeReason(catchUps: number, fellBehindAtMs: number, previousFallAtMs: number): KeyframeReason {
  if (catchUps === 0) return 'join';
  return fellBehindAtMs - previousFallAtMs > LIVE_KEYFRAME_INTERVAL_MS ? 'hiccup' : 'catch-up';
}

/**
 * A live stream's keyframes: periodic, and asked for by viewers. A request is due
 * MIN_FORCED_KEYFRAME_GAP_MS after the previous keyframe for a joining viewer or one after a
 * hiccup, CATCH_UP_KEYFRAME_GAP_MS for one that keeps falling behind; requests are merged (the
 * earliest wins), and any keyframe serves every viewer waiting for one. So viewers joining or
 * falling behind cannot make the stream all keyframes. Times are monotonic milliseconds.
 */
export class LiveKeyframes {
  /** When the keyframe a viewer asked for is due; Infinity when none is asked for. */
  private dueAt = Infinity;
  private lastKeyframeAtMs = -Infinity;

  /** When the asked-for keyframe is due; Infinity when none is asked for. */
  get dueAtMs(): number {
    return this.dueAt;
  }

  /** Records a request; returns true when it made the keyframe due sooner. */
  request(reason: KeyframeReason, nowMs: number): boolean {
    const gapMs = reason === 'catch-up' ? CATCH_UP_KEYFRAME_GAP_MS : MIN_FORCED_KEYFRAME_GAP_MS;
    const dueAtMs = Math.max(nowMs, this.lastKeyframeAtMs + gapMs);
    if (dueAtMs >= this.dueAt) return false;
    this.dueAt = dueAtMs;
    return true;
  }

  /** Whether a viewer's keyframe is due at `nowMs`. */
  asked(nowMs: number): boolean {
    return nowMs >= this.dueAt;
  }

  /** Whether a frame encoded at `nowMs` must be a keyframe: asked for, or the periodic one. */
  mustForce(nowMs: number): boolean {
    return this.asked(nowMs) || nowMs - this.lastKeyframeAtMs >= LIVE_KEYFRAME_INTERVAL_MS;
  }

  /** A keyframe went out at `nowMs`: whatever made it, it serves every viewer waiting for one. */
  made(nowMs: number): void {
    this.lastKeyframeAtMs = nowMs;
    this.dueAt = Infinity;
  }
}
