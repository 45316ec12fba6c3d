/**
 * A client session: configure it, then take frames one at a time (nextFrame, release) or as an
 * async iterator that gives each frame back when the next is asked for.
 */
import { FieldError } from '../core/field-error';
import { type AllocatorClient, BufferTransport } from '../gen/screencapture/v1/allocator.pb';
import {
  type FrameInfo,
  type GetNextFrameRequest,
  InlineCompression,
  InlineEncoding,
  type Pointer,
  type ScreenCaptureClient,
} from '../gen/screencapture/v1/screen_capture.pb';
import {
  cursorModeToProto,
  degreesToProto,
  durationToNs,
  formatFromProto,
  formatToProto,
  scaleModeToProto,
  timestampToMs,
} from '../protocol/conversions';
import type { CursorMode, PointerShape } from '../core/pointer';
import type { Rotation, ScaleMode } from '../core/orientation';
import type { Rect } from '../core/rect';
import type { SurfaceFormat } from '../core/pixel-format';
import { CaptureClientError } from './capture-error';
import type { FrameChannel } from './frame-channel';
import { InlineCopies } from './inline-copies';
import { SharedMemoryBuffers } from './shared-memory-buffers';
import { callUnary, type CallSettings } from './unary-call';

/**
 * What a session uses of the CaptureClient that opened it: its stubs, its token, and what it
 * learned about shared memory. (Declared here so that the session does not import the client,
 * which imports the session.)
 */
export interface SessionChannel {
  readonly capture: ScreenCaptureClient;
  readonly allocator: AllocatorClient;
  readonly token: string | undefined;
  /** The largest reply this client's channel accepts, declared on Configure. */
  readonly receiveLimit: number;
  readonly sharedMemoryWorthTrying: boolean;
  sharedMemoryRefused(): void;
  readonly streamFramesWorthTrying: boolean;
  streamFramesRefused(): void;
  openFrameChannel(localSocket: string | undefined): FrameChannel;
  readonly localFramesWorthTrying: boolean;
  localFramesRefused(): void;
}

/**
 * How frames reach this client. 'shared-memory': the server writes them into buffers this
 * client owns (a file in /dev/shm) and the reply carries no pixels: for a server on this
 * machine, reached over loopback. 'inline': the pixels travel in the reply; works anywhere.
 * 'auto' (the default): shared memory when the server's address is a loopback one and the
 * server accepts it, inline otherwise.
 */
export type FrameTransport = 'auto' | 'inline' | 'shared-memory';

/**
 * How INLINE frames travel. 'full' (the default): every reply carries the whole image, and
 * each frame's pixels are a buffer of its own. 'damage-rects': replies carry only the
 * rectangles that changed since the frame this session last got in the same buffer,
 * compressed, and the session rebuilds the whole image in its own copy of that buffer: for a
 * server across a network. Frames look the same, but, as with shared memory, a frame's pixels
 * are the session's copy of the buffer, rewritten by a later frame once released.
 */
export type InlineFrameEncoding = 'full' | 'damage-rects';

const COMPRESSION_TO_PROTO = {
  brotli: InlineCompression.INLINE_COMPRESSION_BROTLI,
  deflate: InlineCompression.INLINE_COMPRESSION_DEFLATE,
  none: InlineCompression.INLINE_COMPRESSION_NONE,
} as const;

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
  /** Default 'auto'. */
  transport?: FrameTransport;
  /**
   * The mouse pointer: 'embedded' (default) draws it into the image, as the screen shows it;
   * 'metadata' leaves it out and describes it in each frame's `pointer`; 'hidden' leaves it out.
   */
  cursorMode?: CursorMode;
  /** INLINE frames only (ignored with shared memory); default 'full'. */
  inlineEncoding?: InlineFrameEncoding;
  /**
   * With inlineEncoding 'damage-rects': 'brotli' (the default: fewest bytes for the least CPU,
   * measured), 'deflate' or 'none'.
   */
  inlineCompression?: 'brotli' | 'deflate' | 'none';
  /**
   * The display (an id of DisplayInfo.displays) whose picture the frames show; default the
   * primary display; WHOLE_DESKTOP_DISPLAY_ID for the whole virtual desktop.
   */
  displayId?: number;
}

