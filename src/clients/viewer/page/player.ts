/**
 * What the page does with the stream, whichever way it decodes it: a player takes the stream
 * description with its init segment, then media segments, and tells the page each time a new
 * picture reaches the screen.
 */
import type { MediaSegmentHeader, StreamDescription } from '../wire/stream-messages.js';

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

/** Wall-clock time of a video frame callback's `expectedDisplayTime` (a performance.now() value). */
export function wallClockOf(performanceTimeMs: number): number {
  return performance.timeOrigin + performanceTimeMs;
}
