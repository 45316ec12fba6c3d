/**
 * Per-client state, as Scenic's screen_capture2 keeps it per connection: the collections the
 * client registered, its current configuration (buffers free and held, the last frame it got)
 * and at most one pending GetNextFrame.
 */
import type { RenderTarget } from '../render/render-target';
import type { Frame } from '../scheduler/frame';
import type { PointerShape, Rect } from '../sources/display-source';
import type { EncodedPixels } from './inline-pixels';
import type { RectCompression, RectUpdate } from './rect-updates';
import type { SharedMemoryFile } from './shared-memory';

export type BufferTransport = 'inline' | 'shared-memory';

export interface BufferCollection {
  readonly importToken: string;
  readonly bufferCount: number;
  readonly transport: BufferTransport;
  /** The client's buffer file, mapped, for SHARED_MEMORY; unmapped when the collection is freed. */
  readonly sharedMemory?: SharedMemoryFile;
}

/**
 * How INLINE replies carry the image: whole, or (damage rects) only what differs from the
 * client's own copy of the buffer, compressed.
 */
export type InlineEncoding = { readonly rects: false } | { readonly rects: true; readonly compression: RectCompression };

/** One Configure's worth of state; replaced whole by the next Configure. */
export class Configuration {
  /** Buffer indices the client does not hold, lowest first. */
  readonly freeBuffers: number[];
  /**
   * Release token -> the buffer the client holds, and its delivery's withdraw
   * (FrameDelivery.withdraw), for a reply found lost after it was sent
   * (GetNextFrameRequest.held_frames).
   */
  readonly heldBuffers = new Map<string, { readonly index: number; readonly withdraw: () => void }>();
  /**
   * SHARED_MEMORY: the frame each buffer holds (0: unknown, or a write was cut short), so that
   * the next write into it rewrites only what changed since. INLINE damage rects: the frame last
   * delivered in each buffer index, which the client's own copy of that buffer holds. Per
   * configuration: a new target makes every buffer's content unusable.
   */
  readonly bufferFrames: number[];
  /** The number of the last frame delivered under this configuration; 0 before the first. */
  lastDeliveredFrame = 0;
  /** For a display client, that frame's number among its display's frames (Frame.displays); 0 before the first. */
  lastDeliveredDisplayFrame = 0;
  /**
   * CURSOR_MODE_METADATA: the pointer shape last sent under this configuration (null before
   * any frame, undefined after frames without one), so that its bytes go out only on a change.
   */
  sentPointerShape: PointerShape | undefined | null = null;
  /**
   * With a display id: the desktop region the frames were last cut from, and the first frame cut
   * from it; a buffer holding an earlier frame holds another region, so none of its pixels can
   * be kept.
   */
  region: Rect | undefined;
  regionSince = 0;

  constructor(
    readonly collection: BufferCollection,
    readonly target: RenderTarget,
    readonly inlineEncoding: InlineEncoding = { rects: false },
    /**
     * The display whose picture the client gets; undefined for the whole desktop; 'primary' until
     * the first frame names the primary display, whose id then takes its place (a client that
     * named none keeps the display that was primary then, and its numbers).
     */
    public displayId?: number | 'primary',
  ) {
    this.freeBuffers = Array.from({ length: collection.bufferCount }, (_, i) => i);
    this.bufferFrames = new Array<number>(collection.bufferCount).fill(0);
  }
}

/** The pointer beside a frame, for a CURSOR_MODE_METADATA client. */
export interface DeliveredPointer {
  readonly visible: boolean;
  /** The hot spot in image coordinates. */
  readonly x: number;
  readonly y: number;
  /** The hot spot in display coordinates. */
  readonly displayX: number;
  readonly displayY: number;
  /** Undefined while the source has no shape. */
  readonly shapeId: number | undefined;
  /** The shape's bytes: only in the configuration's first frame with it and when it changes. */
  readonly shape: PointerShape | undefined;
}

/** What GetNextFrame answers with. */
export interface FrameDelivery {
  readonly bufferIndex: number;
  readonly frameNumber: number;
  readonly captureWallMs: number;
  readonly captureMonotonicNs: bigint;
  readonly releaseToken: string;
  /** In image coordinates. */
  readonly damage: readonly Rect[];
  readonly target: RenderTarget;
  /**
   * INLINE: the pixels to send, as FrameInfo's encoded pixels field. Undefined with
   * SHARED_MEMORY (they are in the client's buffer) and with INLINE damage rects (see rectUpdate).
   */
  readonly pixels: EncodedPixels | undefined;
  /** INLINE damage rects: what to write into the client's copy of the buffer. */
  readonly rectUpdate?: RectUpdate;
  /** SHARED_MEMORY: where the buffer starts in the client's file; 0 with INLINE. */
  readonly bufferOffset: number;
  readonly displayWidth: number;
  readonly displayHeight: number;
  /** CURSOR_MODE_METADATA only. */
  readonly pointer: DeliveredPointer | undefined;
  /**
   * Call once `pixels` have been serialized (or will never be): they come from a frame that is
   * reused afterwards. Calling it again does nothing.
   */
  readonly sent: () => void;
  /** The frame the pixels came from; an INLINE reply caches its encoded pixels on it. */
  readonly frame: Frame;
  /**
   * Call, instead of sending, when the reply can no longer reach the client (its call or stream
   * ended first): the pixels are let go (as by sent()), the buffer goes back to the session, as a
   * release would give it, and the session counts its next frame's damage from the frame the
   * client really has, so nothing is held for a token nobody received. The buffer part does
   * nothing after a Configure, or a second time.
   */
  readonly withdraw: () => void;
}

/** A GetNextFrame waiting for a frame (or being rendered into a buffer). */
export interface PendingGet {
  readonly configuration: Configuration;
  /** True while a frame is being rendered for it; no second render starts meanwhile. */
  rendering: boolean;
  /** The pointer shape the client said it holds (a decimal id, '0' for none); undefined when it did not say. */
  readonly heldPointerShapeId: string | undefined;
  resolve(delivery: FrameDelivery): void;
  reject(error: Error): void;
}

export class CaptureSession {
  readonly collections = new Map<string, BufferCollection>();
  configuration: Configuration | undefined;
  pending: PendingGet | undefined;
  /** Calls of this session in progress (a pending GetNextFrame is one): never idle while > 0. */
  callsInProgress = 0;
  lastActivityMs: number;
  framesDelivered = 0;
  /** The highest GetNextFrameRequest.held_frames.request_number received; 0 before any. */
  lastRequestNumber = 0;
  readonly openedAtMs: number;

  constructor(
    /** The bearer secret the client carries. Never logged. */
    readonly id: string,
    /** A small number for logs. */
    readonly logNumber: number,
    readonly clientName: string,
    readonly peer: string,
  ) {
    this.openedAtMs = this.lastActivityMs = Date.now();
  }

  get label(): string {
    return `#${this.logNumber}`;
  }
}
