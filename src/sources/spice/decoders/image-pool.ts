import type { DecodedImage } from './decoded-image';

/** One buffer per image a message can resolve: a source, a brush and a mask. */
const SLOTS = 3;
/** A full 1080p screen: larger images (rare: servers send screens in tiles) get their own buffer. */
const MAX_REUSED_PIXELS = 1920 * 1080;

/**
 * Pixel buffers for decoded images, one display channel's, reused in turn. A photographic redraw
 * is a stream of large images, and a fresh buffer for each costs a page fault per 4 KiB written,
 * and garbage. The images are `transient` (see DecodedImage): valid for the draw being applied;
 * whoever keeps one, as the image cache does, keeps a copy. Their pixels are left as the last
 * image wrote them: only decoders that write every pixel take images from here.
 */
export class ImagePool {
  private readonly buffers: Uint32Array[] = Array.from({ length: SLOTS }, () => new Uint32Array(0));
  private next = 0;

  /** An image to decode into; its own (not transient) when larger than a 1080p screen. */
  readonly image = (width: number, height: number, hasAlpha: boolean): DecodedImage => {
    const count = width * height;
    if (count > MAX_REUSED_PIXELS) return { width, height, stride: width, pixels: new Uint32Array(count), hasAlpha };
    const slot = this.next;
    this.next = (slot + 1) % SLOTS;
    if (this.buffers[slot].length < count) this.buffers[slot] = new Uint32Array(count);
    return { width, height, stride: width, pixels: this.buffers[slot].subarray(0, count), hasAlpha, transient: true };
  };
}
