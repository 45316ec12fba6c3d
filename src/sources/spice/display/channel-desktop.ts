/**
 * The SPICE server's display channels as one desktop. A VM with two QXL devices has two display
 * channels, each with a primary surface of its own (and monitor heads on it); screencap's
 * scheduler latches one surface. With one channel the desktop is that channel's surface, exposed
 * as is. With several, they are laid side by side, lowest channel id leftmost, top-aligned, in a
 * surface of the desktop's own that each channel's changes are copied into (only the damaged
 * rectangles, when the scheduler reads it); what no channel covers is opaque black.
 *
 * Every monitor head of every channel is a display of the desktop. Channel 0's heads keep their
 * head ids, so a one-channel VM's display ids do not change when it gains a channel; channel c's
 * head h is display c * HEAD_IDS_PER_CHANNEL + h. A channel that reports no heads is one display.
 */
import { copyRects } from '../../../codec/rect-copy';
import type { Display } from '../../../core/display';
import { clipToBounds, type Rect, unionDamage } from '../../../core/rect';
import type { Surface } from '../../display-source';
import type { CanvasSurface } from '../canvas/canvas-surface';
import type { MonitorHead } from './display-messages';
import { headsAsDisplays } from './monitor-heads';

/** Display ids per display channel: channel c's heads are c * 100 + head id. */
export const HEAD_IDS_PER_CHANNEL = 100;

const OPAQUE_BLACK = Buffer.from([0, 0, 0, 255]);

interface ChannelPicture {
  readonly id: number;
  /** The channel's primary surface since its MARK. */
  surface: CanvasSurface | undefined;
  heads: readonly MonitorHead[];
  /** Left edge on the desktop. */
  x: number;
  /** Damage not copied into the composed surface yet, in the channel's coordinates. */
  pending: Rect[];
}

export class ChannelDesktop {
  private readonly channels = new Map<number, ChannelPicture>();
  /** The channels with a picture, by id: the desktop's left-to-right order. */
  private shown: ChannelPicture[] = [];
  private exposed: Surface | undefined;
  /** The displays as last listed; the scheduler asks at every vsync, and they rarely change. */
  private listed: Display[] | undefined;

  /**
   * A channel's surface has its first complete picture (MARK). Returns the desktop damage: all of
   * it when the layout changed (a new channel or a new size), else the channel's region.
   */
  show(channelId: number, surface: CanvasSurface): Rect[] {
    const channel = this.channel(channelId);
    const sameRegion =
      this.shown.includes(channel) && channel.surface?.width === surface.width && channel.surface?.height === surface.height;
    channel.surface = surface;
    const region = { x: channel.x, y: 0, width: surface.width, height: surface.height };
    if (sameRegion && this.composed()) {
      channel.pending = [{ x: 0, y: 0, width: surface.width, height: surface.height }];
      return [region];
    }
    this.layOut();
    if (sameRegion) return [region];
    return this.exposed ? [{ x: 0, y: 0, width: this.exposed.width, height: this.exposed.height }] : [];
  }

  /** Rectangles of a shown channel's surface changed; returns them in desktop coordinates. */
  damage(channelId: number, rects: readonly Rect[]): Rect[] {
    const channel = this.channels.get(channelId);
    if (!channel?.surface || rects.length === 0) return [];
    if (!this.composed()) return [...rects];
    channel.pending.push(...rects);
    return rects.map((rect) => ({ ...rect, x: rect.x + channel.x }));
  }

  /** The desktop's size, without bringing its pixels up to date (undefined before any picture). */
  size(): { width: number; height: number } | undefined {
    return this.exposed;
  }

  /** Where a channel's surface starts on the desktop (0 until it is shown). */
  left(channelId: number): number {
    return this.channels.get(channelId)?.x ?? 0;
  }

  /** A channel's monitor heads (MONITORS_CONFIG). */
  setHeads(channelId: number, heads: readonly MonitorHead[]): void {
    this.channel(channelId).heads = heads;
    this.listed = undefined;
  }

  /**
   * The desktop's pixels now: with several channels, their changes are copied in first (so call
   * it only between two batches of updates, when the scheduler latches).
   */
  surface(): Surface | undefined {
    if (this.composed()) {
      const desktop = this.exposed!;
      for (const channel of this.shown) {
        if (channel.pending.length === 0) continue;
        const source = channel.surface!;
        // A view of the desktop from the channel's corner: its rows are the channel's rows.
        const corner = desktop.pixels.subarray(channel.x * 4);
        // Merged: a rectangle copied twice costs twice.
        const rects = unionDamage(
          [],
          channel.pending.map((rect) => clipToBounds(rect, source.width, source.height)),
        );
        copyRects(source.buffer, source.width * 4, corner, desktop.stride, false, rects);
        channel.pending = [];
      }
    }
    return this.exposed;
  }

  /** The desktop's displays: every head of every shown channel, where it lies on the desktop. */
  displays(): readonly Display[] {
    this.listed ??= this.list();
    return this.listed;
  }

  private list(): Display[] {
    if (!this.composed()) return this.shown.length === 1 ? headsAsDisplays(this.shown[0]!.heads) : [];
    const displays: Display[] = [];
    for (const channel of this.shown) {
      const surface = channel.surface!;
      const heads = headsAsDisplays(channel.heads).filter((head) => head.id < HEAD_IDS_PER_CHANNEL);
      const regions = heads.length > 0 ? heads : [{ id: 0, x: 0, y: 0, width: surface.width, height: surface.height }];
      for (const head of regions) {
        displays.push({
          id: channel.id * HEAD_IDS_PER_CHANNEL + head.id,
          name: `display ${channel.id} head ${head.id}`,
          x: channel.x + head.x,
          y: head.y,
          width: head.width,
          height: head.height,
          primary: displays.length === 0,
        });
      }
    }
    return displays;
  }

  /** Whether several channels are shown, in a surface of the desktop's own. */
  private composed(): boolean {
    return this.shown.length > 1;
  }

  private channel(id: number): ChannelPicture {
    let channel = this.channels.get(id);
    if (!channel) {
      channel = { id, surface: undefined, heads: [], x: 0, pending: [] };
      this.channels.set(id, channel);
    }
    return channel;
  }

  /** Places the shown channels side by side and builds the desktop's surface. */
  private layOut(): void {
    this.listed = undefined;
    this.shown = [...this.channels.values()].filter((c) => c.surface).sort((a, b) => a.id - b.id);
    let width = 0;
    let height = 0;
    for (const channel of this.shown) {
      channel.x = width;
      width += channel.surface!.width;
      height = Math.max(height, channel.surface!.height);
    }
    if (this.shown.length === 0) {
      this.exposed = undefined;
    } else if (this.shown.length === 1) {
      const surface = this.shown[0]!.surface!;
      this.exposed = { width: surface.width, height: surface.height, stride: surface.width * 4, format: 'bgra8', pixels: surface.buffer };
    } else {
      // A layout change is rare (a channel's first picture, a resize): a new surface then.
      const pixels = Buffer.alloc(width * height * 4).fill(OPAQUE_BLACK);
      this.exposed = { width, height, stride: width * 4, format: 'bgra8', pixels };
      for (const channel of this.shown) channel.pending = [{ x: 0, y: 0, width: channel.surface!.width, height: channel.surface!.height }];
    }
  }
}
