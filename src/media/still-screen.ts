import { SHARPEN_AFTER_STILL_MS } from '../codec';

/**
 * What the recorder and the live stream do while the screen stands still, and when: the one place
 * for the rule. A still screen sends no frames, so nothing follows the last picture:
 *
 *   - once it has stood still for SHARPEN_AFTER_STILL_MS, the last picture is coded once more at
 *     high quality (once per still: a picture coded since makes it due again);
 *   - a recording also puts what it holds on disk after every fragment length without a new
 *     picture (FragmentedMp4Writer.flush), so that a crash while the screen stands still loses no
 *     more than on a busy screen.
 *
 * The recorder counts the still time from the last frame's arrival; the live stream from when its
 * pull loop started waiting for the next frame (it paces itself between pulls, and that time is
 * not the screen standing still). Times are monotonic milliseconds.
 */
export class StillScreen {
  private stillSinceMs: number | undefined;
  /** Whether the last picture coded has had its sharp pass (true before any picture: nothing to sharpen). */
  private sharpened = true;
  private flushDueMs: number | undefined;

  /** `flushEveryMs`: a recording's fragment length; undefined where nothing is flushed. */
  constructor(private readonly flushEveryMs?: number) {}

  /** The screen has shown nothing new since `nowMs`: a frame just came, or the wait for one began. */
  stillFrom(nowMs: number): void {
    this.stillSinceMs = nowMs;
    if (this.flushEveryMs !== undefined) this.flushDueMs = nowMs + this.flushEveryMs;
  }

  /** A new picture is on its way: the screen is not standing still. */
  moving(): void {
    this.stillSinceMs = undefined;
  }

  /** How long the screen has stood still at `nowMs`; 0 while it is not. */
  stillForMs(nowMs: number): number {
    return this.stillSinceMs === undefined ? 0 : nowMs - this.stillSinceMs;
  }

  /** A new picture was coded (not sharp): it gets a sharp pass once the screen stands still. */
  pictureCoded(): void {
    this.sharpened = false;
  }

  /** The sharp pass was made or tried (it is tried once per still, even when rate control drops it). */
  sharpTried(): void {
    this.sharpened = true;
  }

  /** Whether the last picture coded still waits for its sharp pass. */
  get sharpPending(): boolean {
    return !this.sharpened;
  }

  /** When the sharp pass is due; undefined when none is pending or the screen is not still. */
  sharpDueAtMs(): number | undefined {
    return this.sharpened || this.stillSinceMs === undefined ? undefined : this.stillSinceMs + SHARPEN_AFTER_STILL_MS;
  }

  /** Whether the sharp pass is due at `nowMs`. */
  wantsSharp(nowMs: number): boolean {
    return !this.sharpened && this.stillForMs(nowMs) >= SHARPEN_AFTER_STILL_MS;
  }

  /** When the next flush is due: a fragment length after the last picture or flush; undefined before any picture. */
  flushDueAtMs(): number | undefined {
    return this.flushDueMs;
  }

  /** What was held went to disk at `nowMs`; the next flush extends the still time a fragment length later. */
  flushed(nowMs: number): void {
    if (this.flushEveryMs !== undefined) this.flushDueMs = nowMs + this.flushEveryMs;
  }
}
