import { FieldError } from '../../core/field-error';
import { EventEmitter } from 'node:events';
import { LIVE, type Display, type DisplaySink, type DisplaySource, type Surface } from '../display-source';
import { createLogger, type Logger } from '../../util/logger';
import type { CanvasSurface } from './canvas/canvas-surface';
import { PointerShapeRegistry } from './cursor/pointer-shapes';
import { PcapDump } from './dump/pcap-dump';
import { serverAnswersLinks } from './link/link-probe';
import { DEFAULT_RECLAIM, describeReclaim, validateReclaim, type ReclaimPolicy } from './reclaim-policy';
import { SpiceSession } from './session';
import type { CursorEvents } from './cursor/cursor-channel';
import type { DisplayEvents } from './display/display-channel';
import { ChannelDesktop } from './display/channel-desktop';
import { FirstPictureHold } from './display/first-picture';
import { ChannelPointers } from './cursor/channel-pointers';
import { FollowedSession } from './share/followed-session';
import { ShareRelay, type ShareFollower } from './share/share-relay';
import { ImageCompression, type ImageCompressionName } from './wire/constants';
import { isServerHangUp, SpiceLinkError } from './wire/errors';

export interface SpiceDisplaySourceOptions {
  host: string;
  port: number;
  /** The SPICE ticket; empty or absent when the server has ticketing disabled. At most 59 bytes. */
  password?: string;
  /** Connect with TLS (the server's tls-port). `ca` verifies the server certificate. */
  tls?: { ca?: Buffer; serverName?: string };
  /** Image compression to ask the server for (when it accepts a preference). Default: the server's. */
  preferredCompression?: ImageCompressionName;
  /** Write every channel's traffic to a pcap file in this directory. */
  dumpDir?: string;
  logger?: Logger;
  /**
   * Delay before reconnecting after the server goes away: doubles from initial to max, and starts
   * over from initial only after a connection that showed a picture (MARK) and stayed up for
   * `stableMs`. Defaults 500 ms, 10 s, 5 s.
   */
  reconnect?: { initialDelayMs: number; maxDelayMs: number; stableMs?: number };
  /** Per-step link timeout in ms. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * When another client took the server's session: take it back never (the default: until
   * `reclaim()` is called), after a delay, or at once (docs/spice.md).
   */
  reclaim?: ReclaimPolicy;
  /**
   * A share port: viewers connect here and are relayed to the server, and while one holds the
   * session this source follows the picture from the relayed traffic instead of reconnecting
   * (share/share-relay.ts). `tls` (PEM certificate and key) is required for a TLS server.
   */
  share?: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } };
}

/**
 * 'shared': a viewer on the share port holds the session, and the picture is followed from it;
 * 'displaced': another client took the session straight from the server (no share port).
 */
/**
 * How long a session's first picture waits, once all its display channels have linked, for those
 * that have not marked yet (on QEMU, a second qxl card marks within a few hundred ms of linking).
 */
const FIRST_PICTURE_WAIT_MS = 500;

export type SpiceSourceState = 'idle' | 'connecting' | 'connected' | 'shared' | 'waiting' | 'displaced' | 'stopped';

const DEFAULT_RECONNECT: NonNullable<SpiceDisplaySourceOptions['reconnect']> = { initialDelayMs: 500, maxDelayMs: 10_000 };
/**
 * How long a connection must have been showing the screen for the next reconnect to start from the
 * shortest delay again: a server that accepts the link and then drops every connection at once
 * (a crash loop, a proxy that times out) is otherwise hammered every initialDelayMs forever.
 */
const DEFAULT_STABLE_MS = 5_000;
/** Pixmap cache and GLZ window announced to servers, in pixels (as spice-gtk's defaults, 80 MiB / 4). */
const CACHE_SIZE_PIXELS = 20 * 1024 * 1024;
const GLZ_WINDOW_PIXELS = 8 * 1024 * 1024;
/**
 * When, after losing the session, the server is asked whether it still answers links (ms after
 * the one before). A server that exits closes its listening socket with its clients' (measured:
 * the port refuses at once), so the first question, asked at once, catches an exit even when the
 * server is restarted right after (Xspice listens again within a few hundred milliseconds); the
 * later ones give a server shutting down in steps the time to close its port too. Only a server
 * that answers every time dropped this client for another.
 */
const DISPLACEMENT_PROBE_SCHEDULE_MS = [0, 100, 100];
/** The probe's own connect and reply timeout: a server that is up answers a link in milliseconds. */
const DISPLACEMENT_PROBE_TIMEOUT_MS = 2_000;

