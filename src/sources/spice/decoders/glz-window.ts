import { SpiceProtocolError } from '../wire/errors';

/** One image in the GLZ dictionary, its pixels in encoding order (as the encoder saw them). */
export interface GlzWindowImage {
  id: bigint;
  pixels: Uint32Array;
}

/**
 * The client side of GLZ's cross-image dictionary: decoded images by id, kept until the server's
 * window moves past them. Each image header says how far back its window reaches
 * (win_head_dist); everything older than the newest image's window start is released.
 * One window per display channel: this client gives every channel its own dictionary id, so
 * images always arrive in id order on one connection.
 */
export class GlzWindow {
  private readonly images = new Map<bigint, GlzWindowImage>();
  private pixelCount = 0;

  constructor(
    /** Upper bound on retained pixels, a guard against a server that never releases. */
    private readonly maxPixels: number,
  ) {}

  get(id: bigint): GlzWindowImage {
    const image = this.images.get(id);
    if (!image) throw new SpiceProtocolError(`GLZ: image ${id} referenced but not in the dictionary window`);
    return image;
  }

  add(image: GlzWindowImage, winHeadDist: number): void {
    this.images.set(image.id, image);
    this.pixelCount += image.pixels.length;
    const oldest = image.id - BigInt(winHeadDist);
    // Images arrive in id order, and a Map iterates in insertion order: the ones to release are
    // at the front, so the walk stops at the first one kept (a text-heavy screen holds thousands
    // of small images, and walking them all for every new one was a third of the source's time).
    for (const [id, old] of this.images) {
      if (id === image.id || (id >= oldest && this.pixelCount <= this.maxPixels)) break;
      this.images.delete(id);
      this.pixelCount -= old.pixels.length;
    }
  }

  clear(): void {
    this.images.clear();
    this.pixelCount = 0;
  }

  get size(): number {
    return this.images.size;
  }
}
