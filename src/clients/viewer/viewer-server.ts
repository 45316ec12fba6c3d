/**
 * The live viewer's web server: the page, the video over a WebSocket (/stream), snapshots
 * (/frame.png, /frame.jpg) and a status document (/status.json).
 *
 * Streams are made on demand, one per distinct settings (a page can ask for its own size, frame
 * rate or rotation in its URL), and closed shortly after their last viewer leaves: a viewer
 * server nobody watches pulls no frames and encodes nothing.
 */
import { FieldError } from '../../core/field-error';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatAddress, isLoopback, parseListenAddress } from '../../util/listen-address';
import type { Logger } from '../../util/logger';
import type { CaptureClient } from '../capture-client';
import { nativeAddonStatus } from '../../codec';
import { takeScreenshot } from '../screenshot/take-screenshot';
import { LiveStream, type LiveStreamStats } from './live-stream';
import { PageFiles } from './page-files';
import { checkStreamSettings, parseSizeText, settingsFromQuery, streamKey, type StreamSettings } from './stream-settings';
import { ViewerConnection, type ViewerStats } from './viewer-connection';
import type { ErrorMessage } from './wire/stream-messages';

export interface ViewerServerOptions {
  /** The capture server's client: every stream and snapshot is a session of it. */
  client: CaptureClient;
  /** HOST:PORT to serve on; a non-loopback host needs `public`. */
  listen: string;
  /** Settings of a viewer that asks for none. */
  defaults: StreamSettings;
  /** Serve on a non-loopback address: anyone who reaches it sees the screen. */
  public?: boolean;
  /** Viewers at once; default 64. */
  maxViewers?: number;
  /** Distinct stream settings at once (each is a session and an encoder); default 4. */
  maxStreams?: number;
  /**
   * Snapshots (/frame.png, /frame.jpg) being taken at once; default 4. Each is a capture session
   * of its own with its own render, so a burst of them would take the CPU the streams need.
   */
  maxSnapshots?: number;
  logger: Logger;
}

export interface ViewerServerStatus {
  streams: Array<{ key: string; settings: StreamSettings; viewers: number; stats: LiveStreamStats }>;
  viewers: ViewerStats[];
}

/** The name part of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost"). */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  if (bracketed) return bracketed[1];
  return host.replace(/:\d+$/, '');
}

interface StreamEntry {
  stream: LiveStream;
  opened: Promise<void>;
  viewers: Set<ViewerConnection>;
  /** Viewers waiting for the stream to open: it must not close under them. */
  joining: number;
  closeTimer?: NodeJS.Timeout;
}

/** A stream outlives its last viewer this long: a page reloading keeps its encoder. */
const STREAM_LINGER_MS = 3000;
const SNAPSHOT_TIMEOUT_MS = 10_000;
/** WebSocket close codes (RFC 6455): going away, and a server-side failure. */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_INTERNAL_ERROR = 1011;
const CLOSE_TRY_AGAIN_LATER = 1013;
/** What a 429 answer tells a client to wait, seconds: a snapshot takes well under that. */
const SNAPSHOT_RETRY_AFTER_S = 1;

export class ViewerServer {
  private readonly http: Server;
  private readonly sockets: WebSocketServer;
  private readonly streams = new Map<string, StreamEntry>();
  private readonly viewers = new Set<ViewerConnection>();
  private readonly pageFiles = new PageFiles();
  /** Viewers admitted but still waiting for their stream to open: they count as viewers. */
  private admitting = 0;
  private snapshotsInProgress = 0;
  private nextViewerId = 1;
  private listeningAddress = '';

  private constructor(private readonly options: Required<ViewerServerOptions>) {
    this.http = createServer((request, response) => void this.onRequest(request, response));
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.http.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
  }

  /**
   * Starts serving. Throws a TypeError naming the field for bad options (a malformed or
   * non-loopback `listen` without `public`, bad default settings) before listening.
   */
  static async start(options: ViewerServerOptions): Promise<ViewerServer> {
    const address = parseListenAddress(options.listen, 'view');
    if (!isLoopback(address.host) && !options.public) {
      throw new FieldError('view', `${options.listen} is not a loopback address; anyone who reaches it would see the screen (allow it with the public option)`);
    }
    checkStreamSettings(options.defaults);
    const addon = nativeAddonStatus();
    if (!addon.available) {
      throw new Error(`the live view needs the H.264 encoder of the native addon, which cannot be loaded: ${addon.reason}`);
    }
    const server = new ViewerServer({ public: false, maxViewers: 64, maxStreams: 4, maxSnapshots: 4, ...options });
    await new Promise<void>((resolve, reject) => {
      server.http.once('error', (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'the address is in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
        reject(new Error(`view: cannot listen on ${options.listen}: ${why}`));
      });
      server.http.listen(address.port, address.host, () => {
        server.http.removeAllListeners('error');
        resolve();
      });
    });
    const bound = server.http.address() as AddressInfo;
    server.listeningAddress = formatAddress({ host: address.host, port: bound.port });
    if (server.options.public && options.client.token !== undefined) {
      // The operator protected the capture server; the page would quietly hand the screen out anyway.
      options.logger.warn('the live view has no login: anyone who reaches it sees the screen, although the capture server requires a token', { url: server.url });
    }
    return server;
  }

