/** Where a recording's frames go: an MP4 file or a directory of PNGs. */
import type { CapturedFrame } from '../capture-session';

export interface FrameSink {
  /** The file or directory written. */
  readonly path: string;
  /** Frames stored so far. */
  readonly framesWritten: number;
  /** Bytes on disk so far. */
  readonly bytesOnDisk: number;
  /**
   * Stores one frame at `timestampUs` after the recording's first frame. Resolves to false when
   * the frame was dropped (H.264 rate control skipped it); the previous picture stays on screen.
   */
  write(frame: CapturedFrame, timestampUs: number): Promise<boolean>;
  /**
   * Stores the last frame's picture once more at `timestampUs` (after the last sample): 'repeat'
   * on a constant-rate grid, 'sharp' to code a picture that stopped changing at high quality.
   * Absent where a stored frame is already exact (PNG). Resolves to false when nothing was stored.
   */
  writeAgain?(timestampUs: number, quality: 'repeat' | 'sharp'): Promise<boolean>;
  /**
   * Puts on disk what is still held in memory, for when frames stop coming (a still screen):
   * `timeUs` is now, after the last frame's timestamp, and the last frame lasts until then for the
   * time being. Safe to call with nothing written.
   */
  flush(timeUs: number): Promise<void>;
  /** Completes the output; `stopTimeUs` ends the last frame. Safe to call with nothing written. */
  finish(stopTimeUs: number): Promise<void>;
}
