import { inflateSync } from 'node:zlib';
import { convertRows } from '../../../codec/image-transform';
import type { CanvasSurface } from '../canvas/canvas-surface';
import { decodeBitmap } from '../decoders/bitmap';
import { newImage, type DecodedImage, type ImageAllocator } from '../decoders/decoded-image';
import { decodeGlz } from '../decoders/glz';
import type { GlzWindow } from '../decoders/glz-window';
import { decodeJpeg } from '../decoders/jpeg';
import { decodeLz, parseLzHeader } from '../decoders/lz';
import type { LzPasses } from '../decoders/lz-common';
import { defaultLzPasses } from '../decoders/lz-native';
import { LzImageType } from '../decoders/lz-common';
import { decodeSpiceLz4 } from '../decoders/lz4';
import type { QuicImageDecoder } from '../decoders/native-quic';
import { ImageFlag, ImageType } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { ImageCache } from './image-cache';
import type { ImageDescriptor, PaletteRef } from './image-descriptor';

/** SPICE_JPEG_ALPHA_FLAGS_TOPDOWN: the alpha plane's rows run top-down (else bottom-up, as BITMAP's). */
export const JPEG_ALPHA_FLAG_TOP_DOWN = 1;

/** Counts of decoded images by SPICE image type, for tests and the benchmark. */
export type DecodeCounts = Record<number, number>;

/**
 * Turns a parsed SpiceImage into pixels: picks the decoder, resolves palettes and cache
 * references, and stores CACHE_ME images. JPEG decoding is asynchronous (sharp); everything else
 * returns synchronously so that ordinary draws apply without leaving the event-loop turn.
 */
export class ImageResolver {
  readonly counts: DecodeCounts = {};

  constructor(
    private readonly cache: ImageCache,
    private readonly glzWindow: GlzWindow,
    private readonly quic: QuicImageDecoder,
    private readonly surfaces: Map<number, CanvasSurface>,
    /** Where the decoders that write every pixel decode to (see ImagePool). */
    private readonly allocate: ImageAllocator = newImage,
    /** LZ and GLZ's per-pixel loops: the addon's when it is built. */
    private readonly lzPasses: LzPasses = defaultLzPasses(),
  ) {}

  resolve(desc: ImageDescriptor): DecodedImage | Promise<DecodedImage> {
    this.counts[desc.type] = (this.counts[desc.type] ?? 0) + 1;
    const decoded = this.decode(desc);
    if (decoded instanceof Promise) return decoded.then((image) => this.remember(desc, image));
    return this.remember(desc, decoded);
  }

  private remember(desc: ImageDescriptor, image: DecodedImage): DecodedImage {
    if ((desc.flags & (ImageFlag.CACHE_ME | ImageFlag.CACHE_REPLACE_ME)) !== 0 && desc.payload.kind !== 'surface') {
      this.cache.putImage(desc.id, image.transient ? { ...image, pixels: image.pixels.slice(), transient: false } : image);
    }
    return image;
  }

  private palette(ref: PaletteRef, what: string): Uint32Array | undefined {
    if (ref.kind === 'none') return undefined;
    if (ref.kind === 'cached') {
      const palette = this.cache.getPalette(ref.id);
      if (!palette) throw new SpiceProtocolError(`${what}: palette ${ref.id} is not in the palette cache`);
      return palette.entries;
    }
    if (ref.cacheMe) this.cache.putPalette(ref.palette);
    return ref.palette.entries;
  }

  private decode(desc: ImageDescriptor): DecodedImage | Promise<DecodedImage> {
    const p = desc.payload;
    const expected = { width: desc.width, height: desc.height };
    switch (p.kind) {
      case 'bitmap':
        return decodeBitmap({ ...p, palette: this.palette(p.palette, 'BITMAP') }, this.allocate);
      case 'lz_plt': {
        const palette = this.palette(p.palette, 'LZ_PLT');
        if (!palette) throw new SpiceProtocolError('LZ_PLT: image has no palette');
        return decodeLz(p.data, palette, expected, this.allocate, this.lzPasses);
      }
      case 'binary':
        switch (desc.type) {
          case ImageType.QUIC:
            return this.quic.decode(p.data, expected);
          case ImageType.LZ_RGB:
            return decodeLz(p.data, undefined, expected, this.allocate, this.lzPasses);
          case ImageType.GLZ_RGB:
            return decodeGlz(p.data, this.glzWindow, expected, this.allocate, this.lzPasses);
          case ImageType.LZ4:
            return decodeSpiceLz4(p.data, desc.width, desc.height);
          case ImageType.JPEG:
            return decodeJpeg(p.data);
        }
        throw new SpiceProtocolError(`image type ${desc.type} has no decoder`);
      case 'zlib_glz': {
        let glz: Buffer;
        try {
          glz = inflateSync(p.data, { maxOutputLength: Math.max(p.glzDataSize, 1) });
        } catch (error) {
          throw new SpiceProtocolError(`ZLIB_GLZ_RGB: inflate failed (${error instanceof Error ? error.message : String(error)})`);
        }
        if (glz.length !== p.glzDataSize) {
          throw new SpiceProtocolError(`ZLIB_GLZ_RGB: inflated ${glz.length} bytes, header says ${p.glzDataSize}`);
        }
        return decodeGlz(glz, this.glzWindow, expected, this.allocate, this.lzPasses);
      }
      case 'jpeg_alpha':
        return decodeJpeg(p.data.subarray(0, p.jpegSize), 'JPEG_ALPHA').then((image) =>
          addJpegAlpha(image, p.data.subarray(p.jpegSize), p.flags),
        );
      case 'surface': {
        const surface = this.surfaces.get(p.surfaceId);
        if (!surface) throw new SpiceProtocolError(`SURFACE image: surface ${p.surfaceId} does not exist`);
        return surface.asImage();
      }
      case 'cached': {
        const image = this.cache.getImage(desc.id);
        if (!image) throw new SpiceProtocolError(`FROM_CACHE: image ${desc.id} is not in the pixmap cache`);
        return image;
      }
    }
  }
}

/**
 * JPEG_ALPHA's alpha plane, an LZ XXXA stream, laid into the decoded JPEG (always top-down). The
 * plane's rows run as the image's TOP_DOWN flag says; the reference client refuses a plane whose
 * own header disagrees with that flag, and so do we, rather than guess which of the two is wrong.
 */
export function addJpegAlpha(image: DecodedImage, alphaData: Uint8Array, flags: number): DecodedImage {
  const header = parseLzHeader(alphaData);
  if (header.type !== LzImageType.XXXA) throw new SpiceProtocolError(`JPEG_ALPHA: alpha plane has LZ type ${header.type}, not XXXA`);
  const topDown = (flags & JPEG_ALPHA_FLAG_TOP_DOWN) !== 0;
  if (header.topDown !== topDown) {
    throw new SpiceProtocolError(
      `JPEG_ALPHA: the flags say the alpha plane is ${topDown ? 'top-down' : 'bottom-up'} but its LZ header says ${header.topDown ? 'top-down' : 'bottom-up'}`,
    );
  }
  const { width, height } = image;
  // decodeLz returns the plane top-down whichever way it was sent.
  const alpha = decodeLz(alphaData, undefined, { width, height });
  convertRows('alpha32', alpha.pixels, 0, alpha.stride * 4, image.pixels, 0, image.stride * 4, width, height);
  image.hasAlpha = true;
  return image;
}
