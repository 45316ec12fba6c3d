import type { MessageChannel } from '../channels/channel-connection';
import { SpiceProtocolError } from '../wire/errors';
import { MessageFramer, type SpiceMessage } from '../wire/framing';

/**
 * Messages held before a handler exists. A display is followed once the viewer's DISPLAY_INIT
 * names its cache sizes, which a real viewer sends at once; a peer that never does is not
 * buffered for without end.
 */
const MAX_HELD_MESSAGES = 10_000;

/** What a tap may do to the relayed connection it reads. */
export interface TapControls {
  /** Stop reading the server while the tap catches up (the viewer waits too; nothing is dropped). */
  pause(): void;
  resume(): void;
  /** The tap cannot follow: end the relayed connection. */
  fail(error: Error): void;
}

/**
 * The server-to-viewer messages of a relayed channel, fed to a display or cursor channel handler
 * as if it were screencap's own connection. Base messages (SET_ACK, PING, ...) are the viewer's
 * to answer and are not handed on; `send` writes nothing, because the server must only ever hear
 * the viewer on this connection.
 */
export class TappedChannel implements MessageChannel {
  private readonly framer: MessageFramer;
  private handler: ((message: SpiceMessage) => void) | undefined;
  private held: SpiceMessage[] = [];
  private closed = false;
  onClose: (error: Error | undefined) => void = () => {};

  constructor(
    readonly name: string,
    miniHeader: boolean,
    private readonly controls: TapControls,
  ) {
    this.framer = new MessageFramer(miniHeader);
  }

  set onMessage(handler: (message: SpiceMessage) => void) {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    for (const message of held) this.deliver(message);
  }

  get onMessage(): (message: SpiceMessage) => void {
    return this.handler ?? ((message) => this.held.push(message));
  }

  /** Bytes the server sent on the relayed connection, exactly as they were passed on. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const message of this.framer.push(chunk)) {
        if (this.closed) return;
        if (message.type >= 100) this.deliver(message);
      }
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }

  send(): void {}

  pause(): void {
    if (!this.closed) this.controls.pause();
  }

  resume(): void {
    if (!this.closed) this.controls.resume();
  }

  /** Ends the tap; with an error (the handler could not follow), ends the relayed connection too. */
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.controls.resume();
    if (error) this.controls.fail(error);
    this.onClose(error);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private deliver(message: SpiceMessage): void {
    if (this.closed) return;
    if (!this.handler) {
      this.held.push(message);
      if (this.held.length > MAX_HELD_MESSAGES) {
        this.held = [];
        this.close(new SpiceProtocolError(`${this.name}: ${MAX_HELD_MESSAGES} server messages before the viewer's DISPLAY_INIT`));
      }
      return;
    }
    try {
      this.handler(message);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
