/**
 * One pointer from the cursor channels of several displays. Each display channel of a SPICE
 * server has a cursor channel of its own, and a guest with several displays shows its pointer on
 * one of them at a time (it hides or parks the others' hardware cursors). The desktop's pointer
 * is the one of the channel that last showed a visible pointer, moved to where that channel lies
 * on the desktop; when it hides, another channel's visible pointer takes over, if any.
 */
import type { PointerState } from '../../../core/pointer';

export class ChannelPointers {
  /** Each channel's latest pointer, in desktop coordinates. */
  private readonly states = new Map<number, PointerState>();
  private current: number | undefined;

  /**
   * @param left where a channel's surface starts on the desktop.
   * @param report takes the desktop's pointer whenever it changes.
   */
  constructor(
    private readonly left: (channelId: number) => number,
    private readonly report: (state: PointerState) => void,
  ) {}

  update(channelId: number, state: PointerState): void {
    const offset = this.left(channelId);
    // Most updates are MOVEs on a single channel at offset 0: no new object for those.
    const placed = offset === 0 ? state : { ...state, x: state.x + offset };
    this.states.set(channelId, placed);
    if (placed.visible) this.current = channelId;
    else if (this.current === channelId || this.current === undefined) {
      const visible = [...this.states].find(([, other]) => other.visible);
      if (visible) {
        this.current = visible[0];
        this.report(visible[1]);
        return;
      }
      this.current = channelId;
    }
    if (this.current === channelId) this.report(placed);
  }
}