/** Where the pointer is and what it looks like, beside a frame of a 'metadata' session. */
export interface FramePointer {
  /** False while the source hides the pointer or has no shape for it. */
  readonly visible: boolean;
  /** The hot spot in image coordinates (after scaling and rotation); may lie outside the image. */
  readonly x: number;
  readonly y: number;
  /** The hot spot in display coordinates (displayWidth x displayHeight). */
  readonly displayX: number;
  readonly displayY: number;
  /**
   * The current shape at the display's scale and orientation (draw it scaled by image / display
   * size and rotated like the image, its hot spot at x, y); undefined while there is none. The
   * server sends its bytes only when it changes; the session keeps them between frames.
   */
  readonly shape: PointerShape | undefined;
  /** True when this frame brought a shape the session had not had under this configuration. */
  readonly shapeChanged: boolean;
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
  /**
   * height * stride bytes. Valid until the frame is released. With shared memory it is a view of
   * the buffer the server writes into, not a copy: after the release it shows later frames (or a
   * mix of two) without any error, and once the session is configured again or closed it is
   * empty (length 0). Copy it, e.g. Buffer.from(frame.pixels), to keep it.
   */
  readonly pixels: Buffer;
  /** What changed since this session's previous frame, in image coordinates. */
  readonly damage: readonly Rect[];
  readonly displayWidth: number;
  readonly displayHeight: number;
  /** The pointer, for a session configured with cursorMode 'metadata'; undefined otherwise. */
  readonly pointer?: FramePointer;
  /**
   * Image bytes the reply carried: the whole image with INLINE full frames, the (compressed)
   * rectangles with damage rects, 0 with shared memory.
   */
  readonly transferBytes?: number;
  readonly releaseToken: string;
  /** Gives the buffer back; calling it again does nothing. */
  release(): Promise<void>;
}

/** A frame handed out, and whether it has been given back (by release() or with the next call). */
interface HeldFrame {
  readonly frame: CapturedFrame;
  readonly handedBack: { released?: Promise<void> };
}

export class CaptureSession {
  private importToken: string | undefined;
  /** The current configuration's buffers, when it uses shared memory. */
  private sharedMemory: SharedMemoryBuffers | undefined;
  /** The current configuration's copies of its buffers, for INLINE damage rects. */
  private inlineCopies: InlineCopies | undefined;
  private closed = false;
  /**
   * The session's frame channel, once a second frame is asked for; reopened after it ends. On the
   * local frame socket while the configuration is SHARED_MEMORY and the server offers one, a
   * StreamFrames stream otherwise.
   */
  private stream: FrameChannel | undefined;
  /** Whether a frame was asked for before: a single one (a screenshot) is one call, a loop shares a stream. */
  private askedBefore = false;
  /** The last pointer shape the server sent under the current configuration. */
  private pointerShape: PointerShape | undefined;
  /** Whether the current configuration's frames carry the pointer beside them (cursorMode 'metadata'). */
  private pointerBeside = false;
  /**
   * The release tokens of the frames this session was given under the current configuration and
   * has not seen given back (a ReleaseFrame not yet answered counts as held): what
   * GetNextFrameRequest.held_frames lists.
   */
  private readonly heldTokens = new Set<string>();
  /** Frame requests made and not yet settled. */
  private requestsInFlight = 0;
  /** The number of the last request that carried held_frames: each is numbered above the one before. */
  private lastRequestNumber = 0;

  constructor(
    private readonly client: SessionChannel,
    /** The session's id: a secret, carried on every call. */
    readonly id: string,
    /** The server closes the session after this long without a call. */
    readonly idleTimeoutMs: number,
    /** The server's local frame socket, when it offers one to this client. */
    private readonly localFrameSocket?: string,
  ) {}