function validate(options: SpiceDisplaySourceOptions): void {
  if (typeof options.host !== 'string' || options.host.length === 0) throw new FieldError('options.host', 'must be a non-empty string');
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new FieldError('options.port', `must be an integer between 1 and 65535, got ${options.port}`);
  }
  if (options.password !== undefined && typeof options.password !== 'string') throw new FieldError('options.password', 'must be a string');
  if (options.password !== undefined && Buffer.byteLength(options.password) > 59) {
    throw new FieldError('options.password', 'must be at most 59 bytes (the SPICE ticket limit)');
  }
  if (options.preferredCompression !== undefined && !(options.preferredCompression in ImageCompression)) {
    throw new FieldError('options.preferredCompression', `must be one of ${Object.keys(ImageCompression).join(', ')}`);
  }
  if (options.dumpDir !== undefined && (typeof options.dumpDir !== 'string' || options.dumpDir.length === 0)) {
    throw new FieldError('options.dumpDir', 'when given, must be a non-empty directory path');
  }
  if (options.connectTimeoutMs !== undefined && !(Number.isFinite(options.connectTimeoutMs) && options.connectTimeoutMs > 0)) {
    throw new FieldError('options.connectTimeoutMs', `must be a positive number of milliseconds, got ${options.connectTimeoutMs}`);
  }
  const r = options.reconnect;
  if (r && (!(r.initialDelayMs > 0) || !(r.maxDelayMs >= r.initialDelayMs))) {
    throw new FieldError('options.reconnect', 'needs initialDelayMs > 0 and maxDelayMs >= initialDelayMs');
  }
  const share = options.share;
  if (share !== undefined) {
    if (typeof share.host !== 'string' || share.host.length === 0) throw new FieldError('options.share.host', 'must be a non-empty string');
    if (!Number.isInteger(share.port) || share.port < 0 || share.port > 65535) {
      throw new FieldError('options.share.port', `must be an integer between 0 and 65535, got ${share.port}`);
    }
    if (options.tls && !share.tls) {
      throw new FieldError('options.share.tls', 'a TLS server needs a certificate and key for the share port (viewers link with TLS)');
    }
  }
  if (r?.stableMs !== undefined && !(Number.isFinite(r.stableMs) && r.stableMs >= 0)) {
    throw new FieldError('options.reconnect.stableMs', `must be a non-negative number of milliseconds, got ${r.stableMs}`);
  }
  if (options.reclaim !== undefined) validateReclaim(options.reclaim, 'options.reclaim');
}

/**
 * A display source fed by a SPICE server (QEMU, Xspice). Exposes the primary surfaces of its
 * display channels as one 'bgra8' desktop (display/channel-desktop.ts: one channel's surface as
 * is, several side by side), every monitor head a display. A primary surface is shown from its MARK on (its first complete
 * picture, published at once); until then, the previous picture stays exposed and nothing is
 * reported, so a client never sees the empty surface of a connect, a resize, a restart or a
 * RESET. The pointer comes from the display's cursor channel and is reported through
 * `sink.pointer`; a server without one reports none. When the server goes away it keeps the last
 * picture, logs, and reconnects with backoff; a new size is reported as full damage. When
 * another client takes the session (the server still answers, but dropped this client), it keeps
 * the last picture, reports itself displaced and takes the session back only as `reclaim` says.
 * Emits 'state' (a SpiceSourceState), 'disconnected' (the reason) and 'displaced'; never 'error':
 * failures are logged and retried, and `lastError` holds the latest.
 */
export class SpiceDisplaySource extends EventEmitter implements DisplaySource {
  readonly description: string;
  private readonly logger: Logger;
  private sink: DisplaySink | undefined;
  private session: SpiceSession | undefined;
  /** The display channels' pictures since their MARKs, as one desktop. */
  private readonly desktop = new ChannelDesktop();
  /** The current session's first picture, held until every display channel has one. */
  private firstPicture: FirstPictureHold | undefined;
  /** Per display channel, a new primary surface waiting for its MARK. */
  private readonly unmarked = new Map<number, CanvasSurface>();
  /** The pointer of the channel that shows it, on the desktop. */
  private readonly pointers = new ChannelPointers(
    (channelId) => this.desktop.left(channelId),
    (state) => this.sink?.pointer(state),
  );
  private currentState: SpiceSourceState = 'idle';
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private dump: PcapDump | undefined;
  private loop: Promise<void> | undefined;
  private readonly pointerShapes = new PointerShapeRegistry();
  private readonly reclaimPolicy: ReclaimPolicy;
  /** Ends the wait between attempts early (stop, reclaim). */
  private wake: (() => void) | undefined;
  /** Times another client took the session so far. */
  displacements = 0;
  private share: ShareRelay | undefined;
  /** The viewer's session on the share port, while one holds it. */
  private followed: FollowedSession | undefined;
  /** The latest connection failure, for status displays and tests. */
  lastError: Error | undefined;
  /** Completed connections so far (a reconnect increments it). */
  connections = 0;
  /** Bytes received by sessions that have ended, and the session whose bytes are not in that yet. */
  private bytesOfEndedSessions = 0;
  private countedSession: SpiceSession | undefined;

