/**
 * The viewer server's live streams and their viewers. Streams are made on demand, one per
 * distinct settings (a page can ask for its own size, frame rate or rotation in its URL), and
 * closed shortly after their last viewer leaves: a viewer server nobody watches pulls no frames
 * and encodes nothing.
 */
import type { WebSocket } from 'ws';
import type { Logger } from '../../util/logger';
import type { CaptureClient } from '../capture-client';
import { LiveStream, type LiveStreamStats } from './live-stream';
import { streamKey, type StreamSettings } from './stream-settings';
import { ViewerConnection, type ViewerStats } from './viewer-connection';

export interface ViewerServerStatus {
  streams: Array<{ key: string; settings: StreamSettings; viewers: number; stats: LiveStreamStats }>;
  viewers: ViewerStats[];
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
/** WebSocket close code (RFC 6455) of a server-side failure. */
export const CLOSE_INTERNAL_ERROR = 1011;

/** A viewer could not join: the message says why (it goes to the page). */
export class JoinRefused extends Error {}

export class StreamRegistry {
  private readonly streams = new Map<string, StreamEntry>();
  private readonly viewers = new Set<ViewerConnection>();
  private nextViewerId = 1;

  constructor(
    private readonly client: CaptureClient,
    /** Distinct stream settings at once (each is a session and an encoder). */
    private readonly maxStreams: number,
    private readonly logger: Logger,
  ) {}

  get viewerCount(): number {
    return this.viewers.size;
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

  /**
   * Joins `socket` to the stream for `settings` once that stream is open, opening it if there is
   * none. Resolves to undefined when the socket closed meanwhile; rejects with JoinRefused when
   * the stream cannot be had.
   */
  async join(socket: WebSocket, settings: StreamSettings, remote: string): Promise<ViewerConnection | undefined> {
    const key = streamKey(settings);
    let entry: StreamEntry;
    try {
      entry = this.streamFor(key, settings);
    } catch (error) {
      throw new JoinRefused(`cannot start the stream: ${(error as Error).message}`);
    }
    clearTimeout(entry.closeTimer);
    entry.joining++;
    try {
      await entry.opened;
    } catch (error) {
      throw new JoinRefused(`cannot start the stream: ${(error as Error).message}`);
    } finally {
      entry.joining--;
    }
    if (this.streams.get(key) !== entry) throw new JoinRefused('the stream ended as the viewer joined');
    if (socket.readyState !== socket.OPEN) {
      // Gone while the stream opened: the stream may now have nobody, and must not run on for nobody.
      this.closeWhenUnwatched(key, entry);
      return undefined;
    }
    const viewer = new ViewerConnection(this.nextViewerId++, socket, entry.stream, key, remote);
    entry.viewers.add(viewer);
    this.viewers.add(viewer);
    this.logger.info('viewer joined', { viewer: viewer.id, remote, stream: key, viewers: this.viewers.size });
    socket.on('close', () => {
      viewer.detach();
      entry.viewers.delete(viewer);
      this.viewers.delete(viewer);
      this.logger.info('viewer left', { viewer: viewer.id, viewers: this.viewers.size });
      this.closeWhenUnwatched(key, entry);
    });
    return viewer;
  }

  /** Closes every stream (their viewers' sockets are the server's to close). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.streams.values()].map((entry) => this.closeStream(entry)));
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
    if (this.streams.size >= this.maxStreams) {
      throw new Error(`the viewer server runs its maximum of ${this.maxStreams} differently-configured streams; use the default settings`);
    }
    const logger = this.logger.child(key);
    const stream: LiveStream = new LiveStream(this.client, settings, logger, (error) => {
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
