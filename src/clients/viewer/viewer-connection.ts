/**
 * One browser watching one stream, and the back-pressure rule that keeps a slow one from hurting
 * anyone else: a segment is sent only while the socket's queue is short. When it is not, the
 * viewer drops out of the stream until the next keyframe (the frames in between would be
 * undecodable without the ones dropped), and once its queue has drained it asks the stream for
 * one: soon (half a second after the previous keyframe) after a hiccup, the first fall in a
 * periodic keyframe interval; no sooner than a few seconds after it when the viewer keeps falling
 * behind (see LiveStream.requestKeyframe). Its queue stays bounded whatever the network does,
 * nobody waits for it, and however often it falls behind, the others' stream keeps its keyframe
 * rate.
 */
import type { WebSocket } from 'ws';
import { wallClockMs } from '../../util/wall-clock';
import { keyframeReason, type KeyframeReason } from '../../media/keyframe-policy';
import type { LiveStream, PublishedSegment } from './live-stream';
import type { ClientTextMessage, PongMessage, ViewerReport } from './wire/stream-messages';

export type ViewerState = 'awaiting-keyframe' | 'live';

export interface ViewerStats {
  id: number;
  state: ViewerState;
  stream: string;
  remote: string;
  /** Bytes queued on the socket, not yet taken by the kernel. */
  queuedBytes: number;
  segmentsSent: number;
  /** Segments not sent because the queue was full or a keyframe was awaited. */
  segmentsDropped: number;
  /** Times the viewer fell behind and skipped to a keyframe. */
  catchUps: number;
  /**
   * Why it last asked for a keyframe: 'join', 'hiccup' (fell behind once in a keyframe interval:
   * served as soon as a joining viewer) or 'catch-up' (keeps falling behind: spaced out); null
   * before it asked.
   */
  lastKeyframeRequest: KeyframeReason | null;
  /** What the page last said it shows. */
  report: Omit<ViewerReport, 'type'> | null;
}

/**
 * Half a second of the stream's bitrate, but at least 256 KiB: enough for a keyframe in flight,
 * while a viewer this far behind is better served by skipping ahead.
 */
export function queueLimitBytes(bitrateBps: number): number {
  return Math.max(256 * 1024, Math.round(bitrateBps / 8 / 2));
}

/** Largest text message a page may send (pings and reports are tiny). */
const MAX_TEXT_MESSAGE = 4096;

export class ViewerConnection {
  private state: ViewerState = 'awaiting-keyframe';
  private initSent = false;
  private readonly unsubscribe: () => void;
  private readonly queueLimit: number;
  private segmentsSent = 0;
  private segmentsDropped = 0;
  private catchUps = 0;
  /** When this viewer last fell behind, and the time before that (performance.now() ms). */
  private fellBehindAtMs = -Infinity;
  private previousFallAtMs = -Infinity;
  private report: Omit<ViewerReport, 'type'> | null = null;
  private lastKeyframeRequest: KeyframeReason | null = null;

  constructor(
    readonly id: number,
    private readonly socket: WebSocket,
    private readonly stream: LiveStream,
    private readonly streamKey: string,
    private readonly remote: string,
  ) {
    this.queueLimit = queueLimitBytes(stream.settings.bitrateBps);
    this.unsubscribe = stream.subscribe((segment) => this.onSegment(segment));
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    // A joining viewer starts at a keyframe.
    this.requestKeyframe('join');
  }

  /** Detaches from the stream (the socket is closing or closed). */
  detach(): void {
    this.unsubscribe();
  }

  /** Closes the socket with a WebSocket close code and a reason the page shows. */
  close(code: number, reason: string): void {
    this.socket.close(code, reason.slice(0, 120));
  }

  stats(): ViewerStats {
    return {
      id: this.id,
      state: this.state,
      stream: this.streamKey,
      remote: this.remote,
      queuedBytes: this.socket.bufferedAmount,
      segmentsSent: this.segmentsSent,
      segmentsDropped: this.segmentsDropped,
      catchUps: this.catchUps,
      lastKeyframeRequest: this.lastKeyframeRequest,
      report: this.report,
    };
  }

  private onSegment(segment: PublishedSegment): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.queueLimit) {
      this.segmentsDropped++;
      if (this.state === 'live') {
        this.state = 'awaiting-keyframe';
        this.catchUps++;
        this.previousFallAtMs = this.fellBehindAtMs;
        this.fellBehindAtMs = performance.now();
      }
      // No keyframe request while the queue is full: a viewer that never drains must not make
      // everyone's stream all keyframes.
      return;
    }
    if (this.state === 'awaiting-keyframe' && !segment.isKeyframe) {
      this.segmentsDropped++;
      // Merged with other viewers' requests, and spaced by the stream: a viewer that fell behind
      // once in a periodic keyframe interval (a hiccup) gets its keyframe soon; one that keeps
      // falling behind waits longer, so that it cannot make everyone's stream keyframes.
      this.requestKeyframe(this.keyframeReason());
      return;
    }
    if (!this.initSent) {
      const start = this.stream.streamStart;
      if (!start) return;
      this.socket.send(JSON.stringify(start.description));
      this.socket.send(start.initMessage);
      this.initSent = true;
    }
    this.socket.send(segment.message);
    this.state = 'live';
    this.segmentsSent++;
  }

  private requestKeyframe(reason: KeyframeReason): void {
    this.lastKeyframeRequest = reason;
    this.stream.requestKeyframe(reason);
  }

  private keyframeReason(): KeyframeReason {
    return keyframeReason(this.catchUps, this.fellBehindAtMs, this.previousFallAtMs);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary || data.length > MAX_TEXT_MESSAGE) {
      this.socket.close(1003, 'viewers send only small JSON text messages');
      return;
    }
    let message: ClientTextMessage;
    try {
      message = JSON.parse(data.toString('utf8')) as ClientTextMessage;
    } catch {
      return; // Not ours to fail on: a stray message costs nothing.
    }
    if (message.type === 'ping' && typeof message.clientTimeMs === 'number') {
      const pong: PongMessage = { type: 'pong', clientTimeMs: message.clientTimeMs, serverTimeMs: wallClockMs() };
      this.socket.send(JSON.stringify(pong));
    } else if (message.type === 'report' && typeof message.framesShown === 'number') {
      this.report = {
        framesShown: message.framesShown,
        latencyP50Ms: typeof message.latencyP50Ms === 'number' ? message.latencyP50Ms : null,
        mode: String(message.mode).slice(0, 32),
      };
    }
  }
}
