import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from '../../../util/logger';
import { parseMainInit } from '../channels/main-messages';
import type { TransportOptions } from '../link/transport';
import { ChannelType, DisplayMsgc, MainMsg } from '../wire/constants';
import { RelayedConnection } from './relayed-connection';
import { TappedChannel } from './tapped-channel';

export interface ShareRelayOptions {
  /** Where viewers connect. */
  listen: { host: string; port: number };
  /** Serve TLS with this certificate and key (PEM): for spice+tls servers. */
  tls?: { cert: Buffer; key: Buffer };
  /** The SPICE server the viewers' connections go to. */
  server: TransportOptions;
  logger: Logger;
}

/** A display channel of the viewer's session, ready to be followed. */
export interface FollowedDisplay {
  channel: TappedChannel;
  channelId: number;
  serverCaps: number[];
  /** The pixmap cache and GLZ window the viewer announced: the server fills them to that size. */
  cacheSizePixels: number;
  glzWindowPixels: number;
}

/** What the relay tells the display source about viewers. */
export interface ShareFollower {
  /** A viewer's main channel is linking: the server will hand it the session if the ticket is right. */
  viewerJoining(): void;
  /** The server gave a viewer the session (it has dropped screencap's own). */
  viewerJoined(): void;
  display(display: FollowedDisplay): void;
  /** The cursor channel paired with display channel `channelId`. */
  cursor(channel: TappedChannel, channelId: number): void;
  /** No viewer holds or asks for the session any more. */
  viewerLeft(): void;
}

/**
 * The share port: viewers (remote-viewer, spicy) connect here instead of to the SPICE server,
 * and every connection they open is relayed to the server unchanged but for the display
 * capabilities screencap could not follow. A SPICE server serves one client at a time; the
 * viewer's session is that client, and screencap follows the picture by reading the display and
 * cursor messages it relays, instead of holding a session of its own.
 */
export class ShareRelay {
  private server: Server | undefined;
  private readonly connections = new Set<RelayedConnection>();
  /** Main channels linking or linked: while there is one, the session is the viewer's. */
  private readonly mains = new Set<RelayedConnection>();
  /** The session id the server gave the latest viewer (its other channels link with it). */
  private sessionId: number | undefined;
  private follower: ShareFollower | undefined;
  /** The tap reading each followed connection, closed with it. */
  private readonly taps = new Map<RelayedConnection, TappedChannel>();

  constructor(private readonly options: ShareRelayOptions) {}

  /** True while a viewer holds the session or is linking to take it. */
  get viewerActive(): boolean {
    return this.mains.size > 0;
  }

  /** The bound address (the port when 0 was asked for). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async listen(follower: ShareFollower): Promise<void> {
    this.follower = follower;
    const accept = (socket: Socket) => this.accept(socket);
    const tls = this.options.tls;
    const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, accept) : createNetServer(accept);
    this.server = server;
    if (tls)
      server.on('tlsClientError', (error) => this.options.logger.warn('share port: TLS handshake failed', { reason: error.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.logger.error('share port failed', { reason: error.message }));
  }

  async close(): Promise<void> {
    this.follower = undefined;
    for (const connection of this.connections) connection.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const connection = new RelayedConnection(socket, this.options.server, {
      linking: (c) => this.linking(c),
      linked: (c) => this.linked(c),
      ended: (c, error) => this.ended(c, error),
    });
    this.connections.add(connection);
    connection.start();
  }

  private linking(connection: RelayedConnection): void {
    if (connection.link?.channelType !== ChannelType.MAIN) return;
    const wasActive = this.viewerActive;
    this.mains.add(connection);
    if (!wasActive) {
      this.options.logger.info('a viewer is linking through the share port');
      this.follower?.viewerJoining();
    }
  }

  private linked(connection: RelayedConnection): void {
    const link = connection.link!;
    const logger = this.options.logger;
    if (link.channelType === ChannelType.MAIN) {
      logger.info('a viewer holds the session through the share port');
      this.follower?.viewerJoined();
      const main = new TappedChannel('shared main', connection.miniHeader, this.controls(connection, 'main'));
      main.onMessage = (message) => {
        if (message.type === MainMsg.INIT) this.sessionId = parseMainInit(message.body).sessionId;
      };
      this.taps.set(connection, main);
      connection.onServerBytes = (chunk) => main.push(chunk);
      return;
    }
    // Only the display and cursor channels of the viewer's current session are followed.
    if (link.connectionId !== this.sessionId) return;
    if (link.channelType === ChannelType.DISPLAY) {
      const channel = new TappedChannel(`shared display #${link.channelId}`, connection.miniHeader, this.controls(connection, 'display'));
      this.taps.set(connection, channel);
      connection.onServerBytes = (chunk) => channel.push(chunk);
      connection.onViewerMessage = (message) => {
        if (message.type !== DisplayMsgc.INIT || message.body.length < 14) return;
        connection.onViewerMessage = undefined;
        this.follower?.display({
          channel,
          channelId: link.channelId,
          serverCaps: connection.serverChannelCaps,
          cacheSizePixels: Number(message.body.readBigInt64LE(1)),
          glzWindowPixels: message.body.readInt32LE(10),
        });
      };
    } else if (link.channelType === ChannelType.CURSOR) {
      const channel = new TappedChannel(`shared cursor #${link.channelId}`, connection.miniHeader, this.controls(connection, 'cursor'));
      this.taps.set(connection, channel);
      connection.onServerBytes = (chunk) => channel.push(chunk);
      this.follower?.cursor(channel, link.channelId);
    }
  }

  private controls(connection: RelayedConnection, name: string) {
    return {
      pause: () => connection.pauseServer(`tap-${name}`),
      resume: () => connection.resumeServer(`tap-${name}`),
      fail: (error: Error) => {
        // Screencap cannot follow this viewer's picture; the viewer's connection is the one ended.
        this.options.logger.error('share port: cannot follow the relayed channel; closing it', { channel: name, reason: error.message });
        connection.close(error);
      },
    };
  }

  private ended(connection: RelayedConnection, error: Error | undefined): void {
    this.connections.delete(connection);
    this.taps.get(connection)?.close();
    this.taps.delete(connection);
    if (error) this.options.logger.debug('relayed connection failed', { reason: error.message });
    if (!this.mains.delete(connection)) return;
    if (!this.viewerActive) {
      this.sessionId = undefined;
      this.options.logger.info('no viewer on the share port any more');
      this.follower?.viewerLeft();
    }
  }
}
