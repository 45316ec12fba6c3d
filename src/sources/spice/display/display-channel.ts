import type { Logger } from '../../../util/logger';
import { CanvasSurface } from '../canvas/canvas-surface';
import { drawAreas, type Area } from '../canvas/clip';
import * as draw from '../canvas/draw';
import { ROP_COPY, ropFromDescriptor } from '../canvas/rop';
import type { MessageChannel } from '../channels/channel-connection';
import type { DecodedImage } from '../decoders/decoded-image';
import { GlzWindow } from '../decoders/glz-window';
import { createQuicDecoder } from '../decoders/native-quic';
import { decodableVideoCodecs } from '../decoders/video';
import { hasCap } from '../link/link-messages';
import {
  DisplayCap,
  DisplayMsg,
  DisplayMsgc,
  displayMessageName,
  ImageCompression,
  Ropd,
  SURFACE_FLAG_PRIMARY,
  type ImageCompressionName,
} from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { SpiceMessage } from '../wire/framing';
import * as msgs from './display-messages';
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
  damage(areas: Area[]): void;
  /** MARK: the current primary surface holds its first complete picture. */
  mark(): void;
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

/** More rectangles than this in one batch are reported as their bounding box. */
const MAX_DAMAGE_RECTS = 64;
/** Stop reading the socket while this many messages wait for an asynchronous decode. */
const QUEUE_HIGH_WATER = 256;
/** QMask flag: draw where the mask is clear instead of where it is set. */
const MASK_INVERS = 1;

/**
 * A display channel: surfaces, draw commands, image decoding, caches and streams. Messages are
 * applied strictly in order. Most apply synchronously; one that needs a JPEG decode makes the
 * channel `busy` until the queue drains, so a frame is never latched halfway through a batch.
 *
 * A batch is what arrived together: the messages of one socket read, applied in one event-loop
 * turn, or, when a decode had to be awaited, everything queued until the queue is empty again.
 * Damage is reported once per batch, in a microtask after its last message (before any timer or
 * I/O callback, so before the scheduler can latch), and MARK after that damage. A change of
 * primary surface reports what is pending first, so that damage and MARK always refer to the
 * surface they were made on.
 */
export class DisplayChannel {
  readonly surfaces = new Map<number, CanvasSurface>();
  private readonly cache: ImageCache;
  private readonly glzWindow: GlzWindow;
  readonly images: ImageResolver;
  private readonly streams: StreamManager;
  private readonly queue: SpiceMessage[] = [];
  private draining = false;
  private damageAreas: Area[] = [];
  private markPending = false;
  private flushScheduled = false;
  private primaryId: number | undefined;
  private readonly warned = new Set<string>();
  private readonly logger: Logger;
  /** Streams created so far, by codec (tests and diagnostics). */
  readonly streamCodecCounts: Record<number, number> = {};
  /** Messages applied so far, by type (tests and diagnostics). */
  readonly messageCounts: Record<number, number> = {};

  constructor(
    private readonly connection: MessageChannel,
    private readonly options: DisplayChannelOptions,
    private readonly events: DisplayEvents,
  ) {
    this.logger = options.logger;
    this.cache = new ImageCache(options.cacheSizePixels);
    this.glzWindow = new GlzWindow(Math.max(options.glzWindowPixels * 2, 1));
    this.images = new ImageResolver(this.cache, this.glzWindow, createQuicDecoder(), this.surfaces);
    this.streams = new StreamManager(options.videoCodecs ?? decodableVideoCodecs());
    connection.onMessage = (message) => this.enqueue(message);
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
    return this.draining;
  }

  primary(): CanvasSurface | undefined {
    return this.primaryId === undefined ? undefined : this.surfaces.get(this.primaryId);
  }

  private enqueue(message: SpiceMessage): void {
    this.queue.push(message);
    if (!this.draining) this.drain();
    else if (this.queue.length >= QUEUE_HIGH_WATER) this.connection.pause();
  }

  /** Applies queued messages in order; awaits only when a message needs it. */
  private drain(): void {
    this.draining = true;
    while (this.queue.length > 0) {
      if (this.connection.isClosed) {
        this.queue.length = 0;
        break;
      }
      const message = this.queue.shift()!;
      let pending: void | Promise<void>;
      try {
        pending = this.apply(message);
      } catch (error) {
        this.fail(error);
        return;
      }
      if (pending) {
        pending.then(
          () => this.drain(),
          (error: unknown) => this.fail(error),
        );
        return;
      }
    }
    this.draining = false;
    this.connection.resume();
    this.scheduleFlush();
  }