  /** Bytes received from the SPICE server so far, on every channel of every connection. */
  get bytesReceived(): number {
    return this.bytesOfEndedSessions + (this.countedSession?.bytesReceived ?? 0);
  }

  constructor(private readonly options: SpiceDisplaySourceOptions) {
    super();
    validate(options);
    const scheme = options.tls ? 'spice+tls' : 'spice';
    this.description = `${scheme}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.logger = options.logger ?? createLogger('spice');
    this.delay = (options.reconnect ?? DEFAULT_RECONNECT).initialDelayMs;
    this.reclaimPolicy = options.reclaim ?? DEFAULT_RECLAIM;
  }

  /**
   * Takes the session back now if another client holds it (that client is dropped by the
   * server); true if the source was displaced. `screencap serve` calls it on SIGHUP.
   */
  reclaim(): boolean {
    if (this.currentState !== 'displaced') return false;
    this.logger.info('taking the SPICE session back', { server: this.description });
    this.wake?.();
    return true;
  }

  get state(): SpiceSourceState {
    return this.currentState;
  }

  async start(sink: DisplaySink): Promise<void> {
    if (this.currentState !== 'idle') throw new Error(`SpiceDisplaySource cannot start: it is ${this.currentState}`);
    this.sink = sink;
    if (this.options.dumpDir) {
      this.dump = new PcapDump(this.options.dumpDir, this.options.port, this.logger);
      this.logger.info('writing SPICE protocol dump', { file: this.dump.path });
    }
    if (this.options.share) await this.openShare(this.options.share);
    this.loop = this.run();
  }

  /** The port the share port listens on (useful when 0 was asked for), or undefined. */
  get sharePort(): number | undefined {
    return this.share?.port;
  }

  private async openShare(share: NonNullable<SpiceDisplaySourceOptions['share']>): Promise<void> {
    const relay = new ShareRelay({
      listen: { host: share.host, port: share.port },
      tls: share.tls,
      server: {
        host: this.options.host,
        port: this.options.port,
        tls: this.options.tls,
        connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      },
      logger: this.logger.child('share'),
    });
    try {
      await relay.listen(this.shareFollower());
    } catch (error) {
      throw new Error(`share port ${share.host}:${share.port}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.share = relay;
    this.logger.info('share port listening', { address: `${share.host}:${relay.port}` });
  }

  /**
   * The hand-over: when a viewer's session starts, the server drops this source's own; the
   * picture then comes from the viewer's relayed display (shown from its MARK on, like any new
   * session). When the viewer leaves, the run loop links a session of its own again at once.
   */
  private shareFollower(): ShareFollower {
    return {
      viewerJoining: () => {},
      viewerJoined: () => {
        const followed: FollowedSession = new FollowedSession(
          this.logger,
          this.pointerShapes,
          (channelId) => this.displayEvents(channelId, () => this.followed === followed),
          (channelId) => this.cursorEvents(channelId, () => this.followed === followed),
        );
        this.followed = followed;
        this.firstPicture?.cancel();
        this.unmarked.clear();
        this.session?.close(new Error('a viewer took the session over through the share port'));
        if (!this.isStopped()) this.setState('shared');
      },
      display: (display) => this.followed?.followDisplay(display),
      cursor: (channel, channelId) => this.followed?.followCursor(channel, channelId),
      viewerLeft: () => {
        this.followed = undefined;
        this.emit('viewer-left');
      },
    };
  }

  /** A display channel's events, which count only while `isCurrent()` (a session that ended reports nothing). */
  private displayEvents(
    channelId: number,
    isCurrent: () => boolean,
    onMark: () => void = () => {},
    firstPicture?: FirstPictureHold,
  ): DisplayEvents {
    firstPicture?.linked(channelId);
    return {
      primaryCreated: (surface) => {
        // Held back (the old picture stays exposed) until its MARK.
        if (isCurrent()) this.unmarked.set(channelId, surface);
      },
      damage: (rects) => {
        // Damage of a surface not shown yet is part of its first picture, published at MARK.
        if (isCurrent() && !this.unmarked.has(channelId)) this.sink?.damage(this.desktop.damage(channelId, rects));
      },
      mark: () => {
        if (!isCurrent()) return;
        onMark();
        if (firstPicture?.mark(channelId)) return;
        this.showMarked(channelId);
        this.sink?.requestFrame();
      },
      monitors: (heads) => {
        if (isCurrent()) this.desktop.setHeads(channelId, heads);
      },
    };
  }

