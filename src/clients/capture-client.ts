/**
 * The TypeScript client of the screencapture.v1 API: connect, open sessions, ask what the
 * display is. Frames are taken through a CaptureSession (see capture-session.ts).
 */
import { FieldError } from '../core/field-error';
import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';
import { AllocatorClient } from '../gen/screencapture/v1/allocator.pb';
import { type ScreenCaptureClient, ScreenCaptureService, SourceState } from '../gen/screencapture/v1/screen_capture.pb';
import type { SurfaceFormat } from '../core/pixel-format';
import { durationToNs, formatFromProto } from '../protocol/conversions';
import { decodeFrameInfo } from '../protocol/frame-info-wire';
import { isLoopback, parseListenAddress } from '../util/listen-address';
import { CaptureSession } from './capture-session';
import type { FrameChannel } from './frame-channel';
import { FrameStream } from './frame-stream';
import { LocalFrameStream } from './local-frame-stream';
import { callUnary, type CallSettings } from './unary-call';

export interface CaptureClientOptions {
  /** HOST:PORT of the server. Default 127.0.0.1:50051. */
  address?: string;
  /** Bearer token, when the server requires one. */
  token?: string;
  /** Use TLS; `ca` is the PEM of the authority that signed the server's certificate (default: the system's). */
  tls?: boolean | { ca?: Buffer; serverName?: string };
  /**
   * The largest reply this client accepts, in bytes (the channel's max receive message length).
   * Default: no limit (an 8192 x 8192 RGBA frame is 256 MiB). Sessions declare it on configure,
   * so that an INLINE size whose frames would not fit is refused there with the sizes and the
   * fix, instead of failing every frame.
   */
  maxReceiveMessageLength?: number;
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
  /** The displays (monitors) of the desktop; empty from a server from before displays. */
  displays: DisplayDescription[];
  /**
   * The byte order of the source's pictures; undefined before it has one (or from a server from
   * before the field). A client that takes either order, as a video encoder does, and configures
   * this one gets frames the server did not have to reorder.
   */
  pixelFormat: SurfaceFormat | undefined;
}

/** One display of the desktop: pass its id as SessionConfiguration.displayId. */
export interface DisplayDescription {
  id: number;
  name: string;
  width: number;
  height: number;
  /** Where it sits on the desktop. */
  x: number;
  y: number;
  primary: boolean;
}

/**
 * The generated client, but GetNextFrame's pixels are a view of the received message rather
 * than a copy of it (see src/protocol/frame-info-wire.ts).
 */
const FrameViewScreenCaptureClient = makeGenericClientConstructor(
  {
    ...ScreenCaptureService,
    getNextFrame: { ...ScreenCaptureService.getNextFrame, responseDeserialize: decodeFrameInfo },
    streamFrames: { ...ScreenCaptureService.streamFrames, responseDeserialize: decodeFrameInfo },
  },
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

/** HTTP/2 flow-control window of the channel: more than a 1080p RGBA frame (8.3 MB). */
const FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

/** What Configure's max_receive_message_length says for a channel without a limit. */
const NO_RECEIVE_LIMIT = 0xffff_ffff;

export class CaptureClient {
  /** @internal */ readonly capture: ScreenCaptureClient;
  /** @internal */ readonly allocator: AllocatorClient;
  /** @internal */ readonly token: string | undefined;
  readonly address: string;
  /** @internal The receive limit sessions declare on Configure (NO_RECEIVE_LIMIT for none). */
  readonly receiveLimit: number;
  private sharedMemoryUsable: boolean;
  private streamFramesUsable = true;
  private localFramesUsable = true;
  /** Open frame channels (StreamFrames streams, local frame sockets), closed by close(). */
  private readonly frameChannels = new Set<FrameChannel>();

  constructor(options: CaptureClientOptions = {}) {
    this.address = options.address ?? '127.0.0.1:50051';
    this.token = options.token;
    const { maxReceiveMessageLength } = options;
    if (
      maxReceiveMessageLength !== undefined &&
      !(Number.isInteger(maxReceiveMessageLength) && maxReceiveMessageLength >= 1 && maxReceiveMessageLength < NO_RECEIVE_LIMIT)
    ) {
      throw new FieldError(
        'maxReceiveMessageLength',
        `must be a whole number of bytes from 1 to ${NO_RECEIVE_LIMIT - 1} (or left out: no limit), got ${String(maxReceiveMessageLength)}`,
      );
    }
    this.receiveLimit = maxReceiveMessageLength ?? NO_RECEIVE_LIMIT;
    let channelCredentials: ChannelCredentials = credentials.createInsecure();
    // -1: frames of any size (grpc-js's own default is 4 MiB, less than a 1080p RGBA frame).
    const channelOptions: Partial<ClientOptions> = {
      'grpc.max_receive_message_length': maxReceiveMessageLength ?? -1,
      // HTTP/2's default window (64 KiB) makes the server stop and wait for this process's
      // WINDOW_UPDATE some 130 times per 1080p INLINE frame: across a network, one round trip
      // each (64 KiB per 10 ms is 6.5 MB/s); a window wider than a frame lets it send the frame
      // in one go (docs/PERFORMANCE.md).
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    };
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

  /** @internal Whether frames() should try StreamFrames: the server has not answered UNIMPLEMENTED. */
  get streamFramesWorthTrying(): boolean {
    return this.streamFramesUsable;
  }

  /** @internal The server does not know StreamFrames: frames() calls GetNextFrame from now on. */
  streamFramesRefused(): void {
    this.streamFramesUsable = false;
  }

  /**
   * @internal A channel for a session's frames; close() ends it. On the server's local frame
   * socket when `localSocket` (its path) is given, a StreamFrames stream on this client's
   * channel otherwise.
   */
  openFrameChannel(localSocket: string | undefined): FrameChannel {
    const onEnd = () => this.frameChannels.delete(channel);
    const channel = localSocket
      ? new LocalFrameStream(localSocket, this.token, this.receiveLimit === NO_RECEIVE_LIMIT ? Infinity : this.receiveLimit, onEnd)
      : new FrameStream(this.capture, this.token, onEnd);
    this.frameChannels.add(channel);
    return channel;
  }

  /** @internal Whether a session should try the local frame socket its server offers. */
  get localFramesWorthTrying(): boolean {
    return this.localFramesUsable;
  }

  /** @internal The server's local frame socket could not be reached: StreamFrames from now on. */
  localFramesRefused(): void {
    this.localFramesUsable = false;
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
      displays: info.displays.map(({ id, name, width, height, x, y, primary }) => ({ id, name, width, height, x, y, primary })),
      pixelFormat: formatFromProto(info.pixelFormat),
    };
  }

  /** Opens a session; close it when done (or it expires after the server's idle timeout). */
  async openSession(options: { clientName?: string } & CallSettings = {}): Promise<CaptureSession> {
    const response = await callUnary(this.capture, this.capture.openSession, { clientName: options.clientName ?? '' }, this.token, options);
    return new CaptureSession(
      this,
      response.sessionId,
      Number(durationToNs(response.idleTimeout) / 1_000_000n),
      response.localFrameSocket || undefined,
    );
  }

  close(): void {
    for (const channel of this.frameChannels) channel.close();
    this.capture.close();
    this.allocator.close();
  }
}
