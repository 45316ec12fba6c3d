/**
 * The TypeScript client of the screencapture.v1 API: connect, open sessions, ask what the
 * display is. Frames are taken through a CaptureSession (see capture-session.ts).
 */
import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';
import { AllocatorClient } from '../gen/screencapture/v1/allocator.pb';
import { ScreenCaptureClient, ScreenCaptureService, SourceState } from '../gen/screencapture/v1/screen_capture.pb';
import { durationToNs } from '../protocol/conversions';
import { decodeFrameInfo } from '../protocol/frame-info-wire';
import { isLoopback, parseListenAddress } from '../server/listen-address';
import { CaptureSession } from './capture-session';
import { callUnary, type CallSettings } from './unary-call';

export interface CaptureClientOptions {
  /** HOST:PORT of the server. Default 127.0.0.1:50051. */
  address?: string;
  /** Bearer token, when the server requires one. */
  token?: string;
  /** Use TLS; `ca` is the PEM of the authority that signed the server's certificate (default: the system's). */
  tls?: boolean | { ca?: Buffer; serverName?: string };
}

export interface DisplayInfo {
  width: number;
  height: number;
  latestFrameNumber: number;
  vsyncHz: number;
  source: string;
  /**
   * False while the server's source cannot see its display (a SPICE server gone or not reached
   * yet, or another client holding it): the latest frame is then its last picture, possibly
   * stale. True for servers that do not say.
   */
  sourceLive: boolean;
  /** Not live because another client took the display over (a SPICE viewer on the same VM). */
  sourceDisplaced: boolean;
  /** Why the source is down or displaced; '' when it is live. */
  sourceDetail: string;
}

/**
 * The generated client, but GetNextFrame's pixels are a view of the received message rather
 * than a copy of it (see src/protocol/frame-info-wire.ts).
 */
const FrameViewScreenCaptureClient = makeGenericClientConstructor(
  { ...ScreenCaptureService, getNextFrame: { ...ScreenCaptureService.getNextFrame, responseDeserialize: decodeFrameInfo } },
  'screencapture.v1.ScreenCapture',
) as unknown as typeof ScreenCaptureClient;

/** Whether `address` (HOST:PORT) names this machine over loopback. */
function isLoopbackAddress(address: string): boolean {
  try {
    return isLoopback(parseListenAddress(address).host);
  } catch {
    return false; // a name resolver URI or anything else: not known to be this machine
  }
}

/** Lets the client receive frames of any size (8192 x 8192 x 4 bytes is 256 MiB). */
const CHANNEL_OPTIONS: Partial<ClientOptions> = { 'grpc.max_receive_message_length': -1 };

export class CaptureClient {
  /** @internal */ readonly capture: ScreenCaptureClient;
  /** @internal */ readonly allocator: AllocatorClient;
  /** @internal */ readonly token: string | undefined;
  readonly address: string;
  private sharedMemoryUsable: boolean;

  constructor(options: CaptureClientOptions = {}) {
    this.address = options.address ?? '127.0.0.1:50051';
    this.token = options.token;
    let channelCredentials: ChannelCredentials = credentials.createInsecure();
    const channelOptions: Partial<ClientOptions> = { ...CHANNEL_OPTIONS };
    if (options.tls) {
      const tls = options.tls === true ? {} : options.tls;
      channelCredentials = credentials.createSsl(tls.ca ?? null);
      if (tls.serverName) channelOptions['grpc.ssl_target_name_override'] = tls.serverName;
    }
    this.sharedMemoryUsable = isLoopbackAddress(this.address);
    this.capture = new FrameViewScreenCaptureClient(this.address, channelCredentials, channelOptions);
    // The same options make grpc-js share one connection between the two service clients.
    this.allocator = new AllocatorClient(this.address, channelCredentials, channelOptions);
  }

  /** @internal Whether 'auto' should try shared memory: a loopback server that has not refused it. */
  get sharedMemoryWorthTrying(): boolean {
    return this.sharedMemoryUsable;
  }

  /** @internal The server refused shared memory: 'auto' uses INLINE from now on. */
  sharedMemoryRefused(): void {
    this.sharedMemoryUsable = false;
  }

  async displayInfo(settings?: CallSettings): Promise<DisplayInfo> {
    const info = await callUnary(this.capture, this.capture.getDisplayInfo, {}, this.token, settings);
    return {
      width: info.displaySize?.width ?? 0,
      height: info.displaySize?.height ?? 0,
      latestFrameNumber: info.latestFrameNumber,
      vsyncHz: info.vsyncHz,
      source: info.source,
      // UNSPECIFIED: a server from before the field, whose sources could not go down.
      sourceLive: info.sourceState === SourceState.SOURCE_STATE_LIVE || info.sourceState === SourceState.SOURCE_STATE_UNSPECIFIED,
      sourceDisplaced: info.sourceState === SourceState.SOURCE_STATE_DISPLACED,
      sourceDetail: info.sourceDetail,
    };
  }

  /** Opens a session; close it when done (or it expires after the server's idle timeout). */
  async openSession(options: { clientName?: string } & CallSettings = {}): Promise<CaptureSession> {
    const response = await callUnary(this.capture, this.capture.openSession, { clientName: options.clientName ?? '' }, this.token, options);
    return new CaptureSession(this, response.sessionId, Number(durationToNs(response.idleTimeout) / 1_000_000n));
  }

  close(): void {
    this.capture.close();
    this.allocator.close();
  }
}
