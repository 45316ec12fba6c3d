import type { Socket } from 'node:net';
import { hasCap, LINK_HEADER_SIZE, parseLinkHeader, parseLinkReply } from '../link/link-messages';
import { openTransport, type TransportOptions } from '../link/transport';
import { AUTH_MECHANISM_SPICE, CommonCap } from '../wire/constants';
import { MessageFramer, type SpiceMessage } from '../wire/framing';
import { ByteQueue } from './byte-queue';
import { parseViewerLinkHeader, rewriteViewerLink, type ViewerLink } from './viewer-link';

/** The encrypted ticket: RSA-1024 output, whatever the password. */
const TICKET_SIZE = 128;

/** What the relay learns about one relayed connection, in the order it happens. */
export interface RelayedConnectionEvents {
  /** The viewer's link message arrived (its display caps already narrowed) and goes to the server. */
  linking(connection: RelayedConnection): void;
  /** The server accepted the link: from now on `onServerBytes`/`onViewerMessage` see the messages. */
  linked(connection: RelayedConnection): void;
  /** Both sockets are closed; `error` when the connection failed rather than ended. */
  ended(connection: RelayedConnection, error: Error | undefined): void;
}

/**
 * One viewer connection relayed to the SPICE server, byte for byte. The only change is in the
 * viewer's link message (capabilities screencap could not follow are cleared); the reply, the
 * encrypted ticket and every message after pass untouched. Alongside, both streams are parsed
 * far enough to know the channel, whether the link succeeded, the header kind, and where the
 * messages start, so that a tap can read them. The relay never writes to either side on its own.
 */
export class RelayedConnection {
  link: ViewerLink | undefined;
  serverCommonCaps: number[] = [];
  serverChannelCaps: number[] = [];
  miniHeader = false;
  /** Server-to-viewer bytes after a successful link, as they are passed on. */
  onServerBytes: ((chunk: Buffer) => void) | undefined;
  /** Viewer-to-server messages after a successful link (base messages included). */
  onViewerMessage: ((message: SpiceMessage) => void) | undefined;

  private server: Socket | undefined;
  private readonly viewerQueue = new ByteQueue();
  private readonly serverQueue = new ByteQueue();
  private viewerStage: 'header' | 'mess' | 'auth' | 'messages' | 'opaque' = 'header';
  private serverStage: 'header' | 'reply' | 'result' | 'messages' | 'opaque' = 'header';
  private messSize = 0;
  private replySize = 0;
  private viewerFramer: MessageFramer | undefined;
  /** Reasons the server socket is paused (the viewer's socket is full, a tap catches up). */
  private readonly serverPauses = new Set<string>();
  private ended = false;

  constructor(
    private readonly viewer: Socket,
    private readonly target: TransportOptions,
    private readonly events: RelayedConnectionEvents,
  ) {}

  /** Starts relaying; connects to the server once the viewer's link message is in. */
  start(): void {
    this.viewer.on('data', (chunk: Buffer) => this.fromViewer(chunk));
    this.viewer.on('error', (error) => this.end(error));
    this.viewer.on('close', () => this.end(undefined));
    this.viewer.on('drain', () => this.resumeServer('viewer-full'));
  }

  /** Ends the relayed connection (both sockets). */
  close(error?: Error): void {
    this.end(error);
  }

  pauseServer(reason: string): void {
    this.serverPauses.add(reason);
    this.server?.pause();
  }

  resumeServer(reason: string): void {
    this.serverPauses.delete(reason);
    if (this.serverPauses.size === 0) this.server?.resume();
  }