  /**
   * Registers a buffer collection and configures the session with it, replacing (and freeing)
   * any earlier configuration's collection. A failed configure leaves the earlier one in place.
   */
  async configure(configuration: SessionConfiguration, settings?: CallSettings): Promise<void> {
    const { capture, allocator, token } = this.client;
    const bufferCount = configuration.bufferCount ?? 2;
    const cursorMode = configuration.cursorMode ?? 'embedded';
    if (cursorMode !== 'embedded' && cursorMode !== 'metadata' && cursorMode !== 'hidden') {
      throw new FieldError('cursorMode', `must be 'embedded', 'metadata' or 'hidden', got ${JSON.stringify(cursorMode)}`);
    }
    const inlineEncoding = configuration.inlineEncoding ?? 'full';
    if (inlineEncoding !== 'full' && inlineEncoding !== 'damage-rects') {
      throw new FieldError('inlineEncoding', `must be 'full' or 'damage-rects', got ${JSON.stringify(inlineEncoding)}`);
    }
    const inlineCompression = configuration.inlineCompression ?? 'brotli';
    if (!Object.hasOwn(COMPRESSION_TO_PROTO, inlineCompression)) {
      throw new FieldError('inlineCompression', `must be 'brotli', 'deflate' or 'none', got ${JSON.stringify(inlineCompression)}`);
    }
    const { importToken, sharedMemory } = await this.registerCollection(configuration, bufferCount, settings);
    const rects = inlineEncoding === 'damage-rects' && !sharedMemory;
    try {
      await callUnary(
        capture,
        capture.configure,
        {
          sessionId: this.id,
          importToken,
          imageSize: { width: configuration.width, height: configuration.height },
          rotation: degreesToProto(configuration.rotation ?? 0),
          pixelFormat: formatToProto(configuration.pixelFormat ?? 'rgba8'),
          scaleMode: scaleModeToProto(configuration.scaleMode ?? 'fit'),
          cursorMode: cursorModeToProto(cursorMode),
          // So that frames too large for this client are refused here, with the fix, and not
          // by grpc-js on every GetNextFrame.
          maxReceiveMessageLength: this.client.receiveLimit,
          inlineEncoding: rects ? InlineEncoding.INLINE_ENCODING_DAMAGE_RECTS : undefined,
          inlineCompression: rects ? COMPRESSION_TO_PROTO[inlineCompression] : undefined,
          displayId: configuration.displayId,
        },
        token,
        settings,
      );
    } catch (error) {
      // The server keeps the earlier configuration; free the collection it will never use.
      sharedMemory?.close();
      await callUnary(allocator, allocator.releaseBufferCollection, { sessionId: this.id, importToken }, token).catch(() => undefined);
      throw error;
    }
    // A frame on its way to a request that was aborted is of the configuration just replaced,
    // and so are the frames held: the server freed their buffers.
    this.stream?.discardAbandoned();
    this.heldTokens.clear();
    const previous = { importToken: this.importToken, sharedMemory: this.sharedMemory };
    this.importToken = importToken;
    this.sharedMemory = sharedMemory;
    this.inlineCopies = rects ? new InlineCopies(bufferCount, configuration.width, configuration.height) : undefined;
    this.pointerShape = undefined;
    this.pointerBeside = cursorMode === 'metadata';
    previous.sharedMemory?.close();
    if (previous.importToken) {
      await callUnary(
        allocator,
        allocator.releaseBufferCollection,
        { sessionId: this.id, importToken: previous.importToken },
        token,
        settings,
      );
    }
  }

  /** Which transport this session's frames use now; undefined before configure. */
  get transport(): 'inline' | 'shared-memory' | undefined {
    if (!this.importToken) return undefined;
    return this.sharedMemory ? 'shared-memory' : 'inline';
  }

