import type { Rect } from '../../../core/rect';
import type { Logger } from '../../../util/logger';
import { CanvasSurface } from '../canvas/canvas-surface';
import { type Area, drawAreas } from '../canvas/clip';
import * as draw from '../canvas/draw';
import { ROP_COPY } from '../canvas/rop';
import type { MessageChannel } from '../channels/channel-connection';
import type { DecodedImage } from '../decoders/decoded-image';
import { GlzWindow } from '../decoders/glz-window';
import { ImagePool } from '../decoders/image-pool';
import { createQuicDecoder } from '../decoders/native-quic';
import { decodableVideoCodecs } from '../decoders/video';
import { hasCap } from '../link/link-messages';
import {
  DisplayCap,
  DisplayMsg,
  DisplayMsgc,
  displayMessageName,
  ImageCompression,
  SURFACE_FLAG_PRIMARY,
  type ImageCompressionName,
} from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { SpiceMessage } from '../wire/framing';
import { DisplayBatch } from './display-batch';
import * as msgs from './display-messages';
import { DRAW_COMMANDS, type DrawTarget } from './draw-commands';
import { ImageCache } from './image-cache';
import type { ImageDescriptor } from './image-descriptor';
import { ImageResolver } from './image-resolver';
import { type StreamFrame, StreamManager, videoCodecName } from './streams';

/** What the display channel tells its owner. Only the primary surface is reported. */
export interface DisplayEvents {
  /**
   * A new primary surface exists (the first one, a new size, or a blank one after RESET). It is
   * still empty: the owner shows it only from its MARK on.
   */
  primaryCreated(surface: CanvasSurface): void;
  /** Parts of the current primary surface changed during the batch that just ended. */
  damage(rects: Rect[]): void;
  /** MARK: the current primary surface holds its first complete picture. */
  mark(): void;
  /**
   * MONITORS_CONFIG: the guest's monitor heads now, each a region of a surface (heads switched
   * off are left out or have no size).
   */
  monitors?(heads: msgs.MonitorHead[]): void;
}

export interface DisplayChannelOptions {
  channelId: number;
  logger: Logger;
  serverCaps: number[];
  preferredCompression?: ImageCompressionName;
  /** Pixmap cache size announced to the server, in pixels. */
  cacheSizePixels: number;
  /** GLZ dictionary window announced to the server, in pixels. */
  glzWindowPixels: number;
  /** The video codecs offered on the link (decodableVideoCodecs() unless told). */
  videoCodecs?: readonly number[];
}

/** A display message other than a draw command, applied by the channel itself. */
type ChannelHandler = (message: SpiceMessage) => void | Promise<void>;

/**
 * A display channel: surfaces, draw commands, image decoding, caches and streams. Messages are
 * applied strictly in order and reported a batch at a time (DisplayBatch); the draw commands are
 * in draw-commands.ts, the other messages in this class's handler table. A change of primary
 * surface reports what is pending first, so that damage and MARK always refer to the surface they
 * were made on.
 */
export class DisplayChannel implements DrawTarget {
  readonly surfaces = new Map<number, CanvasSurface>();
  private readonly cache: ImageCache;
  private readonly glzWindow: GlzWindow;
  readonly images: ImageResolver;
  private readonly streams: StreamManager;
  private readonly batch: DisplayBatch;
  private primaryId: number | undefined;
  private readonly warned = new Set<string>();
  private readonly logger: Logger;
  /** Streams created so far, by codec (tests and diagnostics). */
  readonly streamCodecCounts: Record<number, number> = {};
  /** Messages applied so far, by type (tests and diagnostics). */
  readonly messageCounts: Record<number, number> = {};

