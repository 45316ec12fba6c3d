import { CaptureClient, type CaptureSession, type FramePointer, type SessionConfiguration } from '../../../src/clients';
import { CaptureServer } from '../../../src/server';
import type { Rect } from '../../../src/core/rect';
import type { Surface } from '../../../src/sources/display-source';
import { SpiceDisplaySource, type SpiceDisplaySourceOptions } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { countDifferences, cropRgba, type Region } from './compare';
import { grabRoot } from './xwd';

const silent = createLogger('spice-test', { level: process.env.SCREENCAP_LOG === 'debug' ? 'debug' : 'silent' });

/**
 * What `screencap serve --source spice://...` runs, in this process: a SPICE source, the capture
 * server over it and a client of its gRPC API. Also watches every frame the scheduler latches,
 * so that a test can tell whether a client could ever have been given an all-black picture.
 */
export class SpiceCaptureStack {
  /** Numbers of the latched frames whose every pixel was black. */
  readonly blackFrames: number[] = [];
  /** Every latched frame: number, size and damage. */
  readonly frames: { number: number; width: number; height: number; damage: readonly Rect[] }[] = [];
  private black: Buffer | undefined;

  private constructor(
    readonly source: SpiceDisplaySource,
    readonly server: CaptureServer,
    readonly client: CaptureClient,
  ) {
    server.scheduler.onFrame((frame) => {
      this.frames.push({ number: frame.number, width: frame.width, height: frame.height, damage: frame.damage });
      // One native comparison against a black image of the same size; frames are opaque.
      if (this.black?.length !== frame.pixels.length) this.black = Buffer.alloc(frame.pixels.length, Buffer.from([0, 0, 0, 255]));
      if (frame.pixels.equals(this.black)) this.blackFrames.push(frame.number);
    });
  }

  static async start(options: Omit<SpiceDisplaySourceOptions, 'host'>): Promise<SpiceCaptureStack> {
    const source = new SpiceDisplaySource({ host: '127.0.0.1', logger: silent, ...options });
    const server = await CaptureServer.start({ source, listen: '127.0.0.1:0', logger: silent });
    return new SpiceCaptureStack(source, server, new CaptureClient({ address: server.address }));
  }

  /**
   * A session receiving bgra8 frames of the given size (the layout of a source surface), unless
   * `options` say otherwise (a cursor mode, a rotation, another format).
   */
  async openSession(name: string, width: number, height: number, options: Partial<SessionConfiguration> = {}): Promise<CaptureSession> {
    const session = await this.client.openSession({ clientName: name });
    await session.configure({ width, height, pixelFormat: 'bgra8', bufferCount: 2, ...options });
    return session;
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.server.stop();
  }
}

/** A frame's number, damage and pointer (METADATA sessions), beside its copied pixels. */
export interface ReceivedFrame {
  frameNumber: number;
  damage: readonly Rect[];
  pointer: FramePointer | undefined;
}

/** The next frame of `session` as a surface (pixels copied, frame released); undefined after `waitMs` without one. */
export async function nextFrameSurface(session: CaptureSession, waitMs: number): Promise<(Surface & ReceivedFrame) | undefined> {
  const signal = AbortSignal.timeout(waitMs);
  let frame;
  try {
    frame = await session.nextFrame({ signal });
  } catch (error) {
    if (signal.aborted) return undefined;
    throw error;
  }
  const surface = {
    width: frame.width,
    height: frame.height,
    stride: frame.stride,
    format: frame.pixelFormat,
    pixels: Buffer.from(frame.pixels),
    frameNumber: frame.frameNumber,
    damage: frame.damage,
    pointer: frame.pointer,
  };
  await frame.release();
  return surface;
}

/**
 * Frames through the API until one equals `xwd -root` of the display (X may still be drawing, and
 * the server may still be sending it), or `timeoutMs` passes. Returns the last frame compared and
 * its difference count: 0 when it matched. `latest`, a frame the caller already took, is compared
 * first (a still screen sends no new one). With `region` (a session of one monitor head), frames
 * are compared with that region of the root, and `root` is that region.
 */
export async function settleApiAgainstXwd(
  session: CaptureSession,
  env: NodeJS.ProcessEnv,
  timeoutMs = 20000,
  latest?: Surface & { frameNumber: number },
  region?: Region,
): Promise<{ frame: Surface & { frameNumber: number }; diff: number; root: Awaited<ReturnType<typeof grabRoot>> }> {
  const deadline = Date.now() + timeoutMs;
  let frame = latest ?? (await nextFrameSurface(session, timeoutMs));
  if (!frame) throw new Error(`no frame through the API within ${timeoutMs} ms`);
  for (;;) {
    const whole = await grabRoot(env);
    const root = region ? { width: region.width, height: region.height, rgba: cropRgba(whole.rgba, whole.width, region) } : whole;
    const diff = countDifferences(frame, root.rgba, root.width, root.height);
    if (diff === 0 || Date.now() > deadline) return { frame, diff, root };
    // A still screen sends no new frame: then compare the same frame with a newer xwd.
    frame = (await nextFrameSurface(session, 1000)) ?? frame;
  }
}
