import { SurfaceFormat } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { DecodedImage } from '../decoders/decoded-image';

/** Surfaces larger than this are refused: 16384 x 16384 covers any real display. */
const MAX_SURFACE_SIDE = 16384;

/**
 * One SPICE surface (primary or offscreen) as 32-bit pixels in SPICE's own order (B,G,R,A bytes).
 * 16-bit surfaces are widened to 32 bits on the way in. Surfaces without alpha (xRGB, 16-bit) are
 * opaque: every write sets alpha to 255, as the display-source contract requires.
 */
export class CanvasSurface {
  readonly buffer: Buffer;
  readonly pixels: Uint32Array;
  readonly opaque: boolean;

  constructor(
    readonly id: number,
    readonly width: number,
    readonly height: number,
    readonly format: number,
  ) {
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width <= 0 ||
      height <= 0 ||
      width > MAX_SURFACE_SIDE ||
      height > MAX_SURFACE_SIDE
    ) {
      throw new SpiceProtocolError(`SURFACE_CREATE: surface ${id} has implausible size ${width}x${height}`);
    }
    this.buffer = Buffer.alloc(width * height * 4);
    this.pixels = new Uint32Array(this.buffer.buffer, this.buffer.byteOffset, width * height);
    this.opaque = format !== SurfaceFormat.ARGB32 && format !== SurfaceFormat.A8 && format !== SurfaceFormat.A1;
    if (this.opaque) this.pixels.fill(0xff000000);
  }

  /** True for 16-bit surfaces, whose brush colours arrive as 16-bit values. */
  get is16Bit(): boolean {
    return this.format === SurfaceFormat.RGB16_555 || this.format === SurfaceFormat.RGB16_565;
  }

  /** The surface as a source image (SURFACE images, COPY_BITS); no copy. */
  asImage(): DecodedImage {
    return { width: this.width, height: this.height, stride: this.width, pixels: this.pixels, hasAlpha: !this.opaque };
  }
}