  private cursorEvents(channelId: number, isCurrent: () => boolean): CursorEvents {
    return {
      pointer: (state) => {
        if (isCurrent()) this.pointers.update(channelId, state);
      },
    };
  }

  async stop(): Promise<void> {
    if (this.currentState === 'stopped') return;
    this.setState('stopped');
    this.sink = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.wake?.();
    this.session?.close();
    this.emit('viewer-left');
    await this.loop;
    await this.share?.close();
    await this.dump?.close();
  }

  surface(): Surface | undefined {
    return this.desktop.surface();
  }

  /** The monitor heads of every display channel, as their last MONITORS_CONFIG gave them. */
  displays(): readonly Display[] {
    return this.desktop.displays();
  }

  isLatchable(): boolean {
    return !(this.session?.busy ?? false) && !(this.followed?.busy ?? false);
  }

  /** The display channels of the current session (diagnostics and tests). */
  displayChannels(): SpiceSession['displays'] {
    return this.session?.displays ?? [];
  }

  /** Read through a method so that TypeScript does not narrow it across awaits. */
  private isStopped(): boolean {
    return this.currentState === 'stopped';
  }

  private setState(state: SpiceSourceState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  /** Connect, serve until the session ends, wait, repeat, until stopped. */
  private async run(): Promise<void> {
    const reconnect = this.options.reconnect ?? DEFAULT_RECONNECT;
    while (!this.isStopped()) {
      // Linking now would take the session from the viewer on the share port.
      if (this.share?.viewerActive) await this.whileViewerHoldsSession();
      if (this.isStopped()) break;
      this.setState('connecting');
      this.sink?.status?.({
        live: false,
        detail: `connecting to ${this.description}${this.lastError ? ` (last: ${this.lastError.message})` : ''}`,
      });
      const session = new SpiceSession({
        host: this.options.host,
        port: this.options.port,
        password: this.options.password ?? '',
        tls: this.options.tls,
        preferredCompression: this.options.preferredCompression,
        logger: this.logger,
        dump: this.dump,
        connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
        cacheSizePixels: CACHE_SIZE_PIXELS,
        glzWindowPixels: GLZ_WINDOW_PIXELS,
        pointerShapes: this.pointerShapes,
      });
      this.session = session;
      this.countedSession = session;
      this.unmarked.clear();
      const firstPicture = new FirstPictureHold(
        () => session.displayIds,
        FIRST_PICTURE_WAIT_MS,
        (channelIds) => {
          if (this.session !== session || this.followed) return;
          for (const channelId of channelIds) this.showMarked(channelId);
          this.sink?.requestFrame();
        },
      );
      this.firstPicture = firstPicture;
      let reason: Error | undefined;
      let markedAt: number | undefined;
      try {
        const isCurrent = () => this.session === session && !this.followed;
        const onMark = () => {
          markedAt ??= performance.now();
        };
        await session.open(
          (channelId) => this.displayEvents(channelId, isCurrent, onMark, firstPicture),
          (channelId) => this.cursorEvents(channelId, isCurrent),
        );
        // Across a reconnect the last pointer stays until the new cursor channel's INIT replaces
        // it; a server that has no cursor channel any more has no pointer.
        if (session.cursors.length === 0) this.sink?.pointer(undefined);
        if (this.isStopped()) {
          session.close();
          break;
        }
        this.connections += 1;
        this.setState('connected');
        this.sink?.status?.(LIVE);
        this.logger.info('connected to SPICE server', { server: this.description, displays: session.displays.length });
        reason = await session.closed;
        firstPicture.cancel();
      } catch (error) {
        firstPicture.cancel();
        // A channel that the server closed while the others were still linking says more than
        // the failure it caused (the next link's BAD_CONNECTION_ID once the server dropped this
        // client for another one).
        reason = session.endedWith ?? (error instanceof Error ? error : new Error(String(error)));
        session.close(reason);
      }
      this.bytesOfEndedSessions += session.bytesReceived;
      this.countedSession = undefined;
      if (this.isStopped()) break;
      if (this.share?.viewerActive) {
        this.logger.info('a viewer on the share port holds the session; following it', { server: this.description });
        continue;
      }
      // `always` takes the session back like any lost connection, without asking why it was lost.
      if (this.reclaimPolicy.mode !== 'always' && isServerHangUp(reason) && (await this.serverStillAnswers())) {
        if (this.isStopped()) break;
        this.lastError = reason;
        this.emit('disconnected', reason);
        this.delay = reconnect.initialDelayMs;
        await this.whileDisplaced();
        continue;
      }
      if (this.isStopped()) break;
      if (markedAt !== undefined && performance.now() - markedAt >= (reconnect.stableMs ?? DEFAULT_STABLE_MS)) {
        this.delay = reconnect.initialDelayMs;
      }
      this.lastError = reason;
      this.emit('disconnected', reason);
      const wait = this.delay;
      this.delay = Math.min(this.delay * 2, reconnect.maxDelayMs);
      const level = reason instanceof SpiceLinkError ? 'error' : 'warn';
      this.logger[level]('SPICE connection ended; reconnecting', {
        server: this.description,
        reason: reason?.message ?? 'closed',
        retryInMs: wait,
      });
      this.setState('waiting');
      this.sink?.status?.({
        live: false,
        detail: `${reason?.message ?? 'connection closed'}; reconnecting in ${(wait / 1000).toFixed(1)} s`,
      });
      await this.pause(wait);
    }
  }

  /** Waits `ms` (forever when undefined), or until stopped or reclaimed. */
  private async pause(ms: number | undefined): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (ms !== undefined) this.retryTimer = setTimeout(resolve, ms);
    });
    this.wake = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * The server hung up on every channel: did it go away, or did it drop this client for another
   * one? A server that is gone refuses the port; one that answers a link is up, and an up
   * spice-server drops its client only for a new one (docs/spice.md).
   */
  private async serverStillAnswers(): Promise<boolean> {
    for (const delayMs of DISPLACEMENT_PROBE_SCHEDULE_MS) {
      await this.pause(delayMs);
      if (this.isStopped()) return false;
      const answers = await serverAnswersLinks({
        host: this.options.host,
        port: this.options.port,
        tls: this.options.tls,
        connectTimeoutMs: Math.min(DISPLACEMENT_PROBE_TIMEOUT_MS, this.options.connectTimeoutMs ?? DISPLACEMENT_PROBE_TIMEOUT_MS),
      });
      if (!answers) return false;
    }
    return true;
  }

  /**
   * Another client holds the session: keep the last picture, say so, and wait as the reclaim
   * policy says (`after` its delay, `never` until reclaimed).
   */
  private async whileDisplaced(): Promise<void> {
    this.displacements += 1;
    const policy = this.reclaimPolicy;
    const waitMs = policy.mode === 'after' ? policy.delayMs : undefined;
    const fields = { server: this.description, reclaim: describeReclaim(policy) };
    // Once: an operator needs the hint, not a line for every time a viewer comes and goes.
    if (this.displacements === 1) {
      this.logger.warn(
        `another SPICE client took the session of ${this.description}; screencap keeps serving the last picture; ` +
          'use --spice-share to watch beside that client, or --spice-reclaim to take the session back from it',
        fields,
      );
    } else {
      this.logger.info('another SPICE client took the session again', { ...fields, times: this.displacements });
    }
    this.emit('displaced');
    this.setState('displaced');
    const plan = waitMs === undefined ? 'not taking it back until told to' : `taking it back in ${(waitMs / 1000).toFixed(1)} s`;
    this.sink?.status?.({
      live: false,
      displaced: true,
      detail: `another SPICE client took the session of ${this.description}; serving the last picture, ${plan}`,
    });
    await this.pause(waitMs);
  }

  /** Until the viewer on the share port leaves (or the source stops); then link again at once. */
  private async whileViewerHoldsSession(): Promise<void> {
    this.setState('shared');
    this.sink?.status?.(LIVE);
    await new Promise<void>((resolve) => {
      const done = () => {
        this.off('viewer-left', done);
        resolve();
      };
      this.on('viewer-left', done);
      if (!this.share?.viewerActive || this.isStopped()) done();
    });
  }

  /** MARK: a channel's held-back surface has its first complete picture; show it (the caller latches). */
  private showMarked(channelId: number): void {
    const surface = this.unmarked.get(channelId);
    if (surface) {
      this.unmarked.delete(channelId);
      const before = this.desktop.size();
      this.sink?.damage(this.desktop.show(channelId, surface));
      const after = this.desktop.size()!;
      if (before?.width !== after.width || before?.height !== after.height) {
        this.logger.info('primary surface', {
          display: channelId,
          width: surface.width,
          height: surface.height,
          desktop: `${after.width}x${after.height}`,
        });
      }
    }
  }
}