  private async registerCollection(
    configuration: SessionConfiguration,
    bufferCount: number,
    settings: CallSettings | undefined,
  ): Promise<{ importToken: string; sharedMemory?: SharedMemoryBuffers }> {
    const { allocator, token } = this.client;
    const transport = configuration.transport ?? 'auto';
    if (transport !== 'auto' && transport !== 'inline' && transport !== 'shared-memory') {
      throw new FieldError('transport', `must be 'auto', 'inline' or 'shared-memory', got ${JSON.stringify(transport)}`);
    }
    if (transport === 'shared-memory' || (transport === 'auto' && this.client.sharedMemoryWorthTrying)) {
      let sharedMemory: SharedMemoryBuffers;
      try {
        // Sized for this configuration: the server checks stride x height fits on Configure.
        sharedMemory = SharedMemoryBuffers.create(bufferCount, Math.max(1, configuration.width * 4 * configuration.height));
      } catch (error) {
        if (transport === 'shared-memory')
          throw new Error(`transport: cannot create the shared-memory buffers: ${(error as Error).message}`, { cause: error });
        return this.registerInline(bufferCount, settings);
      }
      try {
        const registered = await callUnary(
          allocator,
          allocator.registerBufferCollection,
          {
            sessionId: this.id,
            bufferCount,
            transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
            sharedMemory: { path: sharedMemory.path, bufferSize: String(sharedMemory.bufferSize) },
          },
          token,
          settings,
        );
        return { importToken: registered.importToken, sharedMemory };
      } catch (error) {
        sharedMemory.close();
        if (transport === 'shared-memory' || !refusesSharedMemory(error)) throw error;
        // A remote peer, another machine's /dev/shm, another user, an older server: INLINE
        // works for all of them, and this client need not ask again.
        this.client.sharedMemoryRefused();
      } finally {
        // The server has the file open now (or never will): its name is no longer needed.
        sharedMemory.unlink();
      }
    }
    return this.registerInline(bufferCount, settings);
  }

  private async registerInline(bufferCount: number, settings: CallSettings | undefined): Promise<{ importToken: string }> {
    const { allocator, token } = this.client;
    const registered = await callUnary(
      allocator,
      allocator.registerBufferCollection,
      {
        sessionId: this.id,
        bufferCount,
        transport: BufferTransport.BUFFER_TRANSPORT_INLINE,
        sharedMemory: undefined,
      },
      token,
      settings,
    );
    return { importToken: registered.importToken };
  }

  /**
   * The next frame this session has not seen (a hanging get); release it when done. Aborting
   * `signal` (or `timeoutMs` passing) rejects at once. A session's first request is a call of its
   * own, which the abort withdraws; later ones go on the session's frame channel, where an
   * aborted request stays at the server and the next request takes it over: a frame the server
   * had already sent is then that request's answer, so that neither its buffer nor what it shows
   * (a pointer that moved on a still screen) is lost.
   */
  async nextFrame(settings?: CallSettings): Promise<CapturedFrame> {
    return (await this.fetchFrame(settings, undefined, this.streamFor(false))).frame;
  }

  /**
   * The channel a frame request goes on: the session's frame channel, opened with a loop's first
   * request or the session's second (a one-off frame is one call, and leaves no channel open),
   * unless the server has no StreamFrames, or another request is waiting on it (that one is
   * refused as a second hanging get by a call, which leaves the first waiting, where on the
   * channel it would end both). A deadline (timeoutMs) is the channel's own (FrameChannel.next). A
   * SHARED_MEMORY configuration takes its frames on the server's local frame socket when it
   * offers one: a configuration of the other kind closes the channel of the other kind.
   */
  private streamFor(inLoop: boolean): FrameChannel | undefined {
    const oneOff = !this.askedBefore && !inLoop;
    this.askedBefore = true;
    // An aborted request left on the channel answers this one, whatever its kind: made another
    // way, it would be refused as a second hanging get.
    if (this.stream?.takesOverNextRequest) return this.stream;
    if (oneOff || this.closed || !this.client.streamFramesWorthTrying) return undefined;
    const local = this.sharedMemory !== undefined && this.localFrameSocket !== undefined && this.client.localFramesWorthTrying;
    if (this.stream && this.stream.local !== local && !this.stream.waiting) this.stream.close();
    if (!this.stream || this.stream.ended) this.stream = this.client.openFrameChannel(local ? this.localFrameSocket : undefined);
    return this.stream.waiting ? undefined : this.stream;
  }

