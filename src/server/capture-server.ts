/**
 * The gRPC server: the Allocator and ScreenCapture services over a frame scheduler and a display
 * source, plus the standard health service and server reflection (so that grpcurl or
 * `buf curl --reflect` work with no .proto at hand).
 */
import { FieldError } from '../core/field-error';
import { nativeAddonStatus } from '../codec/native-addon';
import { copyRects } from '../codec/rect-copy';
import { ReflectionService } from '@grpc/reflection';
import { Server, ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { AllocatorService } from '../gen/screencapture/v1/allocator.pb';
import { FrameRenderer } from '../render/frame-renderer';
import { FrameScheduler, type RectCopier } from '../scheduler/frame-scheduler';
import { TimerVsyncClock, type VsyncClock } from '../scheduler/vsync-clock';
import type { DisplaySource } from '../sources/display-source';
import { createLogger, type Logger } from '../util/logger';
import { allocatorService } from './allocator-service';
import { bearerTokenInterceptor } from './auth';
import { CaptureManager } from './capture-manager';
import { reflectionPackageDefinition } from './descriptors';
import { screenCaptureDefinition } from './inline-replies';
import { frameInfo } from './frame-info';
import { DEFAULT_LIMITS, type ServerLimits } from './limits';
import { LocalFrameSocketServer } from './local-frame-socket';
import { DEFAULT_LISTEN, formatAddress, isLoopback, parseListenAddress } from '../util/listen-address';
import { screenCaptureService } from './screen-capture-service';

export interface CaptureServerOptions {
  /** What to capture. */
  source: DisplaySource;
  /** HOST:PORT; default 127.0.0.1:50051; port 0 picks a free port. */
  listen?: string;
  /** Vsync rate in Hz (default 60), or a clock of the embedder's (tests use a manual one). */
  vsync?: number | VsyncClock;
  limits?: Partial<ServerLimits>;
  /** PEM certificate chain and key: serve TLS. */
  tls?: { cert: Buffer; key: Buffer };
  /** Allow a non-loopback address without TLS. */
  insecure?: boolean;
  /** Require `authorization: Bearer <token>` on every call. */
  token?: string;
  /**
   * Serve the SHARED_MEMORY transport to loopback clients (default true). False refuses it with
   * INVALID_ARGS, as a remote peer is refused, and clients fall back to INLINE.
   */
  sharedMemory?: boolean;
  /**
   * Serve StreamFrames on a Unix socket too, for clients on this machine (default true): the
   * local frame socket (local-frame-socket.ts), which the client library uses for SHARED_MEMORY
   * sessions. False serves frames over gRPC only.
   */
  localFrameSocket?: boolean;
  logger?: Logger;
}

/** The latch's damage-only copy, when the native addon is there to do it. */
function latchRectCopier(): RectCopier | undefined {
  if (!nativeAddonStatus().available) return undefined;
  return (src, srcStride, dst, dstStride, rects) => copyRects(src, srcStride, dst, dstStride, false, rects);
}

/**
 * The local frame socket, or undefined when it cannot be made (a temporary directory that cannot
 * be written): then frames go over gRPC only, which every client can do.
 */
async function listenLocalFrames(
  manager: CaptureManager,
  limits: ServerLimits,
  logger: Logger,
  token: string | undefined,
): Promise<LocalFrameSocketServer | undefined> {
  try {
    // Each session takes frames on one connection; twice that leaves room for reconnects.
    return await LocalFrameSocketServer.listen({
      manager,
      logger: logger.child('local'),
      frameInfo,
      token,
      maxConnections: 2 * limits.maxSessions,
    });
  } catch (error) {
    logger.warn('no local frame socket: frames go over gRPC only', { error: (error as Error).message });
    return undefined;
  }
}

const SERVICE_NAMES = ['screencapture.v1.ScreenCapture', 'screencapture.v1.Allocator'];

export class CaptureServer {
  private constructor(
    private readonly grpcServer: Server,
    private readonly health: HealthImplementation,
    private readonly localFrames: LocalFrameSocketServer | undefined,
    readonly scheduler: FrameScheduler,
    readonly manager: CaptureManager,
    /** The address actually bound, HOST:PORT. */
    readonly address: string,
    private readonly logger: Logger,
  ) {}

  static async start(options: CaptureServerOptions): Promise<CaptureServer> {
    const logger = options.logger ?? createLogger('server');
    const listen = parseListenAddress(options.listen ?? DEFAULT_LISTEN);
    if (!isLoopback(listen.host) && !options.tls && !options.insecure) {
      throw new FieldError(
        'listen',
        `${formatAddress(listen)} is not a loopback address; serving it needs TLS (--tls-cert and --tls-key) or an explicit --insecure`,
      );
    }
    if (options.token !== undefined && options.token.length < 16) {
      throw new FieldError('token', 'must be at least 16 characters');
    }
    const clock = typeof options.vsync === 'object' ? options.vsync : new TimerVsyncClock(options.vsync ?? 60);
    const limits = { ...DEFAULT_LIMITS, ...options.limits };

    const scheduler = new FrameScheduler(options.source, clock, { logger: logger.child('scheduler'), copyRects: latchRectCopier() });
    const manager = new CaptureManager(scheduler, new FrameRenderer(), limits, logger.child('session'));
    const localFrames = options.localFrameSocket === false ? undefined : await listenLocalFrames(manager, limits, logger, options.token);
    const interceptors: ServerInterceptor[] = options.token ? [bearerTokenInterceptor(options.token, logger.child('auth'))] : [];
    const grpcServer = new Server({ interceptors });
    grpcServer.addService(screenCaptureDefinition, screenCaptureService(manager, scheduler, logger, localFrames?.path));
    grpcServer.addService(AllocatorService, allocatorService(manager, logger, { sharedMemory: options.sharedMemory ?? true }));
    const health = new HealthImplementation(Object.fromEntries(['', ...SERVICE_NAMES].map((name) => [name, 'SERVING'])));
    health.addToServer(grpcServer);
    new ReflectionService(reflectionPackageDefinition()).addToServer(grpcServer);
    // A source that is down (a SPICE server gone) leaves the process up but the capture service
    // serving stale pictures: probes should send clients elsewhere meanwhile.
    scheduler.onSourceStatusChange((status) => health.setStatus('screencapture.v1.ScreenCapture', status.live ? 'SERVING' : 'NOT_SERVING'));

    try {
      await scheduler.start();
    } catch (error) {
      // A source that cannot start (an image that does not decode) leaves nothing open behind.
      await localFrames?.close();
      throw error;
    }
    manager.start();
    const credentials = options.tls
      ? ServerCredentials.createSsl(null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }])
      : ServerCredentials.createInsecure();
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) =>
        grpcServer.bindAsync(formatAddress(listen), credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
      );
    } catch (error) {
      manager.stop();
      await scheduler.stop();
      await localFrames?.close();
      throw new Error(`listen: cannot bind ${formatAddress(listen)}: ${(error as Error).message}`);
    }
    const address = formatAddress({ host: listen.host, port });
    logger.info('serving', {
      address,
      source: options.source.description,
      vsync_hz: clock.hz,
      tls: Boolean(options.tls),
      auth: options.token ? 'bearer' : 'none',
      local_frame_socket: localFrames?.path,
    });
    return new CaptureServer(grpcServer, health, localFrames, scheduler, manager, address, logger);
  }

  /** The local frame socket's path and its open connections; undefined when the server serves none. */
  get localFrameSocket(): { readonly path: string; readonly connections: number } | undefined {
    const local = this.localFrames;
    return local && { path: local.path, connections: local.connectionCount };
  }

  /** Stops serving: pending calls are answered, then the server shuts down (forcibly after graceMs). */
  async stop(graceMs = 2000): Promise<void> {
    for (const name of ['', ...SERVICE_NAMES]) this.health.setStatus(name, 'NOT_SERVING');
    this.manager.stop();
    await this.scheduler.stop();
    await this.localFrames?.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, graceMs);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.logger.info('stopped');
  }
}
