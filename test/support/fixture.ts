/**
 * A real server on 127.0.0.1 (free port) in this process, showing a still image, with a manual
 * vsync clock so that tests decide when frames are latched; and the raw generated gRPC clients,
 * so that the tests exercise the API exactly as any client would.
 */
import { credentials } from '@grpc/grpc-js';
import { AllocatorClient, BufferTransport } from '../../src/gen/screencapture/v1/allocator.pb';
import {
  CursorMode,
  PixelFormat,
  Rotation,
  ScaleMode,
  ScreenCaptureClient,
  type FrameInfo,
} from '../../src/gen/screencapture/v1/screen_capture.pb';
import { callUnary } from '../../src/clients/unary-call';
import { CaptureClientError, type ErrorName } from '../../src/clients';
import { CaptureServer, type ServerLimits } from '../../src/server';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { ImageSource, type StillImage } from '../../src/sources';
import { createLogger } from '../../src/util/logger';
import { solidImage } from './images';
import assert from 'node:assert/strict';

export const quietLogger = createLogger('test', { level: 'silent' });

type Method<Req, Res> = Parameters<typeof callUnary<Req, Res>>[1];

export class Fixture {
  readonly capture: ScreenCaptureClient;
  readonly allocator: AllocatorClient;

  private constructor(
    readonly server: CaptureServer,
    readonly clock: ManualVsyncClock,
    readonly source: ImageSource,
    /** The server's bearer token, which every call carries; undefined for none. */
    readonly token?: string,
  ) {
    const options = { 'grpc.max_receive_message_length': -1 };
    this.capture = new ScreenCaptureClient(server.address, credentials.createInsecure(), options);
    this.allocator = new AllocatorClient(server.address, credentials.createInsecure(), options);
  }

  /** `source` replaces the still image (`image` is then ignored). */
  static async start(
    options: {
      image?: StillImage;
      source?: ImageSource;
      limits?: Partial<ServerLimits>;
      sharedMemory?: boolean;
      localFrameSocket?: boolean;
      token?: string;
    } = {},
  ): Promise<Fixture> {
    const clock = new ManualVsyncClock();
    const source = options.source ?? ImageSource.fromPixels(options.image ?? solidImage(64, 48, [255, 0, 0]));
    const server = await CaptureServer.start({
      source,
      listen: '127.0.0.1:0',
      vsync: clock,
      limits: options.limits,
      sharedMemory: options.sharedMemory,
      localFrameSocket: options.localFrameSocket,
      token: options.token,
      logger: quietLogger,
    });
    return new Fixture(server, clock, source, options.token);
  }

  async stop(): Promise<void> {
    this.capture.close();
    this.allocator.close();
    await this.server.stop(500);
  }

  call<Req, Res>(
    client: ScreenCaptureClient | AllocatorClient,
    method: Method<Req, Res>,
    request: Req,
    signal?: AbortSignal,
  ): Promise<Res> {
    return callUnary(client, method, request, this.token, { signal });
  }

  /** Shows a new image and latches it: one new frame. */
  async newFrame(image: StillImage): Promise<void> {
    this.source.setImage(image);
    this.clock.tick();
    await settle();
  }

  async openSession(clientName = 'test'): Promise<string> {
    return (await this.call(this.capture, this.capture.openSession, { clientName })).sessionId;
  }

  async register(sessionId: string, bufferCount = 1): Promise<string> {
    const response = await this.call(this.allocator, this.allocator.registerBufferCollection, {
      sessionId,
      bufferCount,
      transport: BufferTransport.BUFFER_TRANSPORT_INLINE,
      sharedMemory: undefined,
    });
    return response.importToken;
  }

  async configure(
    sessionId: string,
    importToken: string,
    options: {
      width?: number;
      height?: number;
      rotation?: Rotation;
      format?: PixelFormat;
      scaleMode?: ScaleMode;
      cursorMode?: CursorMode;
      displayId?: number;
    } = {},
  ): Promise<void> {
    await this.call(this.capture, this.capture.configure, {
      sessionId,
      importToken,
      imageSize: { width: options.width ?? 64, height: options.height ?? 48 },
      rotation: options.rotation ?? Rotation.ROTATION_CW_0_DEGREES,
      pixelFormat: options.format ?? PixelFormat.PIXEL_FORMAT_RGBA8,
      scaleMode: options.scaleMode ?? ScaleMode.SCALE_MODE_UNSPECIFIED,
      cursorMode: options.cursorMode ?? CursorMode.CURSOR_MODE_UNSPECIFIED,
      displayId: options.displayId,
    });
  }

  /** A session with a collection of `bufferCount` buffers, configured at the display size. */
  async configuredSession(
    bufferCount = 1,
    options: Parameters<Fixture['configure']>[2] = {},
  ): Promise<{ sessionId: string; importToken: string }> {
    const sessionId = await this.openSession();
    const importToken = await this.register(sessionId, bufferCount);
    await this.configure(sessionId, importToken, options);
    return { sessionId, importToken };
  }

  /** `releaseToken`: a frame the call gives back before it waits (GetNextFrameRequest.release_token). */
  getNextFrame(sessionId: string, signal?: AbortSignal, releaseToken = ''): Promise<FrameInfo> {
    return this.call(this.capture, this.capture.getNextFrame, { sessionId, releaseToken, heldFrames: undefined }, signal);
  }

  /**
   * A session of one buffer that has taken its first frame and then had a GetNextFrame pending
   * cancelled by the client (as a deadline, an abort or a disconnect does).
   */
  async sessionWithCancelledCall(): Promise<string> {
    const { sessionId } = await this.configuredSession(1);
    const first = await this.getNextFrame(sessionId);
    await this.release(sessionId, first.releaseToken);
    const controller = new AbortController();
    const cancelled = this.getNextFrame(sessionId, controller.signal);
    await settle();
    controller.abort();
    await assert.rejects(cancelled, (e: unknown) => !(e instanceof CaptureClientError), 'the call ends as cancelled, not refused');
    return sessionId;
  }

  release(sessionId: string, releaseToken: string): Promise<unknown> {
    return this.call(this.capture, this.capture.releaseFrame, { sessionId, releaseToken });
  }
}

/** Lets pending I/O and renders run (several event-loop turns and a little time). */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** Asserts that `promise` rejects with the given Fuchsia error name (and field, when given). */
export async function rejectsWith(promise: Promise<unknown>, errorName: ErrorName, field?: string): Promise<CaptureClientError> {
  const error = await promise.then(
    () => assert.fail(`expected ${errorName}, but the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CaptureClientError, `expected a CaptureClientError, got ${String(error)}`);
  assert.equal(error.errorName, errorName, error.message);
  assert.ok(error.message.startsWith(`${errorName}:`), `message should start with the error name: ${error.message}`);
  if (field !== undefined) assert.equal(error.field, field, error.message);
  return error;
}
