/**
 * What the page does with the stream, whichever way it decodes it: a player takes the stream
 * description with its init segment, then media segments, and tells the page each time a new
 * picture reaches the screen.
 */
import { MEDIA_TIMESCALE, SegmentFlag, type MediaSegmentHeader, type StreamDescription } from '../wire/stream-messages.js';

export interface ShownFrame {
  /** When it was captured, on the capture server's clock (ms since the epoch). */
  captureTimeMs: number;
  /** When it was (or will be, at the next refresh) on screen, on the page's clock. */
  displayTimeMs: number;
  /** A picture encoded again for a joining viewer: its capture time is old, not a latency sample. */
  repeat: boolean;
}

export interface Player {
  readonly mode: 'webcodecs' | 'mse';
  start(description: StreamDescription, initSegment: Uint8Array): void;
  media(header: MediaSegmentHeader, segment: Uint8Array): void;
  close(): void;
}

export interface PlayerEvents {
  shown(frame: ShownFrame): void;
  /** The stream cannot be played on: the page starts over with a new connection. */
  failed(reason: string): void;
}

/** What a player remembers of a frame from its header until the frame is shown. */
export interface FrameFacts {
  captureTimeMs: number;
  repeat: boolean;
}

export function frameFacts(header: MediaSegmentHeader): FrameFacts {
  return { captureTimeMs: header.captureTimeMs, repeat: (header.flags & SegmentFlag.repeat) !== 0 };
}

/** A fragment's decode time (tfdt, in MEDIA_TIMESCALE ticks) in seconds. */
export function ticksToSeconds(decodeTicks: number): number {
  return decodeTicks / MEDIA_TIMESCALE;
}

/**
 * Calls `presented` for each picture the compositor presents in `video`
 * (requestVideoFrameCallback), until `stopped()` says so. Its `expectedDisplayTime` is turned
 * into wall-clock time, the clock capture times are compared with.
 */
export function watchPresentation(
  video: HTMLVideoElement,
  stopped: () => boolean,
  presented: (mediaTime: number, displayTimeMs: number) => void,
): void {
  const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
    if (stopped()) return;
    presented(metadata.mediaTime, performance.timeOrigin + metadata.expectedDisplayTime);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

/**
 * The facts of frames on their way to the screen, by media time in microseconds, until the
 * compositor presents one (requestVideoFrameCallback's `mediaTime` names it). Keyed by the frame
 * rather than taken as the last one queued: a callback that runs late, after the next frame was
 * queued, still reports the frame it presented.
 */
export class PendingFrames {
  private readonly frames = new Map<number, FrameFacts>();

  /** `limit`: the most kept (the oldest go first); more are never shown in time. */
  constructor(private readonly limit: number) {}

  add(timeUs: number, facts: FrameFacts): void {
    this.frames.set(timeUs, facts);
    if (this.frames.size > this.limit) this.frames.delete(this.frames.keys().next().value!);
  }

  /**
   * The frame shown at `mediaTime` (seconds): matched within a millisecond, as the browser keeps
   * times in whole microseconds and 90 kHz ticks are not. Older frames (never shown: dropped as
   * late, or replaced before a refresh) go.
   */
  take(mediaTime: number): FrameFacts | undefined {
    const key = Math.round(mediaTime * 1e6);
    for (const [time, facts] of this.frames) {
      if (time < key - 1000) {
        this.frames.delete(time);
      } else if (time <= key + 1000) {
        this.frames.delete(time);
        return facts;
      }
    }
    return undefined;
  }

  clear(): void {
    this.frames.clear();
  }
}
