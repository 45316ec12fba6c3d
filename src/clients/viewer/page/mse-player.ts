/**
 * The everywhere path: the fragments go as they are into Media Source Extensions, for browsers
 * without WebCodecs' track generator and for pages not in a secure context (plain http from
 * another machine).
 *
 * MSE is built for buffered playback, so it is kept live by hand: playback starts at the first
 * keyframe, runs a little faster while it trails the newest frame, and jumps when it trails by
 * too much. Every fragment declares a long duration (the server's keyframe interval), so a still
 * screen is one long frame, not a gap that would stall playback.
 */
import { SegmentFlag, type MediaSegmentHeader, type StreamDescription } from '../wire/stream-messages.js';
import { readFragment } from './mp4-boxes.js';
import { frameFacts, PendingFrames, ticksToSeconds, watchPresentation, type Player, type PlayerEvents } from './player.js';

/** Trailing the newest frame by more than this (about a frame and a half at 30 fps): play 10% faster until caught up. */
const CATCH_UP_LAG_S = 0.05;
/** Trailing by more than this: jump to the newest frame. */
const JUMP_LAG_S = 1.0;
/** Buffer kept behind the playback position; older data is removed at a keyframe. */
const KEEP_BEHIND_S = 20;
/** Frames remembered until shown, to find a shown frame's capture time. */
const MAX_PENDING = 240;

export function mseSupported(codec: string): boolean {
  return typeof MediaSource === 'function' && MediaSource.isTypeSupported(`video/mp4; codecs="${codec}"`);
}

export class MsePlayer implements Player {
  readonly mode = 'mse';
  private readonly mediaSource = new MediaSource();
  private sourceBuffer: SourceBuffer | undefined;
  /** Appends and removals wait here while the SourceBuffer is updating. */
  private readonly operations: Array<() => void> = [];
  /** The frames' facts by presentation time, until shown. */
  private readonly pending = new PendingFrames(MAX_PENDING);
  private readonly keyframeTimes: number[] = [];
  private newestTime: number | undefined;
  private started = false;
  private closed = false;
  private objectUrl: string;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: PlayerEvents,
  ) {
    this.objectUrl = URL.createObjectURL(this.mediaSource);
  }

  start(description: StreamDescription, initSegment: Uint8Array): void {
    this.video.srcObject = null;
    this.video.src = this.objectUrl;
    // First in the queue: media segments may arrive before the MediaSource opens.
    this.operations.push(() => this.sourceBuffer!.appendBuffer(initSegment as Uint8Array<ArrayBuffer>));
    this.mediaSource.addEventListener(
      'sourceopen',
      () => {
        if (this.closed) return;
        try {
          const buffer = this.mediaSource.addSourceBuffer(`video/mp4; codecs="${description.codec}"`);
          buffer.mode = 'segments';
          buffer.addEventListener('updateend', () => this.runOperations());
          buffer.addEventListener('error', () =>
            this.fail(`the SourceBuffer reported an error: ${this.video.error?.message ?? 'no details'}`),
          );
          this.sourceBuffer = buffer;
          this.runOperations();
        } catch (error) {
          this.fail(`MSE: ${(error as Error).message}`);
        }
      },
      { once: true },
    );
    watchPresentation(
      this.video,
      () => this.closed,
      (mediaTime, displayTimeMs) => {
        const shown = this.pending.take(mediaTime);
        if (shown) this.events.shown({ ...shown, displayTimeMs });
      },
    );
  }

  media(header: MediaSegmentHeader, segment: Uint8Array): void {
    if (this.closed) return;
    const time = ticksToSeconds(readFragment(segment).decodeTicks);
    const key = Math.round(time * 1e6);
    this.pending.add(key, frameFacts(header));
    if (header.flags & SegmentFlag.keyframe) this.keyframeTimes.push(time);
    this.newestTime = time;
    // The bytes are a view into the WebSocket message's ArrayBuffer (never a shared one).
    this.enqueue(() => this.sourceBuffer!.appendBuffer(segment as Uint8Array<ArrayBuffer>));
    this.enqueue(() => this.afterAppend());
  }

  close(): void {
    this.closed = true;
    this.operations.length = 0;
    this.video.removeAttribute('src');
    this.video.load();
    URL.revokeObjectURL(this.objectUrl);
  }

  private enqueue(operation: () => void): void {
    this.operations.push(operation);
    this.runOperations();
  }

  private runOperations(): void {
    while (!this.closed && this.sourceBuffer && !this.sourceBuffer.updating && this.operations.length > 0) {
      try {
        this.operations.shift()!();
      } catch (error) {
        this.fail(`MSE: ${(error as Error).message}`);
        return;
      }
    }
  }

  /** Keeps playback at the live edge, and the buffer short. Runs between SourceBuffer updates. */
  private afterAppend(): void {
    const video = this.video;
    const newest = this.newestTime;
    if (newest === undefined) return;
    if (!this.started) {
      this.started = true;
      video.currentTime = this.keyframeTimes[0] ?? newest;
      void video.play().catch(() => undefined);
      return;
    }
    const lag = newest - video.currentTime;
    if (lag > JUMP_LAG_S) video.currentTime = newest;
    video.playbackRate = lag > CATCH_UP_LAG_S ? 1.1 : 1.0;
    if (video.paused) void video.play().catch(() => undefined);
    // Remove what is long past, cutting at a keyframe so that nothing still needed depends on it.
    const cut = this.keyframeTimes.filter((time) => time < video.currentTime - KEEP_BEHIND_S).pop();
    if (cut !== undefined) {
      this.keyframeTimes.splice(0, this.keyframeTimes.indexOf(cut));
      this.operations.push(() => this.sourceBuffer!.remove(0, cut));
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.events.failed(reason);
  }
}