  /**
   * The next frame, giving back `releaseToken` (a frame this session holds) in the same call,
   * which saves the server and this process a ReleaseFrame per frame. When the call fails the
   * buffer may or may not have been given back: it is released separately then, and a token
   * the server no longer knows is no error.
   */
  private async fetchFrame(
    settings: CallSettings | undefined,
    releaseToken: string | undefined,
    stream?: FrameChannel,
  ): Promise<HeldFrame> {
    // The buffers of the configuration this call is made under: a reply sent before a new
    // Configure reached the server is a frame of the old one.
    const sharedMemory = this.sharedMemory;
    const inlineCopies = this.inlineCopies;
    const takesOver = stream?.takesOverNextRequest === true;
    if (releaseToken && takesOver) {
      // This request is not sent (an aborted one's answer is taken instead): the frame it would
      // give back goes back by itself, now, as with one buffer that answer may need it.
      void this.releaseFrame(releaseToken).catch(() => undefined);
      releaseToken = undefined;
    }
    let info: FrameInfo;
    this.requestsInFlight++;
    try {
      const request: GetNextFrameRequest = {
        sessionId: this.id,
        releaseToken: releaseToken ?? '',
        // The shape this client has: a reply that brought a new one and never arrived (its call
        // abandoned after the server sent it) then cannot leave later frames naming a shape it lacks.
        heldPointerShapeId: this.pointerBeside ? String(this.pointerShape?.id ?? 0) : undefined,
        // The frames this client has, so that the server takes back one whose reply was lost (a
        // call aborted after the server answered). Only when no other request is in flight: its
        // answer would be a frame the list cannot name.
        heldFrames:
          takesOver || this.requestsInFlight > 1
            ? undefined
            : {
                releaseTokens: [...this.heldTokens].filter((token) => token !== releaseToken),
                requestNumber: ++this.lastRequestNumber,
              },
      };
      info = await this.requestFrame(request, settings, stream);
    } catch (error) {
      if (releaseToken && !this.closed) await this.releaseFrame(releaseToken).catch(() => undefined);
      throw error;
    } finally {
      this.requestsInFlight--;
    }
    // The server has given back the frame this request carried; it has given this one out.
    if (releaseToken) this.heldTokens.delete(releaseToken);
    this.heldTokens.add(info.releaseToken);
    const height = info.imageSize?.height ?? 0;
    let pixels = info.pixels;
    let transferBytes = info.pixels.length;
    if (info.rectUpdate) {
      if (!inlineCopies) throw new Error('GetNextFrame: a rect update for a session not configured for damage rects');
      pixels = await inlineCopies.apply(info.bufferIndex, info.rectUpdate);
      transferBytes = info.rectUpdate.data.length;
    } else if (sharedMemory && info.pixels.length === 0) {
      pixels = sharedMemory.view(info.bufferIndex, info.bufferOffset, info.stride * height);
    }
    const handedBack: { released?: Promise<void> } = {};
    const frame: CapturedFrame = {
      bufferIndex: info.bufferIndex,
      frameNumber: info.frameNumber,
      captureTimeMs: timestampToMs(info.captureTime),
      captureMonotonicNs: durationToNs(info.captureMonotonic),
      width: info.imageSize?.width ?? 0,
      height,
      stride: info.stride,
      pixelFormat: formatFromProto(info.pixelFormat) ?? 'rgba8',
      pixels,
      damage: info.damage,
      displayWidth: info.displaySize?.width ?? 0,
      displayHeight: info.displaySize?.height ?? 0,
      pointer: info.pointer && this.framePointer(info.pointer),
      transferBytes,
      releaseToken: info.releaseToken,
      release: () => (handedBack.released ??= this.releaseFrame(info.releaseToken)),
    };
    return { frame, handedBack };
  }