  private fromViewer(chunk: Buffer): void {
    if (this.ended) return;
    if (this.viewerStage === 'header' || this.viewerStage === 'mess') {
      this.viewerQueue.push(chunk);
      try {
        if (!this.readViewerLink()) return;
      } catch (error) {
        this.end(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      chunk = this.viewerQueue.drain();
      if (chunk.length === 0) return;
    }
    this.toServer(chunk);
    this.parseViewer(chunk);
  }

  /** Reads the link header and message; true once both are in and on their way to the server. */
  private readViewerLink(): boolean {
    if (this.viewerStage === 'header') {
      const header = this.viewerQueue.take(LINK_HEADER_SIZE);
      if (!header) return false;
      this.messSize = parseViewerLinkHeader(header);
      this.pendingHeader = header;
      this.viewerStage = 'mess';
    }
    const mess = this.viewerQueue.take(this.messSize);
    if (!mess) return false;
    this.link = rewriteViewerLink(mess);
    this.viewerStage = 'auth';
    this.events.linking(this);
    this.connectServer(Buffer.concat([this.pendingHeader!, mess]));
    return true;
  }

  private pendingHeader: Buffer | undefined;
  /** Viewer bytes that came before the server connection was up. */
  private early: Buffer[] = [];

  private connectServer(linkBytes: Buffer): void {
    this.early.push(linkBytes);
    this.viewer.pause();
    openTransport(this.target).then(
      (server) => {
        if (this.ended) {
          server.destroy();
          return;
        }
        this.server = server;
        server.on('data', (chunk: Buffer) => this.fromServer(chunk));
        server.on('error', (error) => this.end(error));
        server.on('close', () => this.end(undefined));
        server.on('drain', () => this.viewer.resume());
        for (const bytes of this.early) server.write(bytes);
        this.early = [];
        if (this.serverPauses.size > 0) server.pause();
        this.viewer.resume();
      },
      (error: Error) => this.end(error),
    );
  }

  private toServer(chunk: Buffer): void {
    if (!this.server) {
      this.early.push(chunk);
      return;
    }
    if (!this.server.write(chunk)) this.viewer.pause();
  }

  /** Follows the viewer's stream after its link message: auth mechanism, ticket, then messages. */
  private parseViewer(chunk: Buffer): void {
    if (this.viewerStage === 'auth') {
      this.viewerQueue.push(chunk);
      // Whether a mechanism word comes first depends on the server's reply too: a viewer that
      // sends before the reply is in (nothing forbids pipelining) is read once it is.
      if (this.serverStage === 'header' || this.serverStage === 'reply') return;
      const selection = hasCap(this.link!.commonCaps, CommonCap.AUTH_SELECTION) && hasCap(this.serverCommonCaps, CommonCap.AUTH_SELECTION);
      const authSize = (selection ? 4 : 0) + TICKET_SIZE;
      const auth = this.viewerQueue.take(authSize);
      if (!auth) return;
      if (selection && auth.readUInt32LE(0) !== AUTH_MECHANISM_SPICE) {
        // SASL: the exchange that follows is not SPICE messages; relay it without reading it.
        this.viewerStage = 'opaque';
        this.serverStage = 'opaque';
        this.viewerQueue.drain();
        return;
      }
      this.viewerStage = 'messages';
      this.viewerFramer = new MessageFramer(this.miniHeader);
      chunk = this.viewerQueue.drain();
    }
    if (this.viewerStage !== 'messages' || chunk.length === 0) return;
    try {
      for (const message of this.viewerFramer!.push(chunk)) this.onViewerMessage?.(message);
    } catch {
      // A viewer the server will drop anyway; screencap only stops reading its stream.
      this.viewerStage = 'opaque';
    }
  }

  private fromServer(chunk: Buffer): void {
    if (this.ended) return;
    if (!this.viewer.write(chunk)) this.pauseServer('viewer-full');
    if (this.serverStage === 'messages') {
      this.onServerBytes?.(chunk);
      return;
    }
    if (this.serverStage === 'opaque') return;
    this.serverQueue.push(chunk);
    try {
      this.parseServerLink();
    } catch {
      // Not a SPICE reply screencap understands: the viewer will judge it; nothing is tapped.
      this.serverStage = 'opaque';
    }
  }

  private parseServerLink(): void {
    if (this.serverStage === 'header') {
      const header = this.serverQueue.take(LINK_HEADER_SIZE);
      if (!header) return;
      this.replySize = parseLinkHeader(header).size;
      this.serverStage = 'reply';
    }
    if (this.serverStage === 'reply') {
      const body = this.serverQueue.take(this.replySize);
      if (!body) return;
      const reply = parseLinkReply(body);
      if (reply.error !== 0) {
        this.serverStage = 'opaque';
        return;
      }
      this.serverCommonCaps = reply.commonCaps;
      this.serverChannelCaps = reply.channelCaps;
      this.miniHeader = hasCap(reply.commonCaps, CommonCap.MINI_HEADER) && hasCap(this.link!.commonCaps, CommonCap.MINI_HEADER);
      this.serverStage = 'result';
      this.parseViewer(Buffer.alloc(0));
    }
    if (this.serverStage === 'result') {
      const result = this.serverQueue.take(4);
      if (!result) return;
      if (result.readUInt32LE(0) !== 0) {
        this.serverStage = 'opaque';
        return;
      }
      this.serverStage = 'messages';
      this.events.linked(this);
      const rest = this.serverQueue.drain();
      if (rest.length > 0) this.onServerBytes?.(rest);
    }
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.viewer.destroy();
    this.server?.destroy();
    this.events.ended(this, error);
  }
}
