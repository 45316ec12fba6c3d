/**
 * The screen-capture manager: every session's state and the hanging-get rules, independent of
 * gRPC. It mirrors Scenic's ScreenCaptureManager and screen_capture2, and mends their weak
 * spots: rotation is applied (by the renderer), a pending call is answered when the
 * configuration is replaced, old-configuration tokens are rejected, and capture timestamps are
 * the latch time of the content.
 */
import { rectsWithin, WHOLE_DESKTOP_DISPLAY_ID } from '../core/display';
import { clipToBounds, isEmpty, type Rect } from '../core/rect';
import type { PointerShape } from '../core/pointer';
import { FrameCropper } from '../render/frame-crop';
import type { FrameRenderer } from '../render/frame-renderer';
import { drawsPointer, mapDamage, mapPoint, type RenderTarget } from '../render/render-target';
import type { Frame } from '../scheduler/frame';
import type { DamageKind, FrameScheduler } from '../scheduler/frame-scheduler';
import type { Logger } from '../util/logger';
import { badOperation, CaptureError, invalid, missing } from './errors';
import { MAX_BUFFER_COUNT, type ServerLimits } from './limits';
import { checkReceiveLimit } from './receive-limit';
import { InlinePixels, type EncodedPixels } from './inline-pixels';
import { RectUpdates, type RectCompression, type RectUpdate } from './rect-updates';
import {
  CaptureSession,
  Configuration,
  type BufferCollection,
  type BufferTransport,
  type DeliveredPointer,
  type FrameDelivery,
  type InlineEncoding,
  type PendingGet,
} from './session';
import type { DeliveryObserver } from './delivery-observer';
import type { SharedMemoryFile } from './shared-memory';
import { IMPORT_TOKEN_BITS, randomToken, RELEASE_TOKEN_BITS, SESSION_ID_BITS } from './tokens';

/** What a GetNextFrame asks besides its session: GetNextFrameRequest's other fields. */
export interface NextFrameOptions {
  /** A buffer the call gives back first, as releaseFrame() would. */
  readonly releaseToken?: string;
  /** The pointer shape the client holds (a decimal id, '0' for none), for a METADATA frame's shape. */
  readonly heldPointerShapeId?: string;
  /**
   * The frames the client holds, by release token (any other sent for an earlier request never
   * reached it), and the request's number among the session's.
   */
  readonly heldFrames?: { readonly releaseTokens: readonly string[]; readonly requestNumber: number };
}

/** The longest release token a client may list as held: the server's are 22 characters. */
const MAX_HELD_TOKEN_LENGTH = 64;

/** A GetNextFrame in flight: the answer, and how to withdraw it when the caller goes away. */
export interface FrameRequest {
  readonly frame: Promise<FrameDelivery>;
  cancel(): void;
}

/**
 * The desktop region a display client's frames are cut from, the first frame cut from it (its
 * buffers' earlier content shows another region), and the display's own number for the frame
 * being cut; undefined for a whole-desktop client.
 */
type Cut = { readonly region: Rect; readonly since: number; readonly frameNumber: number } | undefined;

export class CaptureManager {
  private readonly sessions = new Map<string, CaptureSession>();
  private sessionsOpened = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly observers = new Set<DeliveryObserver>();
  private readonly rectUpdates: RectUpdates;
  private readonly inlinePixels: InlinePixels;
  private readonly cropper = new FrameCropper();

  constructor(
    private readonly scheduler: FrameScheduler,
    private readonly renderer: FrameRenderer,
    private readonly limits: ServerLimits,
    private readonly logger: Logger,
  ) {
    this.rectUpdates = new RectUpdates(renderer);
    this.inlinePixels = new InlinePixels(renderer);
  }