  private readonly handlers: ReadonlyMap<number, ChannelHandler> = new Map<number, ChannelHandler>([
    [DisplayMsg.SURFACE_CREATE, ({ body }) => this.createSurface(msgs.parseSurfaceCreate(body))],
    // The owner keeps showing the last picture of a destroyed primary until a new one comes.
    [DisplayMsg.SURFACE_DESTROY, ({ body }) => void this.surfaces.delete(msgs.parseSurfaceDestroy(body))],
    [DisplayMsg.INVAL_LIST, ({ body }) => msgs.parseInvalList(body).forEach((resource) => this.cache.removeImage(resource.id))],
    [DisplayMsg.INVAL_ALL_PIXMAPS, () => this.cache.clearImages()],
    [DisplayMsg.INVAL_PALETTE, ({ body }) => this.cache.removePalette(msgs.parseInvalPalette(body))],
    [DisplayMsg.INVAL_ALL_PALETTES, () => this.cache.clearPalettes()],
    [DisplayMsg.MARK, () => this.batch.mark()],
    [DisplayMsg.RESET, () => this.reset()],
    [DisplayMsg.MODE, () => {}],
    [DisplayMsg.MONITORS_CONFIG, ({ body }) => this.monitorsConfig(msgs.parseMonitorsConfig(body))],
    [DisplayMsg.STREAM_CREATE, ({ body }) => this.createStream(msgs.parseStreamCreate(body))],
    [
      DisplayMsg.STREAM_CLIP,
      ({ body }) => {
        const m = msgs.parseStreamClip(body);
        this.streams.setClip(m.id, m.clip);
      },
    ],
    [DisplayMsg.STREAM_DESTROY, ({ body }) => this.streams.destroy(msgs.parseStreamDestroy(body))],
    [DisplayMsg.STREAM_DESTROY_ALL, () => this.streams.destroyAll()],
    [DisplayMsg.STREAM_DATA, (message) => this.streamData(message)],
    [DisplayMsg.STREAM_DATA_SIZED, (message) => this.streamData(message)],
    [DisplayMsg.STREAM_ACTIVATE_REPORT, () => {}],
    [DisplayMsg.QUALITY_INDICATOR, () => {}],
    [DisplayMsg.DRAW_STROKE, (message) => this.notRendered(message)],
    [DisplayMsg.DRAW_TEXT, (message) => this.notRendered(message)],
    [DisplayMsg.DRAW_COMPOSITE, (message) => this.notRendered(message)],
  ]);

  constructor(
    private readonly connection: MessageChannel,
    private readonly options: DisplayChannelOptions,
    private readonly events: DisplayEvents,
  ) {
    this.logger = options.logger;
    this.cache = new ImageCache(options.cacheSizePixels);
    this.glzWindow = new GlzWindow(Math.max(options.glzWindowPixels * 2, 1));
    const pool = new ImagePool();
    this.images = new ImageResolver(this.cache, this.glzWindow, createQuicDecoder(pool.image), this.surfaces, pool.image);
    this.streams = new StreamManager(options.videoCodecs ?? decodableVideoCodecs());
    this.batch = new DisplayBatch(connection, (message) => this.apply(message), {
      damage: (rects) => events.damage(rects),
      mark: () => events.mark(),
    });
    connection.onMessage = (message) => this.batch.enqueue(message);
  }

  /** Sends DISPLAY_INIT and, when the server offers it and one was configured, the compression. */
  start(): void {
    const { channelId, cacheSizePixels, glzWindowPixels, preferredCompression, serverCaps } = this.options;
    // Each channel gets its own GLZ dictionary id, so references never cross connections.
    this.connection.send(DisplayMsgc.INIT, msgs.buildDisplayInit(1, cacheSizePixels, channelId, glzWindowPixels));
    if (preferredCompression) {
      if (hasCap(serverCaps, DisplayCap.PREF_COMPRESSION)) {
        this.connection.send(DisplayMsgc.PREFERRED_COMPRESSION, msgs.buildPreferredCompression(ImageCompression[preferredCompression]));
      } else {
        this.logger.warn('server does not accept a preferred image compression; using its own setting', { asked: preferredCompression });
      }
    }
  }

  /** True while messages wait for an asynchronous decode (the surface is mid-batch). */
  get busy(): boolean {
    return this.batch.busy;
  }

  primary(): CanvasSurface | undefined {
    return this.primaryId === undefined ? undefined : this.surfaces.get(this.primaryId);
  }

  surface(id: number, what: string): CanvasSurface {
    const surface = this.surfaces.get(id);
    if (!surface) throw new SpiceProtocolError(`${what}: surface ${id} does not exist`);
    return surface;
  }

