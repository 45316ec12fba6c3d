/**
 * A display that shows a still image: a PNG/JPEG/WebP file (`--source image:FILE`), or pixels
 * given by an embedder. It damages the whole surface when the image is set and never otherwise,
 * which makes it the source of choice for checking scaling and rotation pixel by pixel.
 */
import { FieldError } from '../../core/field-error';
import { statSync } from 'node:fs';
import sharp from 'sharp';
import type { DisplaySink, DisplaySource, Rect, Surface, SurfaceFormat } from '../display-source';

export interface StillImage {
  width: number;
  height: number;
  format: SurfaceFormat;
  /** Packed: width * height * 4 bytes, alpha 255. */
  pixels: Buffer;
}

export class ImageSource implements DisplaySource {
  private image: StillImage | undefined;
  private sink: DisplaySink | undefined;

  constructor(
    readonly description: string,
    private readonly load: () => Promise<StillImage>,
  ) {}

  /**
   * A source showing the image file at `path`, decoded with sharp. start() rejects with a
   * TypeError that names the file and says what is wrong with it: missing, not a file,
   * unreadable, or not an image.
   */
  static fromFile(path: string): ImageSource {
    return new ImageSource(`image ${path}`, async () => {
      const field = `source: image:${path}`;
      let size: number;
      try {
        const stat = statSync(path);
        if (!stat.isFile()) throw new FieldError(field, 'not a file');
        size = stat.size;
      } catch (error) {
        if (error instanceof TypeError) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        throw new FieldError(
          field,
          code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot be read (${code})`,
        );
      }
      try {
        const { data, info } = await sharp(path).ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
        return { width: info.width, height: info.height, format: 'rgba8', pixels: data };
      } catch (error) {
        const why = (error as Error).message.replace(/^Input file (contains|is) /, '');
        throw new FieldError(
          field,
          `not an image that can be decoded (${size} bytes: ${why}); PNG, JPEG, WebP, GIF, TIFF, AVIF and SVG are`,
        );
      }
    });
  }

  /** A source showing the given pixels. */
  static fromPixels(image: StillImage, description = 'image'): ImageSource {
    return new ImageSource(description, async () => image);
  }

  async start(sink: DisplaySink): Promise<void> {
    this.sink = sink;
    this.setImage(await this.load());
  }

  async stop(): Promise<void> {
    this.sink = undefined;
  }

  /**
   * Replaces the image; the scheduler latches it at the next vsync. `damage` says what changed
   * (default: everything).
   */
  setImage(image: StillImage, damage?: readonly Rect[]): void {
    if (image.pixels.length !== image.width * image.height * 4) {
      throw new FieldError(
        'image.pixels',
        `expected ${image.width * image.height * 4} bytes for ${image.width}x${image.height}, got ${image.pixels.length}`,
      );
    }
    this.image = image;
    this.sink?.damage(damage ?? [{ x: 0, y: 0, width: image.width, height: image.height }]);
  }

  surface(): Surface | undefined {
    const image = this.image;
    return image && { width: image.width, height: image.height, stride: image.width * 4, format: image.format, pixels: image.pixels };
  }

  isLatchable(): boolean {
    return true;
  }
}
