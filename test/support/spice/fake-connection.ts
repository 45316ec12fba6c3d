import type { ChannelConnection } from '../../../src/sources/spice/channels/channel-connection';
import type { SpiceMessage } from '../../../src/sources/spice/wire/framing';

/** Stands in for the socket side of a channel: tests hand messages to `onMessage` directly. */
export class FakeConnection {
  closedWith: Error | undefined;
  isClosed = false;
  onMessage: (m: SpiceMessage) => void = () => {};
  send(): void {}
  pause(): void {}
  resume(): void {}
  close(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedWith = error;
  }

  /** As a ChannelConnection does: a message whose handler throws closes the connection with that error. */
  deliver(message: SpiceMessage): void {
    if (this.isClosed) return;
    try {
      this.onMessage(message);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }

  get asConnection(): ChannelConnection {
    return this as unknown as ChannelConnection;
  }
}
