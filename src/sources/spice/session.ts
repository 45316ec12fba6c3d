import type { Logger } from '../../util/logger';
import { ChannelConnection } from './channels/channel-connection';
import { MainChannel } from './channels/main-channel';
import { CursorChannel, type CursorEvents } from './cursor/cursor-channel';
import type { PointerShapeRegistry } from './cursor/pointer-shapes';
import { decodableVideoCodecs } from './decoders/video';
import { displayChannelCaps } from './display/display-caps';
import { DisplayChannel, type DisplayEvents } from './display/display-channel';
import type { PcapDump } from './dump/pcap-dump';
import { linkChannel } from './link/link-handshake';
import { ChannelType, type ImageCompressionName } from './wire/constants';
import { SpiceProtocolError } from './wire/errors';

export interface SessionOptions {
  host: string;
  port: number;
  password: string;
  tls?: { ca?: Buffer; serverName?: string };
  preferredCompression?: ImageCompressionName;
  logger: Logger;
  dump?: PcapDump;
  connectTimeoutMs: number;
  cacheSizePixels: number;
  glzWindowPixels: number;
  /** Gives pointer shapes their ids; outlives the session so that ids survive reconnects. */
  pointerShapes: PointerShapeRegistry;
}

/**
 * One connection to a SPICE server: the main channel, the display channels it lists and their
 * cursor channels. Ends as a whole: when any channel closes, every channel is closed and `closed`
 * resolves with the reason.
 */
export class SpiceSession {
  private readonly connections: ChannelConnection[] = [];
  readonly displays: DisplayChannel[] = [];
  /** The server's display channel ids, once its channel list came (before they link). */
  displayIds: readonly number[] | undefined;
  /** The cursor channels of the display channels that have one. */
  readonly cursors: CursorChannel[] = [];
  private resolveClosed!: (error: Error | undefined) => void;
  readonly closed: Promise<Error | undefined> = new Promise((resolve) => (this.resolveClosed = resolve));
  private ended = false;
  /** Why the session ended, once it has (undefined for a plain close). */
  endedWith: Error | undefined;

  constructor(private readonly options: SessionOptions) {}

  /** Bytes received on every channel of this session so far. */
  get bytesReceived(): number {
    return this.connections.reduce((total, connection) => total + connection.bytesReceived, 0);
  }

  /**
   * Links main, then every display channel, then their cursor channels; each reports to the
   * events given for its channel id (cursor channel ids pair with display channel ids).
   */
  async open(displayEvents: (channelId: number) => DisplayEvents, cursorEvents: (channelId: number) => CursorEvents): Promise<void> {
    const o = this.options;
    const common = {
      host: o.host,
      port: o.port,
      tls: o.tls,
      password: o.password,
      connectTimeoutMs: o.connectTimeoutMs,
      stepTimeoutMs: o.connectTimeoutMs,
    };
    const mainTap = o.dump?.connection();
    const mainLinked = await linkChannel({
      ...common,
      connectionId: 0,
      channelType: ChannelType.MAIN,
      channelId: 0,
      channelCaps: [],
      tap: mainTap,
    });
    const main = this.track(new ChannelConnection(mainLinked, 'main', o.logger, mainTap));
    const mainChannel = new MainChannel(main, o.logger);
    const ready = await Promise.race([
      mainChannel.ready,
      this.closed.then((error) => {
        throw error ?? new SpiceProtocolError('main channel closed before the channel list arrived');
      }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new SpiceProtocolError(`no channel list within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs).unref(),
      ),
    ]);
    const displayIds = ready.channels
      .filter((c) => c.type === ChannelType.DISPLAY)
      .map((c) => c.id)
      .sort((a, b) => a - b);
    if (displayIds.length === 0) throw new SpiceProtocolError('the server lists no display channel');
    this.displayIds = displayIds;
    const link = async (channelType: number, channelId: number, channelCaps: number[], name: string) => {
      const tap = o.dump?.connection();
      const linked = await linkChannel({ ...common, connectionId: ready.init.sessionId, channelType, channelId, channelCaps, tap });
      const logger = o.logger.child(`${name}${channelId}`);
      return { linked, logger, connection: this.track(new ChannelConnection(linked, `${name} #${channelId}`, logger, tap)) };
    };
    // The codecs offered are the ones each display channel decodes; a stream in any other is skipped.
    const videoCodecs = decodableVideoCodecs();
    for (const id of displayIds) {
      const { linked, logger, connection } = await link(ChannelType.DISPLAY, id, displayChannelCaps(videoCodecs), 'display');
      const display = new DisplayChannel(
        connection,
        {
          channelId: id,
          logger,
          serverCaps: linked.serverChannelCaps,
          preferredCompression: o.preferredCompression,
          cacheSizePixels: o.cacheSizePixels,
          glzWindowPixels: o.glzWindowPixels,
          videoCodecs,
        },
        displayEvents(id),
      );
      this.displays.push(display);
      display.start();
      if (this.ended) break;
    }
    for (const id of displayIds) {
      if (this.ended || !ready.channels.some((c) => c.type === ChannelType.CURSOR && c.id === id)) continue;
      const { logger, connection } = await link(ChannelType.CURSOR, id, [], 'cursor');
      this.cursors.push(new CursorChannel(connection, logger, o.pointerShapes, cursorEvents(id)));
    }
    if (this.ended) throw (await this.closed) ?? new SpiceProtocolError('session closed while opening');
  }

  /** True while a display channel is applying a batch asynchronously. */
  get busy(): boolean {
    return this.displays.some((d) => d.busy);
  }

  close(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endedWith = error;
    for (const c of this.connections) c.close();
    this.resolveClosed(error);
  }

  private track(connection: ChannelConnection): ChannelConnection {
    this.connections.push(connection);
    connection.onClose = (error) => this.close(error ?? new Error(`${connection.name} channel closed`));
    // A channel whose link completed after the session ended would otherwise stay open.
    if (this.ended) connection.close();
    return connection;
  }
}
