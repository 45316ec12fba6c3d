import type { Logger } from '../../../util/logger';
import { MainMsg, MainMsgc } from '../wire/constants';
import type { SpiceMessage } from '../wire/framing';
import type { ChannelConnection } from './channel-connection';
import { parseChannelsList, parseMainInit, type ChannelId, type MainInit } from './main-messages';

/**
 * The main channel, as much of it as a display client needs: MAIN_INIT gives the session id the
 * other channels link with; ATTACH_CHANNELS asks for CHANNELS_LIST, which names the display
 * channels to open. Mouse, agent and migration messages are skipped.
 */
export class MainChannel {
  private init: MainInit | undefined;
  private resolveReady!: (value: { init: MainInit; channels: ChannelId[] }) => void;
  /** Resolves once the session id and the channel list are known. */
  readonly ready: Promise<{ init: MainInit; channels: ChannelId[] }>;

  constructor(
    private readonly connection: ChannelConnection,
    private readonly logger: Logger,
  ) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    connection.onMessage = (message) => this.handle(message);
  }

  private handle(message: SpiceMessage): void {
    switch (message.type) {
      case MainMsg.INIT:
        this.init = parseMainInit(message.body);
        this.logger.debug('main channel initialised', { session: this.init.sessionId, displays: this.init.displayChannelsHint });
        this.connection.send(MainMsgc.ATTACH_CHANNELS);
        return;
      case MainMsg.CHANNELS_LIST: {
        const channels = parseChannelsList(message.body);
        if (this.init) this.resolveReady({ init: this.init, channels });
        return;
      }
      default:
        // Mouse modes, agent traffic, multimedia time, names: nothing a capture client uses.
        return;
    }
  }
}
