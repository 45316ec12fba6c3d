import { LIVE, type DisplaySink, type DisplaySource, type SourceStatus, type Surface } from '../sources/display-source';
import type { PointerState } from '../core/pointer';
import { type Display, wholeDesktop } from '../core/display';
import { clipToBounds, isEmpty, type Rect, unionDamage } from '../core/rect';
import type { Logger } from '../util/logger';
import { DisplayNumbering } from './display-numbering';
import type { DisplayFrame, Frame } from './frame';
import { PixelPool, type PixelBuffer } from './pixel-pool';
import { pointerArea, samePointerPicture } from './pointer-area';
import { now, type VsyncClock, type VsyncTick } from './vsync-clock';

export interface FrameSchedulerOptions {
  logger: Logger;
  /**
   * How many frames of damage history to keep for damageSince(). A client further behind than
   * this gets whole-image damage. Default 240 (4 s at 60 Hz).
   */
  damageHistory?: number;
  /**
   * Copies rects between two images of the surface's geometry, each to where it was (the
   * native addon's copyRects). With it a latch copies only what changed since the frame its
   * pooled buffer holds; without it, the whole surface every time.
   */
  copyRects?: RectCopier;
}

/** Copies `rects` of 4-byte pixels from `src` (rows srcStride apart) to the same places in `dst`. */
export type RectCopier = (src: Buffer, srcStride: number, dst: Buffer, dstStride: number, rects: readonly Rect[]) => void;

export type FrameListener = (frame: Frame) => void;

/** Which damage damageBetween() sums: the pixels' alone, or the pointer's areas as well. */
export type DamageKind = 'pixels' | 'pixels-and-pointer';

/** One frame's entry in the damage history. */
interface FrameDamage {
  readonly pixels: readonly Rect[];
  readonly pointer: readonly Rect[];
}

type SchedulerState = 'idle' | 'running' | 'stopped';

/**
 * Decides when there is a new frame. A display source reports damage; at each vsync with damage
 * since the last frame (and the source between two batches of updates) the scheduler latches the
 * source's surface into a new immutable Frame and tells its listeners. No damage, no frame: a
 * static screen costs nothing. A source may also ask for a frame at once (SPICE's MARK).
 *
 * The pointer a source reports (DisplaySink.pointer) is kept beside the surface, not drawn into
 * it: each frame carries the state at its latch, and a change of what the pointer shows (moved,
 * new shape, shown, hidden) is damage of its own (the old and new areas), latched at the next
 * vsync like any other, so a burst of moves makes one frame.
 */
export class FrameScheduler {
  private state: SchedulerState = 'idle';
  private latestFrame: Frame | undefined;
  private pendingDamage: Rect[] = [];
  /** The pointer as the source reports it now, and as the latest frame has it. */
  private pointerState: PointerState | undefined;
  private latchedPointer: PointerState | undefined;
  /** Whether the pointer shows differently from the latest frame's. */
  private pointerChanged = false;
  private immediateRequested = false;
  private immediateScheduled = false;
  private readonly listeners = new Set<FrameListener>();
  /**
   * Latch buffers. Four cover the latest frame, one still being delivered and one being
   * written; more are allocated when slow deliveries hold more.
   */
  private readonly pixelPool = new PixelPool(4);
  /** Damage of recent frames, oldest first; history[i] belongs to frame historyStart + i. */
  private history: FrameDamage[] = [];
  private historyStart = 1;
  private readonly historyLimit: number;
  private readonly copyRects: RectCopier | undefined;
  private readonly logger: Logger;
  private readonly displayNumbering = new DisplayNumbering();
  private currentSourceStatus: SourceStatus = LIVE;
  private readonly statusListeners = new Set<(status: SourceStatus) => void>();
  /** The source's draw callbacks (DisplaySink.onFrameBegin), called halfway between vsyncs. */
  private readonly frameBeginCallbacks = new Set<(framePeriodMs: number) => void>();

  constructor(
    private readonly source: DisplaySource,
    private readonly clock: VsyncClock,
    options: FrameSchedulerOptions,
  ) {
    this.logger = options.logger;
    this.historyLimit = options.damageHistory ?? 240;
    this.copyRects = options.copyRects;
  }

