/**
 * Per-client state, as Scenic's screen_capture2 keeps it per connection: the collections the
 * client registered, its current configuration (buffers free and held, the last frame it got)
 * and at most one pending GetNextFrame.
 */
import type { RenderTarget } from '../render/render-target';
import type { Rect } from '../sources/display-source';

export type BufferTransport = 'inline';

export interface BufferCollection {
  readonly importToken: string;
  readonly bufferCount: number;
  readonly transport: BufferTransport;
}

/** One Configure's worth of state; replaced whole by the next Configure. */
export class Configuration {
  /** Buffer indices the client does not hold, lowest first. */
  readonly freeBuffers: number[];
  /** Release token -> buffer index, for the buffers the client holds. */
  readonly heldBuffers = new Map<string, number>();
  /** The number of the last frame delivered under this configuration; 0 before the first. */
  lastDeliveredFrame = 0;

  constructor(
    readonly collection: BufferCollection,
    readonly target: RenderTarget,
  ) {
    this.freeBuffers = Array.from({ length: collection.bufferCount }, (_, i) => i);
  }
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
  readonly pixels: Buffer;
  readonly displayWidth: number;
  readonly displayHeight: number;
}

/** A GetNextFrame waiting for a frame (or being rendered into a buffer). */
export interface PendingGet {
  readonly configuration: Configuration;
  /** True while a frame is being rendered for it; no second render starts meanwhile. */
  rendering: boolean;
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
