/**
 * Holds a session's first picture until every display channel has one. The display channels of a
 * session link one after the other and each has a picture from its first MARK; shown as they
 * came, a VM with two cards would start as one card's picture and grow to both half a second
 * later (measured on QEMU with two qxl cards), a resize for every client at connect: a recording
 * would start at the wrong size. Once every channel has linked, one that has not marked within
 * `waitMs` (a card the guest has set no mode on) is not waited for: it shows at its own MARK,
 * whenever that comes.
 */
export class FirstPictureHold {
  private readonly linkedIds = new Set<number>();
  private readonly marked: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    /** The session's display channels, known from its channel list before any links. */
    private readonly expected: () => readonly number[] | undefined,
    private readonly waitMs: number,
    /** Shows the channels that marked, in id order: the session's first picture. */
    private readonly show: (channelIds: number[]) => void,
  ) {}

  /** A display channel linked: once all have, the rest of the wait starts. */
  linked(channelId: number): void {
    if (this.done) return;
    this.linkedIds.add(channelId);
    if (this.timer === undefined && this.all(this.linkedIds)) this.timer = setTimeout(() => this.release(), this.waitMs);
  }

  /**
   * A channel's MARK. True when the hold keeps it, to show with the others; false once the first
   * picture is out, when the caller shows the channel itself.
   */
  mark(channelId: number): boolean {
    if (this.done) return false;
    if (!this.marked.includes(channelId)) this.marked.push(channelId);
    if (this.all(this.marked)) this.release();
    return true;
  }

  /** The session ended or was handed over: nothing held is shown. */
  cancel(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private all(ids: Iterable<number>): boolean {
    const expected = this.expected();
    if (expected === undefined) return false;
    const have = new Set(ids);
    return expected.every((id) => have.has(id));
  }

  private release(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.show([...this.marked].sort((a, b) => a - b));
  }
}