  get vsyncHz(): number {
    return this.clock.hz;
  }

  get sourceDescription(): string {
    return this.source.description;
  }

  /** Whether the source shows its display now (see SourceStatus). */
  get sourceStatus(): SourceStatus {
    return this.currentSourceStatus;
  }

  /** Calls listener whenever the source goes down or comes back; returns the unsubscribe. */
  onSourceStatusChange(listener: (status: SourceStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setSourceStatus(status: SourceStatus): void {
    const current = this.currentSourceStatus;
    if (
      this.state !== 'running' ||
      (status.live === current.live && status.detail === current.detail && Boolean(status.displaced) === Boolean(current.displaced))
    )
      return;
    this.currentSourceStatus = status;
    for (const listener of this.statusListeners) listener(status);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`FrameScheduler cannot start when ${this.state}`);
    this.state = 'running';
    const sink: DisplaySink = {
      damage: (rects) => this.onDamage(rects),
      requestFrame: () => this.onFrameRequest(),
      pointer: (state) => this.onPointer(state),
      status: (status) => this.setSourceStatus(status),
    };
    if (this.clock.midFrames) {
      sink.onFrameBegin = (draw) => {
        this.frameBeginCallbacks.add(draw);
        return () => this.frameBeginCallbacks.delete(draw);
      };
    }
    await this.source.start(sink);
    this.clock.start(
      (tick) => this.onVsync(tick),
      () => this.onMidFrame(),
    );
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.clock.stop();
    this.listeners.clear();
    this.frameBeginCallbacks.clear();
    await this.source.stop();
  }

  private onMidFrame(): void {
    if (this.state !== 'running') return;
    const framePeriodMs = 1000 / this.clock.hz;
    for (const draw of this.frameBeginCallbacks) {
      try {
        draw(framePeriodMs);
      } catch (error) {
        this.logger.error('source frame callback failed', { error: String(error) });
      }
    }
  }

  /** The most recent frame, or undefined before the first latch. */
  latest(): Frame | undefined {
    return this.latestFrame;
  }

  /** Size of the latest frame, else of the source's surface, else undefined. */
  displaySize(): { width: number; height: number } | undefined {
    const surface = this.latestFrame ?? this.source.surface();
    return surface ? { width: surface.width, height: surface.height } : undefined;
  }

  /**
   * The displays of the desktop now: the source's monitors, or one display covering the whole
   * desktop when it has none; empty while there is no picture at all.
   */
  displays(): readonly Display[] {
    const size = this.displaySize();
    return size ? this.displaysOf(size) : [];
  }

  private displaysOf(size: { width: number; height: number }): readonly Display[] {
    const reported = this.source.displays?.() ?? [];
    return reported.length > 0 ? reported : wholeDesktop(size.width, size.height);
  }

  /** Calls listener with every new frame; returns the function that unsubscribes. */
  onFrame(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The union of the damage of the frames after `afterFrame` up to and including `uptoFrame`;
   * undefined when the history no longer reaches back that far (the caller then treats the whole
   * image as damaged). `kind` 'pixels-and-pointer' adds the pointer's areas, for a client whose
   * image shows the pointer.
   */
  damageBetween(afterFrame: number, uptoFrame: number, kind: DamageKind = 'pixels'): Rect[] | undefined {
    const latest = this.latestFrame;
    if (!latest || afterFrame < this.historyStart - 1 || uptoFrame > latest.number || afterFrame > uptoFrame) return undefined;
    let damage: Rect[] = [];
    for (let n = afterFrame + 1; n <= uptoFrame; n++) {
      const entry = this.history[n - this.historyStart]!;
      damage = unionDamage(damage, entry.pixels);
      if (kind === 'pixels-and-pointer') damage = unionDamage(damage, entry.pointer);
    }
    return damage;
  }

  private onDamage(rects: readonly Rect[]): void {
    if (this.state !== 'running') return;
    this.pendingDamage = unionDamage(this.pendingDamage, rects);
  }

  /**
   * Only where the pointer was in the latest frame and where it is now count: the places it
   * passed through between two vsyncs were never in a frame.
   */
  private onPointer(state: PointerState | undefined): void {
    if (this.state !== 'running') return;
    this.pointerState = state;
    this.pointerChanged = !samePointerPicture(this.latchedPointer, state);
  }

  private onFrameRequest(): void {
    if (this.state !== 'running') return;
    this.immediateRequested = true;
    // Latch after the source's current call returns, so that the request may come from inside
    // the code that is still finishing its batch.
    if (!this.immediateScheduled) {
      this.immediateScheduled = true;
      setImmediate(() => {
        this.immediateScheduled = false;
        if (this.immediateRequested) this.tryLatch(now());
      });
    }
  }

  private onVsync(tick: VsyncTick): void {
    if (this.pendingDamage.length > 0 || this.pointerChanged || this.immediateRequested || this.displaysMoved()) this.tryLatch(tick);
  }

  /**
   * Whether the source's displays changed since the latest frame (a head switched on, moved or
   * resized) while its pixels did not: a frame then gives the display's clients its new region.
   */
  private displaysMoved(): boolean {
    const latest = this.latestFrame;
    return latest !== undefined && this.displayNumbering.newRegions(this.displaysOf(latest)).length > 0;
  }

  private tryLatch(tick: VsyncTick): void {
    if (this.state !== 'running' || !this.source.isLatchable()) return; // retried at the next vsync
    const surface = this.source.surface();
    if (!surface) return;
    const frame = this.latch(surface, tick);
    this.pendingDamage = [];
    this.latchedPointer = frame.pointer;
    this.pointerChanged = false;
    this.immediateRequested = false;
    // The scheduler's hold on the frame it replaces: renders and deliveries still under way keep
    // theirs, and the buffer is reused once they finish.
    this.releaseLatest?.();
    this.releaseLatest = frame.hold();
    frame.releaseLatchHold();
    this.latestFrame = frame;
    this.remember(frame);
    for (const listener of this.listeners) {
      try {
        listener(frame);
      } catch (error) {
        this.logger.error('frame listener failed', { error: String(error) });
      }
    }
  }

  private releaseLatest: (() => void) | undefined;

  private latch(surface: Surface, tick: VsyncTick): LatchedFrame {
    const previous = this.latestFrame;
    const resized = !previous || previous.width !== surface.width || previous.height !== surface.height;
    const whole = { x: 0, y: 0, width: surface.width, height: surface.height };
    const clip = (rects: readonly Rect[]) => rects.map((r) => clipToBounds(r, surface.width, surface.height)).filter((r) => !isEmpty(r));
    const pointerAreas = this.pointerChanged ? [pointerArea(this.latchedPointer), pointerArea(this.pointerState)] : [];
    const pointerDamage = resized ? [] : unionDamage([], clip(pointerAreas.filter((r): r is Rect => r !== undefined)));
    // A frame made for the pointer alone changed no pixel of the surface.
    const pointerOnly = this.pendingDamage.length === 0 && !this.immediateRequested && this.pointerChanged;
    const displays = this.displaysOf(surface);
    // A display that appeared or moved is a frame for its clients (a new region), though no pixel changed.
    const displaysOnly =
      this.pendingDamage.length === 0 && !this.immediateRequested && this.displayNumbering.newRegions(displays).length > 0;
    if (resized && previous) {
      this.logger.info('display size changed', {
        from: `${previous.width}x${previous.height}`,
        to: `${surface.width}x${surface.height}`,
      });
    }
    const number = (previous?.number ?? 0) + 1;
    const damage = resized ? [whole] : clip(this.pendingDamage);
    const frameDamage = damage.length > 0 || pointerOnly || displaysOnly ? damage : [whole];
    const numberedDisplays = this.displayNumbering.number(displays, [...frameDamage, ...pointerDamage], resized);
    const buffer = this.pixelPool.acquireNewest(surface.width * surface.height * 4);
    this.fill(buffer, surface, resized, frameDamage);
    buffer.content = number;
    return new LatchedFrame(number, numberedDisplays, tick, surface, buffer, frameDamage, this.pointerState, pointerDamage);
  }

  /**
   * Brings a latch buffer to the surface's picture. A buffer from the pool holds an earlier
   * frame (buffer.content), so only what changed since that frame is copied: the history's
   * damage after it and this frame's. A still clock on a 1080p desktop then costs a
   * few kilobytes a frame instead of 8 MB. The whole surface is copied when that frame is
   * unknown or older than the history, after a resize, and when the source now draws into
   * another pixel buffer than the one the buffer's frame came from (its damage describes changes
   * to one buffer, not between two).
   */
  private fill(buffer: PixelBuffer, surface: Surface, resized: boolean, damage: readonly Rect[]): void {
    const held = buffer.content;
    if (surface.pixels !== this.latchedSurfacePixels) {
      this.latchedSurfacePixels = surface.pixels;
      this.surfaceSince = (this.latestFrame?.number ?? 0) + 1;
    }
    const since =
      resized || held === 0 || held < this.surfaceSince || !this.copyRects ? undefined : this.damageBetween(held, this.latestFrame!.number);
    if (since === undefined || !this.copyRects) {
      packPixels(surface, buffer.data);
      return;
    }
    const changed = unionDamage(since, damage);
    this.copyRects(surface.pixels, surface.stride, buffer.data, surface.width * 4, changed);
  }

  /** The pixel buffer the latest latch read, and the first frame latched from it. */
  private latchedSurfacePixels: Buffer | undefined;
  private surfaceSince = 0;

  private remember(frame: Frame): void {
    this.history.push({ pixels: frame.damage, pointer: frame.pointerDamage });
    if (this.history.length > this.historyLimit) {
      this.history.shift();
      this.historyStart++;
    }
    if (this.history.length === 1) this.historyStart = frame.number;
  }
}

/**
 * A frame whose pixels come from the scheduler's pool. It counts its holds itself (rather than
 * only the buffer's) so that what hangs off it, its renders, goes back with it.
 */
class LatchedFrame implements Frame {
  readonly captureWallMs: number;
  readonly captureMonotonicNs: bigint;
  readonly width: number;
  readonly height: number;
  readonly format: Surface['format'];
  readonly pixels: Buffer;
  /** The latch's own hold, released once the scheduler has taken its own. */
  private holds = 1;
  private disposers: (() => void)[] = [];

  constructor(
    readonly number: number,
    readonly displays: readonly DisplayFrame[],
    tick: VsyncTick,
    surface: Surface,
    private readonly buffer: PixelBuffer,
    readonly damage: readonly Rect[],
    readonly pointer: PointerState | undefined,
    readonly pointerDamage: readonly Rect[],
  ) {
    this.captureWallMs = tick.wallMs;
    this.captureMonotonicNs = tick.monotonicNs;
    this.width = surface.width;
    this.height = surface.height;
    this.format = surface.format;
    this.pixels = buffer.data;
  }

  hold(): () => void {
    if (this.holds === 0) throw new Error(`frame ${this.number} was already given back; hold it before its last hold ends`);
    this.holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.drop();
    };
  }

  releaseLatchHold(): void {
    this.drop();
  }

  onDispose(dispose: () => void): void {
    if (this.holds === 0) dispose();
    else this.disposers.push(dispose);
  }

  private drop(): void {
    if (--this.holds > 0) return;
    const disposers = this.disposers;
    this.disposers = [];
    for (const dispose of disposers) dispose();
    this.buffer.release();
  }
}

/** A packed copy of the surface's pixels into `out`: frames must not change when the source draws on. */
function packPixels(surface: Surface, out: Buffer): void {
  const rowBytes = surface.width * 4;
  if (surface.stride === rowBytes) {
    surface.pixels.copy(out, 0, 0, out.length);
  } else {
    for (let y = 0; y < surface.height; y++) {
      surface.pixels.copy(out, y * rowBytes, y * surface.stride, y * surface.stride + rowBytes);
    }
  }
}