  withImages(descs: (ImageDescriptor | undefined)[], apply: (images: (DecodedImage | undefined)[]) => void): void | Promise<void> {
    const resolved = descs.map((d) => (d ? this.images.resolve(d) : undefined));
    if (resolved.some((r) => r instanceof Promise)) return Promise.all(resolved).then(apply);
    apply(resolved as (DecodedImage | undefined)[]);
  }

  damaged(surface: CanvasSurface, areas: Area[]): void {
    if (surface.id === this.primaryId && this.surfaces.get(surface.id) === surface) this.batch.damaged(areas);
  }

  private apply(message: SpiceMessage): void | Promise<void> {
    this.messageCounts[message.type] = (this.messageCounts[message.type] ?? 0) + 1;
    const draw = DRAW_COMMANDS.get(message.type);
    if (draw) return draw(this, message);
    const handler = this.handlers.get(message.type);
    if (handler) return handler(message);
    // Every message carries its size, so an unknown one can be skipped safely.
    this.warnOnce(`unknown-${message.type}`, `skipping unknown display message type ${message.type}`);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }

  /** Makes `surface` the primary; what the old one still has to report is reported first. */
  private replacePrimary(surface: CanvasSurface): void {
    this.batch.flush();
    this.surfaces.set(surface.id, surface);
    this.primaryId = surface.id;
    this.events.primaryCreated(surface);
  }

  private createSurface(m: ReturnType<typeof msgs.parseSurfaceCreate>): void {
    const surface = new CanvasSurface(m.surfaceId, m.width, m.height, m.format);
    if (m.flags & SURFACE_FLAG_PRIMARY) this.replacePrimary(surface);
    else this.surfaces.set(m.surfaceId, surface);
  }

  /**
   * As spice-gtk does: the primary starts over blank and unexposed until the next MARK, and
   * palettes are forgotten. A fresh surface rather than clearing in place: the owner keeps
   * showing the old picture meanwhile.
   */
  private reset(): void {
    this.cache.clearPalettes();
    const primary = this.primary();
    if (primary) this.replacePrimary(new CanvasSurface(primary.id, primary.width, primary.height, primary.format));
  }

  private monitorsConfig(heads: msgs.MonitorHead[]): void {
    this.logger.debug('monitors config', {
      heads: heads.map((h) => `${h.id}:${h.width}x${h.height}+${h.x}+${h.y}@${h.surfaceId}`).join(','),
    });
    this.events.monitors?.(heads);
  }

  private createStream(stream: ReturnType<typeof msgs.parseStreamCreate>): void {
    this.streamCodecCounts[stream.codec] = (this.streamCodecCounts[stream.codec] ?? 0) + 1;
    if (this.streams.create(stream)) return;
    const codec = videoCodecName(stream.codec);
    const offered = this.streams.offered.map(videoCodecName).join(', ');
    this.warnOnce(
      `codec-${stream.codec}`,
      `skipping video streams in ${codec}, which this client did not offer (only ${offered}): their area keeps its last picture until the server repaints it`,
    );
  }

  private streamData(message: SpiceMessage): void | Promise<void> {
    const data = msgs.parseStreamData(message.body, message.type === DisplayMsg.STREAM_DATA_SIZED);
    if (this.streams.isSkipped(data)) return;
    return this.streams.decodeFrame(data).then((frame) => {
      if (frame) this.drawStreamFrame(frame);
    });
  }

  private drawStreamFrame(frame: StreamFrame): void {
    const surface = this.surface(frame.surfaceId, 'stream frame');
    const areas = drawAreas(frame.dest, frame.clip, surface.width, surface.height);
    const srcArea = { left: 0, top: 0, right: frame.image.width, bottom: frame.image.height };
    draw.blit(surface, areas, { image: frame.image, srcArea, box: frame.dest }, ROP_COPY);
    this.damaged(surface, areas);
  }

  private notRendered(message: SpiceMessage): void {
    this.warnOnce(`unsupported-${message.type}`, `${displayMessageName(message.type)} is not rendered (this client does not draw it)`);
  }
}