  start(): void {
    this.unsubscribe = this.scheduler.onFrame(() => this.onNewFrame());
    const sweepEveryMs = Math.max(10, Math.min(1000, this.limits.idleTimeoutMs / 4));
    this.sweeper = setInterval(() => this.closeIdleSessions(), sweepEveryMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.unsubscribe?.();
    for (const session of [...this.sessions.values()]) this.closeSession(session, 'server stopping');
  }

  /** Tells `observer` of every frame delivered from now on; returns the function that stops it. */
  observeDeliveries(observer: DeliveryObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get idleTimeoutMs(): number {
    return this.limits.idleTimeoutMs;
  }

  // --- sessions -------------------------------------------------------------------------------

  openSession(clientName: string, peer: string): CaptureSession {
    if (this.sessions.size >= this.limits.maxSessions) {
      throw new CaptureError('LIMIT_EXCEEDED', '', `the server holds its maximum of ${this.limits.maxSessions} sessions`);
    }
    const session = new CaptureSession(randomToken(SESSION_ID_BITS), ++this.sessionsOpened, clientName, peer);
    this.sessions.set(session.id, session);
    this.logger.info('session opened', { session: session.label, client: clientName || undefined, peer, sessions: this.sessions.size });
    return session;
  }

  /** The session for a request's session_id; MISSING_ARGS / INVALID_ARGS otherwise. */
  session(sessionId: string): CaptureSession {
    if (!sessionId) throw missing('session_id');
    const session = this.sessions.get(sessionId);
    if (!session) throw invalid('session_id', 'no such session (never opened, closed, or expired after idling)');
    return session;
  }

  /** Runs a synchronous call of the session `sessionId`; the session is not idle meanwhile. */
  withSession<T>(sessionId: string, body: (session: CaptureSession) => T): T {
    const session = this.session(sessionId);
    this.beginCall(session);
    try {
      return body(session);
    } finally {
      this.endCall(session);
    }
  }

  /** Brackets a call of the session: it is not idle while a call is in progress. */
  beginCall(session: CaptureSession): void {
    session.callsInProgress++;
    session.lastActivityMs = Date.now();
  }

  endCall(session: CaptureSession): void {
    session.callsInProgress--;
    session.lastActivityMs = Date.now();
  }

  closeSession(session: CaptureSession, reason: string): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    this.failPending(session, badOperation(`the session was closed (${reason})`, 'session_id'));
    session.configuration = undefined;
    for (const collection of session.collections.values()) collection.sharedMemory?.close();
    session.collections.clear();
    this.logger.info('session closed', {
      session: session.label,
      reason,
      frames: session.framesDelivered,
      seconds: ((Date.now() - session.openedAtMs) / 1000).toFixed(1),
      sessions: this.sessions.size,
    });
  }

  private closeIdleSessions(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    for (const session of [...this.sessions.values()]) {
      if (session.callsInProgress === 0 && session.lastActivityMs < cutoff) {
        this.closeSession(session, `idle for more than ${this.limits.idleTimeoutMs} ms`);
      }
    }
  }

  // --- buffer collections ---------------------------------------------------------------------

  /**
   * `openSharedMemory` opens the client's buffer file for a SHARED_MEMORY collection; it runs
   * after the limit and count checks, so that a refused registration opens nothing.
   */
  registerCollection(
    session: CaptureSession,
    bufferCount: number,
    transport: BufferTransport,
    openSharedMemory?: (bufferCount: number) => SharedMemoryFile,
  ): BufferCollection {
    if (session.collections.size >= this.limits.maxCollectionsPerSession) {
      throw new CaptureError('LIMIT_EXCEEDED', '', `a session may hold at most ${this.limits.maxCollectionsPerSession} buffer collections`);
    }
    if (bufferCount < 1 || bufferCount > MAX_BUFFER_COUNT) {
      throw invalid('buffer_count', `must be from 1 to ${MAX_BUFFER_COUNT}, got ${bufferCount}`);
    }
    const sharedMemory = openSharedMemory?.(bufferCount);
    const collection: BufferCollection = { importToken: randomToken(IMPORT_TOKEN_BITS), bufferCount, transport, sharedMemory };
    session.collections.set(collection.importToken, collection);
    return collection;
  }

  releaseCollection(session: CaptureSession, importToken: string): void {
    const collection = this.collectionOf(session, importToken);
    if (session.configuration?.collection === collection) {
      this.failPending(session, badOperation('the buffer collection of the configuration was released'));
      session.configuration = undefined;
    }
    session.collections.delete(importToken);
    collection.sharedMemory?.close();
  }

  private collectionOf(session: CaptureSession, importToken: string): BufferCollection {
    if (!importToken) throw missing('import_token');
    const collection = session.collections.get(importToken);
    // Another session's token gets the same answer as a forged one: nothing to learn from it.
    if (!collection) throw invalid('import_token', 'not a buffer collection registered by this session');
    return collection;
  }

  // --- configuration and frames ---------------------------------------------------------------

  /**
   * `receiveLimit`: the client's declared max receive message length, checked for INLINE.
   * `inlineEncoding`: how INLINE replies carry the image (damage rects refused with SHARED_MEMORY).
   * `displayId`: the display whose picture the client gets; WHOLE_DESKTOP_DISPLAY_ID for the
   * whole desktop; undefined for the primary display.
   */
  configure(
    session: CaptureSession,
    importToken: string,
    target: RenderTarget,
    receiveLimit?: number,
    inlineEncoding: InlineEncoding = { rects: false },
    displayId?: number,
  ): Configuration {
    const collection = this.collectionOf(session, importToken);
    const wholeDesktop = displayId === WHOLE_DESKTOP_DISPLAY_ID;
    if (displayId !== undefined && !wholeDesktop) this.checkDisplayId(displayId);
    if (collection.transport === 'inline') checkReceiveLimit(target, receiveLimit);
    if (inlineEncoding.rects && collection.transport !== 'inline') {
      throw invalid(
        'inline_encoding',
        'DAMAGE_RECTS applies to INLINE collections only; a SHARED_MEMORY buffer is already written only where the image changed',
      );
    }
    const needed = target.width * 4 * target.height;
    if (collection.sharedMemory && collection.sharedMemory.bufferSize < needed) {
      throw invalid(
        'image_size',
        `${target.width}x${target.height} needs stride x height = ${target.width * 4} x ${target.height} = ${needed} bytes per buffer; the collection's buffers (shared_memory.buffer_size) hold ${collection.sharedMemory.bufferSize}`,
      );
    }
    this.failPending(session, badOperation('the session was configured again while this call was pending'));
    session.configuration = new Configuration(collection, target, inlineEncoding, wholeDesktop ? undefined : (displayId ?? 'primary'));
    this.logger.debug('session configured', {
      session: session.label,
      target: `${target.width}x${target.height}`,
      rotation: target.rotation,
      format: target.format,
      buffers: collection.bufferCount,
      display: wholeDesktop ? 'desktop' : (displayId ?? 'primary'),
    });
    return session.configuration;
  }

  private checkDisplayId(displayId: number): void {
    const ids = this.scheduler.displays().map((display) => display.id);
    if (ids.includes(displayId)) return;
    throw invalid(
      'display_id',
      ids.length === 0
        ? `no display ${displayId}: the source has no picture yet, so no displays`
        : `no display ${displayId}; the displays are ${ids.join(', ')} (GetDisplayInfo lists them), and ${WHOLE_DESKTOP_DISPLAY_ID} is the whole desktop`,
    );
  }

  /**
   * `releaseToken`: a buffer the call gives back first, as releaseFrame() would; a token the
   * session does not hold fails the call before it is made pending. `heldPointerShapeId`: the
   * pointer shape the client says it holds (GetNextFrameRequest.held_pointer_shape_id, a
   * decimal), which the frame's pointer is compared with instead of the shape last sent.
   * `heldFrames` (GetNextFrameRequest.held_frames): the frames the client holds, and the
   * request's number. A pending call is withdrawn for it (its client gave it up), and every
   * frame sent for an earlier request and not listed is withdrawn too, as a reply that never
   * reached the client (see withdrawLostReplies). A refused call changes nothing.
   */
  getNextFrame(session: CaptureSession, options: NextFrameOptions = {}): FrameRequest {
    const { releaseToken, heldPointerShapeId, heldFrames } = options;
    const configuration = session.configuration;
    if (!configuration) throw badOperation('GetNextFrame before Configure: configure the session first');
    if (heldFrames) checkHeldFrames(heldFrames, session.lastRequestNumber);
    if (session.pending && !heldFrames) {
      throw new CaptureError('BAD_HANGING_GET', '', 'a GetNextFrame of this session is already pending; wait for its answer');
    }
    // Checked before anything changes (the release below cannot fail then).
    if (releaseToken) this.heldBufferOf(configuration, releaseToken);
    if (heldFrames) {
      session.lastRequestNumber = heldFrames.requestNumber;
      // The client sends held_frames only when it waits for no other answer: one still pending
      // was given up (an aborted call whose cancel has not arrived yet).
      this.failPending(session, badOperation(`the client made a later request (held_frames.request_number ${heldFrames.requestNumber})`));
    }
    if (releaseToken) this.releaseFrame(session, releaseToken);
    if (heldFrames) this.withdrawLostReplies(session, configuration, new Set(heldFrames.releaseTokens));
    let pending!: PendingGet;
    const frame = new Promise<FrameDelivery>((resolve, reject) => {
      pending = { configuration, rendering: false, heldPointerShapeId, resolve, reject };
    });
    session.pending = pending;
    this.tryDeliver(session);
    return {
      frame,
      cancel: () => {
        if (session.pending !== pending) return;
        session.pending = undefined;
        // Settles the caller's wait, so that it ends its call (and the session may idle out).
        pending.reject(new CaptureError('BAD_OPERATION', '', 'the call was withdrawn (cancelled, or its stream ended)'));
      },
    };
  }

  releaseFrame(session: CaptureSession, releaseToken: string): void {
    if (!releaseToken) throw missing('release_token');
    const { configuration, index } = this.heldBufferOf(session.configuration, releaseToken);
    configuration.heldBuffers.delete(releaseToken);
    this.returnBuffer(configuration, index);
    // Scenic answers a call that waited on a full set of buffers at once on release; we do when
    // there is a frame the client has not seen, and otherwise keep it for the next frame.
    this.tryDeliver(session);
  }

  /** The buffer `releaseToken` holds under `configuration`; refused when it holds none. */
  private heldBufferOf(configuration: Configuration | undefined, releaseToken: string): { configuration: Configuration; index: number } {
    const index = configuration?.heldBuffers.get(releaseToken)?.index;
    if (configuration === undefined || index === undefined) {
      throw invalid(
        'release_token',
        'not a buffer this session holds under its current configuration (unknown, already released, or from an earlier Configure)',
      );
    }
    return { configuration, index };
  }

  /**
   * Withdraws every frame the session holds that is not in `held` (nor given back by the call):
   * the client never received it, its reply lost on the way (a call aborted or past its deadline
   * after the server answered, a connection cut). All were sent for earlier requests: a request
   * numbered below one already received is refused. Newest first, so that the session's count
   * goes back to the last frame the client has.
   */
  private withdrawLostReplies(session: CaptureSession, configuration: Configuration, held: ReadonlySet<string>): void {
    const lost = [...configuration.heldBuffers].filter(([token]) => !held.has(token)).reverse();
    for (const [, { index, withdraw }] of lost) {
      this.logger.debug('a frame sent to the session never reached it: its buffer is given back', {
        session: session.label,
        buffer: index,
      });
      withdraw();
    }
  }

  private failPending(session: CaptureSession, error: CaptureError): void {
    const pending = session.pending;
    if (!pending) return;
    session.pending = undefined;
    pending.reject(error);
  }

  private onNewFrame(): void {
    for (const session of this.sessions.values()) this.tryDeliver(session);
  }

  /**
   * Answers the session's pending call if there is a frame it has not received and a buffer to
   * put it in; otherwise the call keeps waiting. The frame is rendered for this client, and a
   * slow render delays only this client.
   */
  private tryDeliver(session: CaptureSession): void {
    const pending = session.pending;
    const configuration = session.configuration;
    if (!pending || pending.rendering || !configuration) return;
    const latest = this.scheduler.latest();
    if (!latest || latest.number <= configuration.lastDeliveredFrame) return;
    const cut = this.cutOf(configuration, latest);
    // The display is gone (a head switched off): the call waits for it to come back.
    if (cut === null) return;
    // Changes elsewhere on the desktop leave a display client's image as it was, and so does not
    // its display's number: the call waits for a frame of its display.
    if (cut && cut.frameNumber <= configuration.lastDeliveredDisplayFrame) return;
    if (configuration.target.cursor === 'hidden' && configuration.lastDeliveredFrame > 0) {
      // Frames made only because the pointer changed leave a HIDDEN client's image as it was:
      // the call waits for a frame that changed what it shows.
      const changed = this.changedSince(cut, configuration.lastDeliveredFrame, latest.number, 'pixels');
      if (changed !== undefined && changed.length === 0) return;
    }
    const frame = cut ? this.cropper.crop(latest, cut.region) : latest;
    const bufferIndex = configuration.freeBuffers.shift();
    if (bufferIndex === undefined) return;
    pending.rendering = true;
    // The render, the write into shared memory and the INLINE reply read the frame's pixels:
    // hold it until the last of them is done.
    const release = frame.hold();
    const sharedMemory = configuration.collection.sharedMemory;
    const renderStartNs = process.hrtime.bigint();
    let renderNs = 0n;
    const encoding = configuration.inlineEncoding;
    const rendered: Promise<{ pixels?: EncodedPixels; rectUpdate?: RectUpdate }> = sharedMemory
      ? this.writeSharedMemory(configuration, sharedMemory, bufferIndex, frame, cut).then(() => ({}))
      : encoding.rects
        ? this.rectUpdate(configuration, bufferIndex, frame, encoding.compression, cut).then((rectUpdate) => ({ rectUpdate }))
        : this.inlinePixels.encode(frame, configuration.target).then((pixels) => ({ pixels }));
    rendered
      .then((made) => {
        renderNs = process.hrtime.bigint() - renderStartNs;
        return made;
      })
      .then(
        ({ pixels, rectUpdate }) => {
          if (session.pending !== pending || session.configuration !== configuration) {
            // The call went away (cancelled, reconfigured, session closed) while rendering.
            release();
            if (session.configuration === configuration) this.returnBuffer(configuration, bufferIndex);
            return;
          }
          session.pending = undefined;
          if (sharedMemory) release();
          const [number, before] = cut
            ? [cut.frameNumber, configuration.lastDeliveredDisplayFrame]
            : [frame.number, configuration.lastDeliveredFrame];
          const skipped = before === 0 ? 0 : number - before - 1;
          const delivery = this.deliver(session, pending, frame, bufferIndex, { pixels, rectUpdate }, release, cut);
          pending.resolve(delivery);
          if (this.observers.size > 0) {
            const record = {
              transport: sharedMemory ? 'shared_memory' : 'inline',
              framesSkipped: skipped,
              latchToDeliveryNs: process.hrtime.bigint() - frame.captureMonotonicNs,
              renderNs,
            } as const;
            for (const observer of this.observers) observer.delivered(record);
          }
        },
        (error: unknown) => {
          release();
          this.logger.error('rendering a frame failed', { session: session.label, frame: frame.number, error: String(error) });
          if (session.configuration === configuration) this.returnBuffer(configuration, bufferIndex);
          if (session.pending === pending) {
            session.pending = undefined;
            pending.reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      );
  }

  /**
   * Where a display client's frames come from now: its display's region of `latest`, null while
   * the display is gone; undefined for a whole-desktop client. A region that moved or changed
   * size starts a new cut.
   */
  private cutOf(configuration: Configuration, latest: Frame): Cut | null {
    if (configuration.displayId === undefined) return undefined;
    if (configuration.displayId === 'primary') {
      // Bound once, so that the client's frame numbers are one display's throughout.
      const primary = latest.displays.find((candidate) => candidate.primary);
      if (!primary) return undefined;
      configuration.displayId = primary.id;
    }
    const display = latest.displays.find((candidate) => candidate.id === configuration.displayId);
    if (!display) return null;
    const region = clipToBounds(display, latest.width, latest.height);
    if (isEmpty(region)) return null;
    const previous = configuration.region;
    if (
      previous === undefined ||
      previous.x !== region.x ||
      previous.y !== region.y ||
      previous.width !== region.width ||
      previous.height !== region.height
    ) {
      configuration.region = region;
      configuration.regionSince = latest.number;
    }
    return { region: configuration.region!, since: configuration.regionSince, frameNumber: display.frameNumber };
  }

  /**
   * The scheduler's damage between two frames as the client sees it: in its display's
   * coordinates for a display client (undefined, all of it, when the earlier frame showed
   * another region).
   */
  private changedSince(cut: Cut, afterFrame: number, uptoFrame: number, kind: DamageKind): Rect[] | undefined {
    if (cut && afterFrame < cut.since) return undefined;
    const changed = this.scheduler.damageBetween(afterFrame, uptoFrame, kind);
    return cut && changed ? rectsWithin(changed, cut.region) : changed;
  }

  /**
   * Renders `frame` straight into the client's mapped buffer, rewriting only what changed since
   * the frame the buffer holds (the scheduler's damage history), or all of it when that is
   * unknown or the history no longer reaches back to it.
   */
  private writeSharedMemory(
    configuration: Configuration,
    sharedMemory: SharedMemoryFile,
    bufferIndex: number,
    frame: Frame,
    cut: Cut,
  ): Promise<void> {
    // The frame is read once the buffer's earlier write (if any) ends: hold it until then.
    const release = frame.hold();
    return sharedMemory
      .inTurn(bufferIndex, async () => {
        // Released while waiting its turn: nobody will look at this buffer again.
        if (sharedMemory.closed) return;
        const { target } = configuration;
        const held = configuration.bufferFrames[bufferIndex]!;
        const changed = held === 0 ? undefined : this.changedSince(cut, held, frame.number, damageKind(target));
        const into = sharedMemory.buffer(bufferIndex).subarray(0, target.width * target.height * 4);
        // Unknown until the write completes: one cut short leaves a mix of two frames.
        configuration.bufferFrames[bufferIndex] = 0;
        await this.renderer.renderInto(frame, target, into, changed);
        configuration.bufferFrames[bufferIndex] = frame.number;
      })
      .finally(release);
  }

  /**
   * INLINE damage rects: the update from the frame the client's copy of the buffer holds (the
   * last one delivered in it) to `frame`.
   */
  private rectUpdate(
    configuration: Configuration,
    bufferIndex: number,
    frame: Frame,
    compression: RectCompression,
    cut: Cut,
  ): Promise<RectUpdate> {
    const { target } = configuration;
    const held = configuration.bufferFrames[bufferIndex]!;
    const changed = held === 0 ? undefined : this.changedSince(cut, held, frame.number, damageKind(target));
    return this.rectUpdates.update(frame, target, held, changed, compression);
  }

  /** Puts a buffer back on the free list, lowest index first (the order clients are given them). */
  private returnBuffer(configuration: Configuration, index: number): void {
    const free = configuration.freeBuffers;
    const at = free.findIndex((other) => other > index);
    if (at < 0) free.push(index);
    else free.splice(at, 0, index);
  }

  private deliver(
    session: CaptureSession,
    answered: PendingGet,
    frame: Frame,
    bufferIndex: number,
    image: { pixels?: EncodedPixels; rectUpdate?: RectUpdate },
    sent: () => void,
    cut: Cut,
  ): FrameDelivery {
    const { configuration, heldPointerShapeId } = answered;
    const releaseToken = randomToken(RELEASE_TOKEN_BITS);
    const before: DeliveryRecords = {
      frame: configuration.lastDeliveredFrame,
      displayFrame: configuration.lastDeliveredDisplayFrame,
      bufferFrame: configuration.bufferFrames[bufferIndex]!,
      pointerShape: configuration.sentPointerShape,
    };
    // What the client's copy of this buffer holds once it has the reply (SHARED_MEMORY buffers
    // record it as they are written).
    if (image.rectUpdate) configuration.bufferFrames[bufferIndex] = frame.number;
    const target = configuration.target;
    const wholeImage = [{ x: 0, y: 0, width: target.width, height: target.height }];
    const sinceLast =
      configuration.lastDeliveredFrame === 0
        ? undefined
        : this.changedSince(cut, configuration.lastDeliveredFrame, frame.number, damageKind(target));
    const damage = sinceLast?.map((rect) => mapDamage(rect, frame.width, frame.height, target)) ?? wholeImage;
    configuration.lastDeliveredFrame = frame.number;
    if (cut) configuration.lastDeliveredDisplayFrame = cut.frameNumber;
    session.framesDelivered++;
    const withdraw = () => {
      sent();
      this.withdraw(session, configuration, releaseToken, frame.number, before, image.rectUpdate !== undefined);
    };
    configuration.heldBuffers.set(releaseToken, { index: bufferIndex, withdraw });
    return {
      bufferIndex,
      // A display client counts its display's frames (Frame.displays).
      frameNumber: cut ? cut.frameNumber : frame.number,
      captureWallMs: frame.captureWallMs,
      captureMonotonicNs: frame.captureMonotonicNs,
      releaseToken,
      damage,
      target,
      pixels: image.pixels,
      rectUpdate: image.rectUpdate,
      bufferOffset: configuration.collection.sharedMemory ? bufferIndex * configuration.collection.sharedMemory.bufferSize : 0,
      displayWidth: frame.width,
      displayHeight: frame.height,
      pointer: target.cursor === 'metadata' ? pointerBeside(frame, configuration, heldPointerShapeId) : undefined,
      sent,
      frame,
      withdraw,
    };
  }

  /** See FrameDelivery.withdraw. */
  private withdraw(
    session: CaptureSession,
    configuration: Configuration,
    releaseToken: string,
    frameNumber: number,
    before: DeliveryRecords,
    rectUpdate: boolean,
  ): void {
    const index = configuration.heldBuffers.get(releaseToken)?.index;
    if (session.configuration !== configuration || index === undefined) return;
    configuration.heldBuffers.delete(releaseToken);
    // The client's copy of an INLINE buffer still holds what it held; a SHARED_MEMORY buffer
    // does hold the frame (the server wrote it there), and keeps that record.
    if (rectUpdate) configuration.bufferFrames[index] = before.bufferFrame;
    if (configuration.lastDeliveredFrame === frameNumber) {
      configuration.lastDeliveredFrame = before.frame;
      configuration.lastDeliveredDisplayFrame = before.displayFrame;
      // A shape this reply carried never reached the client: the next frame brings it again.
      configuration.sentPointerShape = before.pointerShape;
    }
    session.framesDelivered--;
    this.returnBuffer(configuration, index);
    this.tryDeliver(session);
  }
}

/** What a delivery changed of its configuration's records, to put back if it is withdrawn. */
interface DeliveryRecords {
  frame: number;
  displayFrame: number;
  bufferFrame: number;
  pointerShape: PointerShape | undefined | null;
}

/**
 * Refuses a GetNextFrameRequest.held_frames whose tokens are too many or too long, or whose
 * request is not numbered above the session's last.
 */
function checkHeldFrames(
  heldFrames: { readonly releaseTokens: readonly string[]; readonly requestNumber: number },
  lastRequestNumber: number,
): void {
  const { releaseTokens, requestNumber } = heldFrames;
  if (requestNumber <= lastRequestNumber) {
    throw invalid(
      'held_frames.request_number',
      `${requestNumber} is not above ${lastRequestNumber}, this session's last: a later request reached the server first, so its client gave this one up`,
    );
  }
  const field = 'held_frames.release_tokens';
  if (releaseTokens.length > MAX_BUFFER_COUNT) {
    throw invalid(field, `lists ${releaseTokens.length} frames; a session holds at most ${MAX_BUFFER_COUNT} (its buffers)`);
  }
  const tooLong = releaseTokens.findIndex((token) => token.length > MAX_HELD_TOKEN_LENGTH);
  if (tooLong >= 0) {
    throw invalid(
      field,
      `token ${tooLong} is ${releaseTokens[tooLong]!.length} characters long; release tokens are at most ${MAX_HELD_TOKEN_LENGTH}`,
    );
  }
}

/** What changes a target's image: the pixels, and the pointer's areas when it is drawn in. */
function damageKind(target: RenderTarget): DamageKind {
  return drawsPointer(target) ? 'pixels-and-pointer' : 'pixels';
}

/**
 * The frame's pointer for a METADATA client, its position mapped into the client's image; the
 * shape's bytes only when the client lacks this shape: it said it holds another
 * (`heldPointerShapeId`), or it said nothing and the configuration has not been sent this shape yet.
 */
function pointerBeside(frame: Frame, configuration: Configuration, heldPointerShapeId: string | undefined): DeliveredPointer {
  const pointer = frame.pointer;
  const shape = pointer?.shape;
  const sentBefore = configuration.sentPointerShape;
  const changed =
    heldPointerShapeId !== undefined
      ? shape !== undefined && String(shape.id) !== heldPointerShapeId
      : sentBefore === null || sentBefore?.id !== shape?.id || (sentBefore === undefined) !== (shape === undefined);
  configuration.sentPointerShape = shape;
  const at = pointer ? mapPoint(pointer.x, pointer.y, frame.width, frame.height, configuration.target) : { x: 0, y: 0 };
  return {
    visible: pointer?.visible === true && shape !== undefined,
    x: at.x,
    y: at.y,
    displayX: pointer?.x ?? 0,
    displayY: pointer?.y ?? 0,
    shapeId: shape?.id,
    shape: changed ? shape : undefined,
  };
}