  /** HOST:PORT actually listened on (the real port when 0 was asked for). */
  get address(): string {
    return this.listeningAddress;
  }

  get url(): string {
    return `http://${this.listeningAddress}/`;
  }

  status(): ViewerServerStatus {
    return {
      streams: [...this.streams].map(([key, entry]) => ({
        key,
        settings: entry.stream.settings,
        viewers: entry.viewers.size,
        stats: entry.stream.stats(),
      })),
      viewers: [...this.viewers].map((viewer) => viewer.stats()),
    };
  }

  /** Closes every viewer (they will reconnect to whoever serves next) and every stream. */
  async stop(): Promise<void> {
    for (const socket of this.sockets.clients) socket.close(CLOSE_GOING_AWAY, 'viewer server stopping');
    await Promise.all([...this.streams.values()].map((entry) => this.closeStream(entry)));
    this.sockets.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    // Sockets still closing are cut: a stopped server holds nothing open.
    for (const socket of this.sockets.clients) socket.terminate();
  }

  // --- HTTP ---------------------------------------------------------------------------------

  /**
   * Whether a request may be answered. The page shows the screen, so two browser tricks are
   * shut out: another site's script opening the WebSocket (its Origin is not this server), and
   * DNS rebinding (a hostile name resolving to 127.0.0.1: on a loopback address, only loopback
   * names are accepted in Host).
   */
  private refusal(request: IncomingMessage): string | undefined {
    const host = request.headers.host;
    if (!host) return 'a Host header is required';
    if (!this.options.public && !isLoopback(hostName(host))) return `Host ${host} is not this loopback server`;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return `Origin ${origin} is not this server`;
    return undefined;
  }

