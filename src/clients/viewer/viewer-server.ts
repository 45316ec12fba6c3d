/**
 * The live viewer's web server, its HTTP side: the page, the video over a WebSocket (/stream),
 * snapshots (/frame.png, /frame.jpg) and a status document (/status.json). Who may connect is
 * ViewerAdmission's to say; the streams and their viewers are the StreamRegistry's.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatAddress } from '../../util/listen-address';
import type { Logger } from '../../util/logger';
import type { CaptureClient } from '../capture-client';
import { nativeAddonStatus } from '../../codec';
import { takeScreenshot } from '../screenshot/take-screenshot';
import { PageFiles } from './page-files';
import { checkStreamSettings, parseSizeText, settingsFromQuery, type StreamSettings } from './stream-settings';
import { CLOSE_INTERNAL_ERROR, JoinRefused, StreamRegistry, type ViewerServerStatus } from './stream-registry';
import { ViewerAdmission, viewerListenAddress } from './viewer-admission';
import type { ErrorMessage } from './wire/stream-messages';

export type { ViewerServerStatus } from './stream-registry';

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

const SNAPSHOT_TIMEOUT_MS = 10_000;
/** WebSocket close codes (RFC 6455): going away, and try again later. */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TRY_AGAIN_LATER = 1013;
/** What a 429 answer tells a client to wait, seconds: a snapshot takes well under that. */
const SNAPSHOT_RETRY_AFTER_S = 1;

export class ViewerServer {
  private readonly http: Server;
  private readonly sockets: WebSocketServer;
  private readonly registry: StreamRegistry;
  private readonly admission: ViewerAdmission;
  private readonly pageFiles = new PageFiles();
  private listeningAddress = '';

  private constructor(private readonly options: Required<ViewerServerOptions>) {
    this.registry = new StreamRegistry(options.client, options.maxStreams, options.logger);
    this.admission = new ViewerAdmission(options);
    this.http = createServer((request, response) => void this.onRequest(request, response));
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.http.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
  }

  /**
   * Starts serving. Throws a TypeError naming the field for bad options (a malformed or
   * non-loopback `listen` without `public`, bad default settings) before listening.
   */
  static async start(options: ViewerServerOptions): Promise<ViewerServer> {
    const address = viewerListenAddress(options.listen, options.public);
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
      options.logger.warn(
        'the live view has no login: anyone who reaches it sees the screen, although the capture server requires a token',
        { url: server.url },
      );
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
    return this.registry.status();
  }

  /** Closes every viewer (they will reconnect to whoever serves next) and every stream. */
  async stop(): Promise<void> {
    for (const socket of this.sockets.clients) socket.close(CLOSE_GOING_AWAY, 'viewer server stopping');
    await this.registry.closeAll();
    this.sockets.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    // Sockets still closing are cut: a stopped server holds nothing open.
    for (const socket of this.sockets.clients) socket.terminate();
  }

  // --- HTTP ---------------------------------------------------------------------------------

  private async onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://viewer');
    const refusal = this.admission.refusal(request);
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
    if (!this.admission.startSnapshot()) {
      return this.reply(
        response,
        429,
        'text/plain; charset=utf-8',
        `${this.options.maxSnapshots} snapshots are being taken already; retry shortly\n`,
        {
          'retry-after': String(SNAPSHOT_RETRY_AFTER_S),
        },
      );
    }
    try {
      const shot = await takeScreenshot(this.options.client, {
        width,
        height,
        // The page's snapshot shows what its stream does.
        displayId: this.options.defaults.displayId,
        encoding,
        allowStale: true,
        signal: AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS),
      });
      this.reply(response, 200, encoding === 'png' ? 'image/png' : 'image/jpeg', shot.image, {
        'x-capture-time-ms': String(shot.captureTimeMs),
        'x-frame-number': String(shot.frameNumber),
      });
    } finally {
      this.admission.snapshotDone();
    }
  }

  private reply(
    response: ServerResponse,
    status: number,
    contentType: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): void {
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
    const refusal = this.admission.refusal(request);
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
    const tooMany = this.admission.viewerRefusal(this.registry.viewerCount);
    if (tooMany) return refuse(CLOSE_TRY_AGAIN_LATER, tooMany);
    this.admission.joinStarted();
    try {
      await this.registry.join(socket, settings, remote);
    } catch (error) {
      if (!(error instanceof JoinRefused)) throw error;
      return refuse(CLOSE_INTERNAL_ERROR, error.message);
    } finally {
      this.admission.joined();
    }
  }
}