  /**
   * GetNextFrame's answer to `request`, on `channel` when there is one. A request that never
   * reached the server (its local frame socket cannot be connected, or it does not know
   * StreamFrames) is made the next way down: on a StreamFrames stream, then as a call; and so
   * are this client's later ones.
   */
  private async requestFrame(
    request: GetNextFrameRequest,
    settings: CallSettings | undefined,
    channel: FrameChannel | undefined,
  ): Promise<FrameInfo> {
    const { capture } = this.client;
    if (channel) {
      try {
        return await channel.next(request, settings);
      } catch (error) {
        if (!channel.notReached) throw error;
        if (channel.local) {
          this.client.localFramesRefused();
          return this.requestFrame(request, settings, this.streamFor(true));
        }
        this.client.streamFramesRefused();
      }
    }
    return callUnary(capture, capture.getNextFrame, request, this.client.token, settings);
  }

  /**
   * The release token of `held` if it has not been released yet, marking it released: the
   * caller gives it back with its next GetNextFrame.
   */
  private handBack(held: HeldFrame): string | undefined {
    if (held.handedBack.released) return undefined;
    held.handedBack.released = Promise.resolve();
    return held.frame.releaseToken;
  }

  /** A frame's pointer, its shape taken from this reply or kept from an earlier one. */
  private framePointer(pointer: Pointer): FramePointer {
    const sent = pointer.shape;
    if (sent)
      this.pointerShape = {
        id: sent.id,
        width: sent.width,
        height: sent.height,
        hotX: sent.hotX,
        hotY: sent.hotY,
        rgba: Buffer.from(sent.rgba),
      };
    const shape = pointer.shapeId !== undefined && this.pointerShape?.id === pointer.shapeId ? this.pointerShape : undefined;
    return {
      visible: pointer.visible,
      x: pointer.x,
      y: pointer.y,
      displayX: pointer.displayX,
      displayY: pointer.displayY,
      shape,
      shapeChanged: sent !== undefined,
    };
  }

  /** Gives a buffer back by its release token. */
  async releaseFrame(releaseToken: string, settings?: CallSettings): Promise<void> {
    const { capture } = this.client;
    try {
      await callUnary(capture, capture.releaseFrame, { sessionId: this.id, releaseToken }, this.client.token, settings);
    } finally {
      // Listed as held until the server has answered: a GetNextFrame that overtook this call
      // would otherwise have the server take the frame back as a lost reply (and count it unseen).
      this.heldTokens.delete(releaseToken);
    }
  }

  /**
   * Frames as they come. Each frame is released when the next one is asked for (or when the
   * loop ends), so a loop body may use `frame.pixels` freely until it continues. Aborting the
   * signal ends the iteration without an error.
   */
  async *frames(settings: { signal?: AbortSignal } = {}): AsyncGenerator<CapturedFrame, void, undefined> {
    const { signal } = settings;
    let current: HeldFrame | undefined;
    try {
      while (!signal?.aborted) {
        // The previous buffer goes back with the request for the next frame (the server gives it
        // back before it waits: with one buffer, the next frame needs it).
        const releaseToken = current && this.handBack(current);
        current = undefined;
        try {
          current = await this.fetchFrame({ signal }, releaseToken, this.streamFor(true));
        } catch (error) {
          if (signal?.aborted) return;
          throw error;
        }
        yield current.frame;
      }
    } finally {
      if (current && !this.closed) await current.frame.release().catch(() => undefined);
    }
  }

  /** Closes the session on the server, freeing its buffers. */
  async close(settings?: CallSettings): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream?.close();
    this.sharedMemory?.close();
    const { capture } = this.client;
    await callUnary(capture, capture.closeSession, { sessionId: this.id }, this.client.token, settings);
  }
}

/** Whether the server refused shared memory itself (as opposed to failing the call otherwise). */
function refusesSharedMemory(error: unknown): boolean {
  if (!(error instanceof CaptureClientError)) return false;
  if (error.errorName !== 'INVALID_ARGS' && error.errorName !== 'MISSING_ARGS') return false;
  return error.field === 'transport' || (error.field?.startsWith('shared_memory') ?? false);
}
