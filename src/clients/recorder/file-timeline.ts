/**
 * Where a variable-rate recording's samples go on the file's timeline: delivered frames at their
 * server capture times, and the recorder's own instants (a flush, a sharp pass, the stop) at the
 * local time they happen, both measured from the file's time 0, the start of the recording.
 *
 * Time 0 is the first frame's capture time, so that timestamps are differences of capture times.
 * But on a still screen the server hands a new session the frame it latched last, which may be
 * seconds old: counting from its capture would make the file longer than the recording by that
 * age, and push every later frame past a duration limit. Such a frame (older than
 * STALE_FIRST_FRAME_NS when it arrived) is shown from its arrival instead, mapped onto the
 * server's clock. Its age is only known from a fresh frame (the first alone overstates the clock
 * offset by its age), so time 0 is decided at the second frame; until then the recorder's own
 * instants count from the first frame's arrival, and nothing written depends on the decision
 * (the first frame is at 0 either way, and a flushed duration is rewritten later).
 *
 * Capture times are put on the server's vsync grid: the scheduler latches at vsync, and a
 * capture time is that grid point plus the lateness of the timer that fired it (a millisecond or
 * so, more on a loaded machine). Players and tools infer the frame rate from the durations: exact
 * multiples of the vsync period give them 60 fps for a 60 Hz server, where the jitter made
 * ffprobe report 90000 fps (one tick of the 90 kHz timescale) and ffmpeg's default constant-rate
 * output see several frames in one slot ("non monotonically increasing dts").
 */

/**
 * A first frame older than this when it arrived was latched before the recording (a still
 * screen), not for it: three 60 Hz periods, beyond the delivery time of a fresh frame; a younger
 * stale frame lengthens the file by at most this much.
 */
export const STALE_FIRST_FRAME_NS = 50_000_000n;

export class FileTimeline {
  private firstCaptureNs: bigint | undefined;
  private firstLocalNs: bigint | undefined;
  /** Local clock minus server clock, smallest seen: maps local instants onto capture times. */
  private clockOffsetNs: bigint | undefined;
  /** Time 0 of the file on the server's clock, once decided (see above). */
  private originNs: bigint | undefined;

  /** `gridNs`: the server's vsync period, or undefined to keep capture times as they are. */
  constructor(private readonly gridNs: bigint | undefined) {}

  /** A frame arrived (before it is written): its capture time and the local time of arrival. */
  arrived(captureNs: bigint, localNs: bigint): void {
    this.firstLocalNs ??= localNs;
    this.firstCaptureNs ??= captureNs;
    const offset = localNs - captureNs;
    if (this.clockOffsetNs === undefined || offset < this.clockOffsetNs) this.clockOffsetNs = offset;
  }

  /** A delivered frame's time in the file, in microseconds: 0 for the first frame. */
  frameTimeUs(captureNs: bigint): number {
    const first = this.firstCaptureNs;
    if (first === undefined || captureNs === first) return 0;
    this.originNs ??= this.decideOrigin(captureNs);
    let time = captureNs;
    if (this.gridNs !== undefined) {
      // Rounded to the grid point counted from the first frame's, which was latched on the
      // same grid (the vsync clock's origin never moves).
      const periods = (captureNs - first + this.gridNs / 2n) / this.gridNs;
      time = first + periods * this.gridNs;
    }
    return Number(time - this.originNs) / 1000;
  }

  /**
   * A local instant on the file's timeline, in microseconds: where the recorder's own samples
   * and the stop go. Before time 0 is decided, counted from the first frame's arrival.
   */
  localTimeUs(localNs: bigint): number {
    if (this.firstLocalNs === undefined || this.clockOffsetNs === undefined) return 0;
    if (this.originNs === undefined) return Number(localNs - this.firstLocalNs) / 1000;
    return Number(localNs - this.clockOffsetNs - this.originNs) / 1000;
  }

  /**
   * The first grid point at or after `timeUs` (a file time), so that a sample the recorder adds
   * keeps the durations multiples of the vsync period.
   */
  nextGridTimeUs(timeUs: number): number {
    if (this.gridNs === undefined || this.firstCaptureNs === undefined) return timeUs;
    const gridUs = Number(this.gridNs) / 1000;
    // The grid's phase on the file's timeline: where the first frame's capture falls.
    const phaseUs = this.originNs === undefined ? 0 : Number(this.firstCaptureNs - this.originNs) / 1000;
    return phaseUs + Math.ceil((timeUs - phaseUs) / gridUs - 1e-9) * gridUs;
  }

  /** The vsync period in microseconds, or undefined without a grid. */
  get gridUs(): number | undefined {
    return this.gridNs === undefined ? undefined : Number(this.gridNs) / 1000;
  }

  /**
   * Time 0 on the server's clock, decided at the second frame. If that frame was latched before
   * the first arrived, the screen was changing and the first frame's capture time stands;
   * otherwise a first frame older than STALE_FIRST_FRAME_NS on arrival shows from its arrival.
   */
  private decideOrigin(secondCaptureNs: bigint): bigint {
    const first = this.firstCaptureNs!;
    const arrived = this.firstLocalNs! - this.clockOffsetNs!;
    if (secondCaptureNs <= arrived || arrived - first <= STALE_FIRST_FRAME_NS) return first;
    // From the arrival, but on the grid (the last point at or before it), so that every frame
    // time stays a whole number of periods: on a loaded machine a busy screen's first frame can
    // arrive late too, with nothing latched meanwhile, and its later frames must stay on the grid.
    return this.gridNs === undefined ? arrived : first + ((arrived - first) / this.gridNs) * this.gridNs;
  }
}
