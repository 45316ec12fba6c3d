/**
 * The page's connection to the viewer server: one WebSocket at a time, opened again with backoff
 * whenever it closes (the server restarted, the network dropped, the stream failed), and a clock
 * probe that tells how the server's clock relates to the page's.
 */
import {
  parseBinaryMessage,
  type ClientTextMessage,
  type MediaSegmentHeader,
  type ServerTextMessage,
  type StreamDescription,
} from '../wire/stream-messages.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'error';

export interface StreamSocketEvents {
  state(state: ConnectionState, detail: string): void;
  /** A (new) stream: what it is and its init segment. Everything before is void. */
  stream(description: StreamDescription, initSegment: Uint8Array): void;
  media(header: MediaSegmentHeader, segment: Uint8Array): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
const PING_EVERY_MS = 2000;
/** Pings right after connecting, spaced out: one of them will find the server idle. */
const FIRST_PINGS = 5;
const FIRST_PING_SPACING_MS = 100;
/**
 * How far the server's clock may be from the system clock it follows (src/util/wall-clock.ts:
 * a fraction of a millisecond), counted into the sync error.
 */
const SERVER_CLOCK_ERROR_MS = 0.5;

/**
 * The page's clock: the one requestVideoFrameCallback's display times are on
 * (performance.timeOrigin + a performance timestamp). Date.now() is another clock (whole
 * milliseconds, and it drifts from this one), so the clock probe must not use it.
 */
export function pageClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export class StreamSocket {
  private socket: WebSocket | undefined;
  private retryMs = FIRST_RETRY_MS;
  private pendingDescription: StreamDescription | undefined;
  private pingTimer: number | undefined;
  private bestRoundTripMs = Infinity;
  /** Server clock minus page clock, from the ping with the shortest round trip. */
  private offsetMs = 0;
  private offsetErrorMs = Infinity;
  /** Connections opened so far (1 for the first). */
  connects = 0;

  constructor(
    private readonly url: string,
    private readonly events: StreamSocketEvents,
  ) {}

  /** Server clock minus page clock (ms): add it to a page time to get a server time. */
  get serverClockOffsetMs(): number {
    return this.offsetMs;
  }

  /**
   * How wrong serverClockOffsetMs may be, ms (Infinity before the first answer): half the best
   * round trip, since the server answered somewhere within it, plus the server clock's own error.
   */
  get serverClockErrorMs(): number {
    return this.offsetErrorMs;
  }

  open(): void {
    this.connects++;
    this.events.state(this.connects === 1 ? 'connecting' : 'reconnecting', '');
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.bestRoundTripMs = Infinity;
      for (let i = 0; i < FIRST_PINGS; i++) window.setTimeout(() => this.ping(), i * FIRST_PING_SPACING_MS);
      this.pingTimer = window.setInterval(() => this.ping(), PING_EVERY_MS);
    };
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => this.onMessage(event.data);
    socket.onclose = (event) => {
      window.clearInterval(this.pingTimer);
      if (this.socket !== socket) return;
      const why = event.reason || (event.code === 1006 ? 'connection lost' : `closed (${event.code})`);
      this.events.state('reconnecting', `${why}; retrying in ${(this.retryMs / 1000).toFixed(1)} s`);
      window.setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    };
  }

  /** Drops the connection and opens a new one (the stream could not be played on). */
  restart(reason: string): void {
    this.events.state('reconnecting', reason);
    this.socket?.close(4000, reason.slice(0, 100));
  }

  send(message: ClientTextMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private ping(): void {
    this.send({ type: 'ping', clientTimeMs: pageClockMs() });
  }

  private onMessage(data: string | ArrayBuffer): void {
    if (typeof data === 'string') {
      const message = JSON.parse(data) as ServerTextMessage;
      if (message.type === 'stream') this.pendingDescription = message;
      else if (message.type === 'error') this.events.state('error', message.message);
      else if (message.type === 'pong') this.onPong(message.clientTimeMs, message.serverTimeMs);
      return;
    }
    const message = parseBinaryMessage(new Uint8Array(data));
    if (message.kind === 'init') {
      if (!this.pendingDescription) throw new TypeError('init segment before its stream description');
      this.events.stream(this.pendingDescription, message.segment);
      // Only a stream that really started resets the backoff: a server that accepts and then
      // fails at once is retried ever more slowly.
      this.retryMs = FIRST_RETRY_MS;
      this.events.state('live', '');
    } else {
      this.events.media(message.header, message.segment);
    }
  }

  /**
   * NTP's estimate: the server answered halfway through the round trip, and the round trip with
   * the least delay says the most (queueing only ever adds delay, and asymmetrically).
   */
  private onPong(sentMs: number, serverMs: number): void {
    const now = pageClockMs();
    const roundTrip = now - sentMs;
    if (roundTrip > this.bestRoundTripMs) return;
    this.bestRoundTripMs = roundTrip;
    this.offsetMs = serverMs - (sentMs + now) / 2;
    this.offsetErrorMs = roundTrip / 2 + SERVER_CLOCK_ERROR_MS;
  }
}