  private async onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://viewer');
    const refusal = this.refusal(request);
    if (refusal) return this.reply(response, 403, 'text/plain; charset=utf-8', `${refusal}\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return this.reply(response, 405, 'text/plain; charset=utf-8', `${request.method} is not served; use GET\n`, { allow: 'GET, HEAD' });
    }
    try {
      switch (url.pathname) {
        case '/frame.png':
        case '/frame.jpg':
          return await this.snapshot(url, response);
        case '/status.json':
          return this.reply(response, 200, 'application/json', JSON.stringify(this.status(), null, 2));
        default: {
          const file = this.pageFiles.get(url.pathname);
          if (!file) return this.reply(response, 404, 'text/plain; charset=utf-8', `${url.pathname}: not found\n`);
          return this.reply(response, 200, file.contentType, file.body);
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const status = error instanceof TypeError ? 400 : 502;
      this.options.logger.warn('request failed', { path: url.pathname, status, error: message });
      if (!response.headersSent) this.reply(response, status, 'text/plain; charset=utf-8', `${message}\n`);
      else response.destroy();
    }
  }

  /**
   * The current screen at its own size (or `?size=WxH`, each side up to MAX_SIDE), fresh from
   * the capture server. At most `maxSnapshots` at once; more get a 429 saying so.
   */
  private async snapshot(url: URL, response: ServerResponse): Promise<void> {
    const encoding = url.pathname.endsWith('.png') ? 'png' : 'jpeg';
    const size = url.searchParams.get('size');
    const { width, height } = size === null ? { width: undefined, height: undefined } : parseSizeText(size);
    if (this.snapshotsInProgress >= this.options.maxSnapshots) {
      return this.reply(response, 429, 'text/plain; charset=utf-8', `${this.options.maxSnapshots} snapshots are being taken already; retry shortly\n`, {
        'retry-after': String(SNAPSHOT_RETRY_AFTER_S),
      });
    }
    this.snapshotsInProgress++;
    try {
      const shot = await takeScreenshot(this.options.client, { width, height, encoding, allowStale: true, signal: AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS) });
      this.reply(response, 200, encoding === 'png' ? 'image/png' : 'image/jpeg', shot.image, {
        'x-capture-time-ms': String(shot.captureTimeMs),
        'x-frame-number': String(shot.frameNumber),
      });
    } finally {
      this.snapshotsInProgress--;
    }
  }

  private reply(response: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
    response.end(response.req.method === 'HEAD' ? undefined : body);
  }

  // --- WebSocket viewers --------------------------------------------------------------------

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://viewer');
    if (url.pathname !== '/stream') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const refusal = this.refusal(request);
    if (refusal) {
      this.options.logger.warn('viewer refused', { remote: request.socket.remoteAddress, reason: refusal });
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${refusal}\n`);
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (webSocket) => {
      void this.admit(webSocket, url.searchParams, request.socket.remoteAddress ?? '?');
    });
  }

  private async admit(socket: WebSocket, query: URLSearchParams, remote: string): Promise<void> {
    const refuse = (code: number, message: string) => {
      const error: ErrorMessage = { type: 'error', message };
      socket.send(JSON.stringify(error));
      socket.close(code, message.slice(0, 120));
    };
    let settings: StreamSettings;
    try {
      settings = settingsFromQuery(query, this.options.defaults);
    } catch (error) {
      return refuse(CLOSE_INTERNAL_ERROR, (error as Error).message);
    }
    // Those still waiting for their stream count too: joins arriving together cannot pass the limit.
    if (this.viewers.size + this.admitting >= this.options.maxViewers) {
      return refuse(CLOSE_TRY_AGAIN_LATER, `the viewer server has its maximum of ${this.options.maxViewers} viewers`);
    }
    const key = streamKey(settings);
    let entry: StreamEntry;
    this.admitting++;
    try {
      entry = this.streamFor(key, settings);
    } catch (error) {
      this.admitting--;
      return refuse(CLOSE_INTERNAL_ERROR, `cannot start the stream: ${(error as Error).message}`);
    }
    clearTimeout(entry.closeTimer);
    entry.joining++;
    try {
      await entry.opened;
    } catch (error) {
      return refuse(CLOSE_INTERNAL_ERROR, `cannot start the stream: ${(error as Error).message}`);
    } finally {
      entry.joining--;
      this.admitting--;
    }
    if (this.streams.get(key) !== entry) {
      return refuse(CLOSE_INTERNAL_ERROR, 'the stream ended as the viewer joined');
    }
    if (socket.readyState !== socket.OPEN) {
      // Gone while the stream opened: the stream may now have nobody, and must not run on for nobody.
      this.closeWhenUnwatched(key, entry);
      return;
    }
    const viewer = new ViewerConnection(this.nextViewerId++, socket, entry.stream, key, remote);
    entry.viewers.add(viewer);
    this.viewers.add(viewer);
    this.options.logger.info('viewer joined', { viewer: viewer.id, remote, stream: key, viewers: this.viewers.size });
    socket.on('close', () => {
      viewer.detach();
      entry.viewers.delete(viewer);
      this.viewers.delete(viewer);
      this.options.logger.info('viewer left', { viewer: viewer.id, viewers: this.viewers.size });
      this.closeWhenUnwatched(key, entry);
    });
  }

  /** Closes a stream STREAM_LINGER_MS after it has no viewer and nobody joining. */
  private closeWhenUnwatched(key: string, entry: StreamEntry): void {
    if (entry.viewers.size > 0 || entry.joining > 0 || this.streams.get(key) !== entry) return;
    clearTimeout(entry.closeTimer);
    entry.closeTimer = setTimeout(() => void this.closeStream(entry), STREAM_LINGER_MS);
  }

  /** The stream for these settings, opening it if there is none. */
  private streamFor(key: string, settings: StreamSettings): StreamEntry {
    const existing = this.streams.get(key);
    if (existing) return existing;
    if (this.streams.size >= this.options.maxStreams) {
      throw new Error(`the viewer server runs its maximum of ${this.options.maxStreams} differently-configured streams; use the default settings`);
    }
    const logger = this.options.logger.child(key);
    const stream: LiveStream = new LiveStream(this.options.client, settings, logger, (error) => {
      logger.warn('stream failed', { error: error.message });
      void this.closeStream(entry, `stream ended: ${error.message}`);
    });
    const entry: StreamEntry = { stream, opened: stream.open(), viewers: new Set(), joining: 0 };
    this.streams.set(key, entry);
    entry.opened.catch(() => this.closeStream(entry));
    return entry;
  }

  private async closeStream(entry: StreamEntry, reason?: string): Promise<void> {
    clearTimeout(entry.closeTimer);
    for (const [key, candidate] of this.streams) if (candidate === entry) this.streams.delete(key);
    for (const viewer of entry.viewers) {
      viewer.detach();
      // The pages reconnect by themselves, and get a fresh stream if the capture server is back.
      if (reason) viewer.close(CLOSE_INTERNAL_ERROR, reason);
    }
    await entry.stream.close();
  }
}
