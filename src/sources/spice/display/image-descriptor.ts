import { BitmapFlag, ImageType } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { ByteReader } from '../wire/reader';

/** A palette as sent (SpicePalette): a unique id for the palette cache and its 0x00RRGGBB entries. */
export interface Palette {
  unique: bigint;
  entries: Uint32Array;
}

/** Either a palette sent inline or a reference to one cached earlier. */
export type PaletteRef = { kind: 'inline'; palette: Palette; cacheMe: boolean } | { kind: 'cached'; id: bigint } | { kind: 'none' };

export interface BitmapPayload {
  kind: 'bitmap';
  format: number;
  flags: number;
  width: number;
  height: number;
  stride: number;
  palette: PaletteRef;
  data: Buffer;
}
export interface BinaryPayload {
  kind: 'binary';
  data: Buffer;
}
export interface LzPltPayload {
  kind: 'lz_plt';
  flags: number;
  palette: PaletteRef;
  data: Buffer;
}
export interface ZlibGlzPayload {
  kind: 'zlib_glz';
  glzDataSize: number;
  data: Buffer;
}
export interface JpegAlphaPayload {
  kind: 'jpeg_alpha';
  flags: number;
  jpegSize: number;
  data: Buffer;
}
export interface SurfacePayload {
  kind: 'surface';
  surfaceId: number;
}
export interface CachedPayload {
  kind: 'cached';
}

/** SpiceImage: the descriptor and its type-specific payload, parsed but not decoded. */
export interface ImageDescriptor {
  id: bigint;
  type: number;
  flags: number;
  width: number;
  height: number;
  payload: BitmapPayload | BinaryPayload | LzPltPayload | ZlibGlzPayload | JpegAlphaPayload | SurfacePayload | CachedPayload;
}

/** Bitmaps and decoded images are bounded so that a lying header cannot make us allocate gigabytes. */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

function readPalette(r: ByteReader, offset: number): Palette {
  const p = r.at(offset, 'palette');
  const unique = p.u64('palette.unique');
  const count = p.u16('palette.num_ents');
  const raw = p.bytes(count * 4, 'palette.ents');
  const entries = new Uint32Array(count);
  for (let i = 0; i < count; i++) entries[i] = raw.readUInt32LE(i * 4);
  return { unique, entries };
}

function readPaletteRef(r: ByteReader, flags: number, field: string): PaletteRef {
  if (flags & BitmapFlag.PAL_FROM_CACHE) return { kind: 'cached', id: r.u64(`${field}.palette_id`) };
  const offset = r.u32(`${field}.palette`);
  if (offset === 0) return { kind: 'none' };
  return { kind: 'inline', palette: readPalette(r, offset), cacheMe: (flags & BitmapFlag.PAL_CACHE_ME) !== 0 };
}

/** Parses the SpiceImage at a body offset. */
export function parseImage(body: ByteReader, offset: number, field: string): ImageDescriptor {
  const r = body.at(offset, field);
  const id = r.u64(`${field}.id`);
  const type = r.u8(`${field}.type`);
  const flags = r.u8(`${field}.flags`);
  const width = r.u32(`${field}.width`);
  const height = r.u32(`${field}.height`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new SpiceProtocolError(`${r.context}: ${field} is ${width}x${height}, more than ${MAX_IMAGE_PIXELS} pixels`);
  }
  const binary = (): BinaryPayload => {
    const size = r.u32(`${field}.data_size`);
    return { kind: 'binary', data: r.bytes(size, `${field}.data`) };
  };
  let payload: ImageDescriptor['payload'];
  switch (type) {
    case ImageType.BITMAP: {
      const format = r.u8(`${field}.bitmap.format`);
      const bflags = r.u8(`${field}.bitmap.flags`);
      const x = r.u32(`${field}.bitmap.x`);
      const y = r.u32(`${field}.bitmap.y`);
      const stride = r.u32(`${field}.bitmap.stride`);
      const palette = readPaletteRef(r, bflags, `${field}.bitmap`);
      const data = r.bytes(stride * y, `${field}.bitmap.data`);
      payload = { kind: 'bitmap', format, flags: bflags, width: x, height: y, stride, palette, data };
      break;
    }
    case ImageType.QUIC:
    case ImageType.LZ_RGB:
    case ImageType.GLZ_RGB:
    case ImageType.JPEG:
    case ImageType.LZ4:
      payload = binary();
      break;
    case ImageType.LZ_PLT: {
      const pflags = r.u8(`${field}.lz_plt.flags`);
      const size = r.u32(`${field}.lz_plt.data_size`);
      const palette = readPaletteRef(r, pflags, `${field}.lz_plt`);
      payload = { kind: 'lz_plt', flags: pflags, palette, data: r.bytes(size, `${field}.lz_plt.data`) };
      break;
    }
    case ImageType.ZLIB_GLZ_RGB: {
      const glzDataSize = r.u32(`${field}.zlib_glz.glz_data_size`);
      const size = r.u32(`${field}.zlib_glz.data_size`);
      payload = { kind: 'zlib_glz', glzDataSize, data: r.bytes(size, `${field}.zlib_glz.data`) };
      break;
    }
    case ImageType.JPEG_ALPHA: {
      const jflags = r.u8(`${field}.jpeg_alpha.flags`);
      const jpegSize = r.u32(`${field}.jpeg_alpha.jpeg_size`);
      const size = r.u32(`${field}.jpeg_alpha.data_size`);
      if (jpegSize > size)
        throw new SpiceProtocolError(`${r.context}: ${field}.jpeg_alpha.jpeg_size ${jpegSize} exceeds data_size ${size}`);
      payload = { kind: 'jpeg_alpha', flags: jflags, jpegSize, data: r.bytes(size, `${field}.jpeg_alpha.data`) };
      break;
    }
    case ImageType.SURFACE:
      payload = { kind: 'surface', surfaceId: r.u32(`${field}.surface_id`) };
      break;
    case ImageType.FROM_CACHE:
    case ImageType.FROM_CACHE_LOSSLESS:
      payload = { kind: 'cached' };
      break;
    default:
      throw new SpiceProtocolError(`${r.context}: ${field}.type ${type} is not a SPICE image type`);
  }
  return { id, type, flags, width, height, payload };
}