  private fail(error: unknown): void {
    this.queue.length = 0;
    this.draining = false;
    this.flush();
    this.connection.close(error instanceof Error ? error : new Error(String(error)));
  }

  /** Reports the batch once the messages of this turn have been applied (see the class comment). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      // Mid-batch (a decode is awaited): the drain reschedules the flush when the queue empties.
      if (!this.draining) this.flush();
    });
  }

  /** Ends a batch: reports its damage, then MARK if one arrived. */
  private flush(): void {
    if (this.damageAreas.length > 0) {
      let areas = this.damageAreas;
      this.damageAreas = [];
      if (areas.length > MAX_DAMAGE_RECTS) {
        let { x0, y0, x1, y1 } = areas[0];
        for (const a of areas) {
          x0 = Math.min(x0, a.x0);
          y0 = Math.min(y0, a.y0);
          x1 = Math.max(x1, a.x1);
          y1 = Math.max(y1, a.y1);
        }
        areas = [{ x0, y0, x1, y1 }];
      }
      this.events.damage(areas);
    }
    if (this.markPending) {
      this.markPending = false;
      this.events.mark();
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }

  private surface(id: number, what: string): CanvasSurface {
    const surface = this.surfaces.get(id);
    if (!surface) throw new SpiceProtocolError(`${what}: surface ${id} does not exist`);
    return surface;
  }

  /** Makes `surface` the primary; what the old one still has to report is reported first. */
  private replacePrimary(surface: CanvasSurface): void {
    this.flush();
    this.surfaces.set(surface.id, surface);
    this.primaryId = surface.id;
    this.events.primaryCreated(surface);
  }

  private damaged(surface: CanvasSurface, areas: Area[]): void {
    if (surface.id === this.primaryId && this.surfaces.get(surface.id) === surface) this.damageAreas.push(...areas);
  }

  /** Resolves images; returns synchronously unless one of them needs an asynchronous decode. */
  private withImages(descs: (ImageDescriptor | undefined)[], apply: (images: (DecodedImage | undefined)[]) => void): void | Promise<void> {
    const resolved = descs.map((d) => (d ? this.images.resolve(d) : undefined));
    if (resolved.some((r) => r instanceof Promise)) return Promise.all(resolved).then(apply);
    apply(resolved as (DecodedImage | undefined)[]);
  }

  private brushImage(brush: msgs.Brush): ImageDescriptor | undefined {
    return brush.type === 'pattern' ? brush.image : undefined;
  }

  private resolvedBrush(brush: msgs.Brush, surface: CanvasSurface, pattern: DecodedImage | undefined): draw.ResolvedBrush | undefined {
    if (brush.type === 'solid') return { kind: 'solid', color: draw.brushColor(surface, brush.color) };
    if (brush.type === 'pattern' && pattern) return { kind: 'pattern', image: pattern, pos: brush.pos };
    return undefined;
  }

  /**
   * Runs a draw under its QMask: pixels where the 1-bit mask (shifted by mask.pos, inverted with
   * the INVERS flag) is clear get their old value back.
   */
  private masked(
    surface: CanvasSurface,
    areas: Area[],
    box: msgs.SpiceRect,
    mask: msgs.QMask,
    maskImage: DecodedImage | undefined,
    drawIt: () => void,
  ): void {
    if (!maskImage) {
      drawIt();
      return;
    }
    const W = surface.width;
    const saved = areas.map((a) => {
      const rows: Uint32Array[] = [];
      for (let y = a.y0; y < a.y1; y++) rows.push(surface.pixels.slice(y * W + a.x0, y * W + a.x1));
      return rows;
    });
    drawIt();
    const invert = (mask.flags & MASK_INVERS) !== 0;
    areas.forEach((a, i) => {
      for (let y = a.y0; y < a.y1; y++) {
        const my = mask.pos.y + (y - box.top);
        const row = saved[i][y - a.y0];
        for (let x = a.x0; x < a.x1; x++) {
          const mx = mask.pos.x + (x - box.left);
          const inside = mx >= 0 && my >= 0 && mx < maskImage.width && my < maskImage.height;
          const bit = inside && (maskImage.pixels[my * maskImage.stride + mx] & 0xffffff) !== 0;
          if (bit === invert) surface.pixels[y * W + x] = row[x - a.x0];
        }
      }
    });
  }

  private apply(message: SpiceMessage): void | Promise<void> {
    this.messageCounts[message.type] = (this.messageCounts[message.type] ?? 0) + 1;
    const body = message.body;
    switch (message.type) {
      case DisplayMsg.SURFACE_CREATE: {
        const m = msgs.parseSurfaceCreate(body);
        const surface = new CanvasSurface(m.surfaceId, m.width, m.height, m.format);
        if (m.flags & SURFACE_FLAG_PRIMARY) this.replacePrimary(surface);
        else this.surfaces.set(m.surfaceId, surface);
        return;
      }
      case DisplayMsg.SURFACE_DESTROY:
        // The owner keeps showing the last picture of a destroyed primary until a new one comes.
        this.surfaces.delete(msgs.parseSurfaceDestroy(body));
        return;
      case DisplayMsg.DRAW_FILL: {
        const m = msgs.parseDrawFill(body);
        const surface = this.surface(m.base.surfaceId, 'DRAW_FILL');
        return this.withImages([this.brushImage(m.brush), m.mask.image], ([pattern, maskImage]) => {
          const brush = this.resolvedBrush(m.brush, surface, pattern);
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          const rop = ropFromDescriptor(m.rop, Ropd.INVERS_BRUSH);
          this.masked(surface, areas, m.base.box, m.mask, maskImage, () => {
            if (brush) draw.fill(surface, areas, brush, rop);
            else draw.fill(surface, areas, { kind: 'solid', color: 0 }, ropFromDescriptor(m.rop & ~Ropd.OP_PUT, Ropd.INVERS_BRUSH));
          });
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.DRAW_COPY:
      case DisplayMsg.DRAW_BLEND: {
        const name = message.type === DisplayMsg.DRAW_COPY ? 'DRAW_COPY' : 'DRAW_BLEND';
        const m = msgs.parseDrawCopy(body, name);
        const surface = this.surface(m.base.surfaceId, name);
        return this.withImages([m.src, m.mask.image], ([src, maskImage]) => {
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          const rop = ropFromDescriptor(m.rop, Ropd.INVERS_SRC);
          if (src)
            this.masked(surface, areas, m.base.box, m.mask, maskImage, () =>
              draw.blit(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, rop),
            );
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.DRAW_OPAQUE: {
        const m = msgs.parseDrawOpaque(body);
        const surface = this.surface(m.base.surfaceId, 'DRAW_OPAQUE');
        return this.withImages([m.src, this.brushImage(m.brush), m.mask.image], ([src, pattern, maskImage]) => {
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          const brush = this.resolvedBrush(m.brush, surface, pattern);
          this.masked(surface, areas, m.base.box, m.mask, maskImage, () => {
            if (src) draw.blit(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, ROP_COPY);
            // As the reference canvas does: the brush is then combined with the copied image,
            // which plays the destination, so INVERS_SRC inverts that input.
            if (brush) draw.fill(surface, areas, brush, ropFromDescriptor(m.rop, Ropd.INVERS_BRUSH, Ropd.INVERS_SRC));
          });
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.DRAW_ROP3: {
        const m = msgs.parseDrawRop3(body);
        const surface = this.surface(m.base.surfaceId, 'DRAW_ROP3');
        return this.withImages([m.src, this.brushImage(m.brush), m.mask.image], ([src, pattern, maskImage]) => {
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          const source = src ? { image: src, srcArea: m.srcArea, box: m.base.box } : undefined;
          const brush = this.resolvedBrush(m.brush, surface, pattern);
          this.masked(surface, areas, m.base.box, m.mask, maskImage, () => draw.rop3(surface, areas, source, brush, m.rop3));
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.DRAW_BLACKNESS:
      case DisplayMsg.DRAW_WHITENESS:
      case DisplayMsg.DRAW_INVERS: {
        const name = displayMessageName(message.type);
        const m = msgs.parseDrawMaskOnly(body, name);
        const surface = this.surface(m.base.surfaceId, name);
        return this.withImages([m.mask.image], ([maskImage]) => {
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          const kind =
            message.type === DisplayMsg.DRAW_BLACKNESS ? 'black' : message.type === DisplayMsg.DRAW_WHITENESS ? 'white' : 'invert';
          this.masked(surface, areas, m.base.box, m.mask, maskImage, () => draw.constantOp(surface, areas, kind));
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.DRAW_TRANSPARENT: {
        const m = msgs.parseDrawTransparent(body);
        const surface = this.surface(m.base.surfaceId, 'DRAW_TRANSPARENT');
        return this.withImages([m.src], ([src]) => {
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          if (src) draw.transparent(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, m.srcColor);
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.DRAW_ALPHA_BLEND: {
        const m = msgs.parseDrawAlphaBlend(body);
        const surface = this.surface(m.base.surfaceId, 'DRAW_ALPHA_BLEND');
        return this.withImages([m.src], ([src]) => {
          const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
          if (src) draw.alphaBlend(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, m.alpha, m.alphaFlags);
          this.damaged(surface, areas);
        });
      }
      case DisplayMsg.COPY_BITS: {
        const m = msgs.parseCopyBits(body);
        const surface = this.surface(m.base.surfaceId, 'COPY_BITS');
        const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
        draw.copyBits(surface, areas, m.base.box, m.srcPos);
        this.damaged(surface, areas);
        return;
      }
      case DisplayMsg.INVAL_LIST:
        for (const resource of msgs.parseInvalList(body)) this.cache.removeImage(resource.id);
        return;
      case DisplayMsg.INVAL_ALL_PIXMAPS:
        this.cache.clearImages();
        return;
      case DisplayMsg.INVAL_PALETTE:
        this.cache.removePalette(msgs.parseInvalPalette(body));
        return;
      case DisplayMsg.INVAL_ALL_PALETTES:
        this.cache.clearPalettes();
        return;
      case DisplayMsg.MARK:
        this.markPending = true;
        return;
      case DisplayMsg.RESET: {
        // As spice-gtk does: the primary starts over blank and unexposed until the next MARK, and
        // palettes are forgotten. A fresh surface rather than clearing in place: the owner keeps
        // showing the old picture meanwhile.
        this.cache.clearPalettes();
        const primary = this.primary();
        if (primary) this.replacePrimary(new CanvasSurface(primary.id, primary.width, primary.height, primary.format));
        return;
      }
      case DisplayMsg.MODE:
        return;
      case DisplayMsg.MONITORS_CONFIG: {
        const heads = msgs.parseMonitorsConfig(body);
        this.logger.debug('monitors config', {
          heads: heads.map((h) => `${h.id}:${h.width}x${h.height}+${h.x}+${h.y}@${h.surfaceId}`).join(','),
        });
        return;
      }
      case DisplayMsg.STREAM_CREATE: {
        const stream = msgs.parseStreamCreate(body);
        this.streamCodecCounts[stream.codec] = (this.streamCodecCounts[stream.codec] ?? 0) + 1;
        if (!this.streams.create(stream)) {
          const codec = videoCodecName(stream.codec);
          const offered = this.streams.offered.map(videoCodecName).join(', ');
          this.warnOnce(
            `codec-${stream.codec}`,
            `skipping video streams in ${codec}, which this client did not offer (only ${offered}): their area keeps its last picture until the server repaints it`,
          );
        }
        return;
      }
      case DisplayMsg.STREAM_CLIP: {
        const m = msgs.parseStreamClip(body);
        this.streams.setClip(m.id, m.clip);
        return;
      }
      case DisplayMsg.STREAM_DESTROY:
        this.streams.destroy(msgs.parseStreamDestroy(body));
        return;
      case DisplayMsg.STREAM_DESTROY_ALL:
        this.streams.destroyAll();
        return;
      case DisplayMsg.STREAM_DATA:
      case DisplayMsg.STREAM_DATA_SIZED: {
        const data = msgs.parseStreamData(body, message.type === DisplayMsg.STREAM_DATA_SIZED);
        if (this.streams.isSkipped(data)) return;
        return this.streams.decodeFrame(data).then((frame) => {
          if (frame) this.drawStreamFrame(frame);
        });
      }
      case DisplayMsg.STREAM_ACTIVATE_REPORT:
      case DisplayMsg.QUALITY_INDICATOR:
        return;
      case DisplayMsg.DRAW_STROKE:
      case DisplayMsg.DRAW_TEXT:
      case DisplayMsg.DRAW_COMPOSITE:
        this.warnOnce(`unsupported-${message.type}`, `${displayMessageName(message.type)} is not rendered (this client does not draw it)`);
        return;
      default:
        // Every message carries its size, so an unknown one can be skipped safely.
        this.warnOnce(`unknown-${message.type}`, `skipping unknown display message type ${message.type}`);
        return;
    }
  }

  private drawStreamFrame(frame: StreamFrame): void {
    const surface = this.surface(frame.surfaceId, 'stream frame');
    const areas = drawAreas(frame.dest, frame.clip, surface.width, surface.height);
    const srcArea = { left: 0, top: 0, right: frame.image.width, bottom: frame.image.height };
    draw.blit(surface, areas, { image: frame.image, srcArea, box: frame.dest }, ROP_COPY);
    this.damaged(surface, areas);
  }
}
