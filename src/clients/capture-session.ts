/**
 * A client session: configure it, then take frames one at a time (nextFrame, release) or as an
 * async iterator that gives each frame back when the next is asked for.
 */
import { BufferTransport } from '../gen/screencapture/v1/allocator.pb';
import {
  degreesToProto,
  durationToNs,
  formatFromProto,
  formatToProto,
  scaleModeToProto,
  timestampToMs,
} from '../protocol/conversions';
import type { Rotation, ScaleMode } from '../render/render-target';
import type { Rect, SurfaceFormat } from '../sources/display-source';
import type { CaptureClient } from './capture-client';
import { callUnary, type CallSettings } from './unary-call';

export interface SessionConfiguration {
  /** Image size after rotation. */
  width: number;
  height: number;
  /** Clockwise degrees; default 0. */
  rotation?: Rotation;
  /** Default 'rgba8'. */
  pixelFormat?: SurfaceFormat;
  /** Default 'fit' (letterbox). */
  scaleMode?: ScaleMode;
  /** Buffers in the collection; default 2 (one being filled while the client reads the other). */
  bufferCount?: number;
}

export interface CapturedFrame {
  readonly bufferIndex: number;
  readonly frameNumber: number;
  /** Latch time, wall clock, ms since the epoch (fractional). */
  readonly captureTimeMs: number;
  /** Latch time on the server's monotonic clock, ns. */
  readonly captureMonotonicNs: bigint;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly pixelFormat: SurfaceFormat;
  readonly pixels: Buffer;
  /** What changed since this session's previous frame, in image coordinates. */
  readonly damage: readonly Rect[];
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly releaseToken: string;
  /** Gives the buffer back; calling it again does nothing. */
  release(): Promise<void>;
}

export class CaptureSession {
  private importToken: string | undefined;
  private closed = false;

  constructor(
    private readonly client: CaptureClient,
    /** The session's id: a secret, carried on every call. */
    readonly id: string,
    /** The server closes the session after this long without a call. */
    readonly idleTimeoutMs: number,
  ) {}

  /**
   * Registers a buffer collection and configures the session with it, replacing (and freeing)
   * any earlier configuration's collection.
   */
  async configure(configuration: SessionConfiguration, settings?: CallSettings): Promise<void> {
    const { capture, allocator, token } = this.client;
    const registered = await callUnary(allocator, allocator.registerBufferCollection, {
      sessionId: this.id,
      bufferCount: configuration.bufferCount ?? 2,
      transport: BufferTransport.BUFFER_TRANSPORT_INLINE,
    }, token, settings);
    await callUnary(capture, capture.configure, {
      sessionId: this.id,
      importToken: registered.importToken,
      imageSize: { width: configuration.width, height: configuration.height },
      rotation: degreesToProto(configuration.rotation ?? 0),
      pixelFormat: formatToProto(configuration.pixelFormat ?? 'rgba8'),
      scaleMode: scaleModeToProto(configuration.scaleMode ?? 'fit'),
    }, token, settings);
    const previous = this.importToken;
    this.importToken = registered.importToken;
    if (previous) {
      await callUnary(allocator, allocator.releaseBufferCollection, { sessionId: this.id, importToken: previous }, token, settings);
    }
  }

  /** The next frame this session has not seen (a hanging get); release it when done. */
  async nextFrame(settings?: CallSettings): Promise<CapturedFrame> {
    const { capture } = this.client;
    const info = await callUnary(capture, capture.getNextFrame, { sessionId: this.id }, this.client.token, settings);
    let released: Promise<void> | undefined;
    return {
      bufferIndex: info.bufferIndex,
      frameNumber: info.frameNumber,
      captureTimeMs: timestampToMs(info.captureTime),
      captureMonotonicNs: durationToNs(info.captureMonotonic),
      width: info.imageSize?.width ?? 0,
      height: info.imageSize?.height ?? 0,
      stride: info.stride,
      pixelFormat: formatFromProto(info.pixelFormat) ?? 'rgba8',
      pixels: info.pixels,
      damage: info.damage,
      displayWidth: info.displaySize?.width ?? 0,
      displayHeight: info.displaySize?.height ?? 0,
      releaseToken: info.releaseToken,
      release: () => (released ??= this.releaseFrame(info.releaseToken)),
    };
  }

  /** Gives a buffer back by its release token. */
  async releaseFrame(releaseToken: string, settings?: CallSettings): Promise<void> {
    const { capture } = this.client;
    await callUnary(capture, capture.releaseFrame, { sessionId: this.id, releaseToken }, this.client.token, settings);
  }

  /**
   * Frames as they come. Each frame is released when the next one is asked for (or when the
   * loop ends), so a loop body may use `frame.pixels` freely until it continues. Aborting the
   * signal ends the iteration without an error.
   */
  async *frames(settings: { signal?: AbortSignal } = {}): AsyncGenerator<CapturedFrame, void, undefined> {
    const { signal } = settings;
    let current: CapturedFrame | undefined;
    try {
      while (!signal?.aborted) {
        // Give the previous buffer back first: with one buffer, the next frame needs it.
        if (current) await current.release();
        current = undefined;
        try {
          current = await this.nextFrame({ signal });
        } catch (error) {
          if (signal?.aborted) return;
          throw error;
        }
        yield current;
      }
    } finally {
      if (current && !this.closed) await current.release().catch(() => undefined);
    }
  }

  /** Closes the session on the server, freeing its buffers. */
  async close(settings?: CallSettings): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { capture } = this.client;
    await callUnary(capture, capture.closeSession, { sessionId: this.id }, this.client.token, settings);
  }
}
