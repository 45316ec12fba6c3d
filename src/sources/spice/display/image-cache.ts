import type { DecodedImage } from '../decoders/decoded-image';
import type { Palette } from './image-descriptor';

/**
 * The client's pixmap cache (images sent with CACHE_ME, reused by FROM_CACHE) and palette cache.
 * The server decides what lives here and invalidates entries explicitly; the pixel bound only
 * protects this process from a server that overruns the size the client announced.
 */
export class ImageCache {
  private readonly images = new Map<bigint, DecodedImage>();
  private readonly palettes = new Map<bigint, Palette>();
  private pixels = 0;

  constructor(readonly maxPixels: number) {}

  getImage(id: bigint): DecodedImage | undefined {
    return this.images.get(id);
  }

  putImage(id: bigint, image: DecodedImage): void {
    this.removeImage(id);
    const size = image.width * image.height;
    // Oldest entries go first when the announced size is exceeded (Map keeps insertion order).
    for (const [oldId] of this.images) {
      if (this.pixels + size <= this.maxPixels) break;
      this.removeImage(oldId);
    }
    this.images.set(id, image);
    this.pixels += size;
  }

  removeImage(id: bigint): void {
    const old = this.images.get(id);
    if (!old) return;
    this.images.delete(id);
    this.pixels -= old.width * old.height;
  }

  clearImages(): void {
    this.images.clear();
    this.pixels = 0;
  }

  getPalette(id: bigint): Palette | undefined {
    return this.palettes.get(id);
  }

  putPalette(palette: Palette): void {
    this.palettes.set(palette.unique, palette);
  }

  removePalette(id: bigint): void {
    this.palettes.delete(id);
  }

  clearPalettes(): void {
    this.palettes.clear();
  }

  get imageCount(): number {
    return this.images.size;
  }
}
