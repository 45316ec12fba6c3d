import { loadNativeAddon, nativeAddonStatus } from '../../../codec/native-addon';
import { SpiceProtocolError } from '../wire/errors';
import type { DecodedImage, ImageAllocator } from './decoded-image';
import { ImagePool } from './image-pool';
import { QuicDecoder } from './quic';
import { QuicImageType, readQuicHeader } from './quic-header';

/** What the image resolver needs of a QUIC decoder; one per display channel (not re-entrant). */
export interface QuicImageDecoder {
  /** The image may be `transient` (see DecodedImage). */
  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage;
}

/**
 * QUIC decoding in the native addon (native/src/quic-decoder.cc): the same model as QuicDecoder,
 * bit for bit, at several times its speed. QUIC's adaptive Golomb codes are decoded one bit-serial
 * symbol per channel and pixel, which is where a photographic full-screen redraw spends its time.
 */
export class NativeQuicDecoder implements QuicImageDecoder {
  /** `allocate`: by default a pool of the decoder's own. */
  constructor(private readonly allocate: ImageAllocator = new ImagePool().image) {}

  /** Decodes into an image of the allocator's: transient when it comes from an ImagePool. */
  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage {
    const { type, width, height } = readQuicHeader(data, expected);
    const image = this.allocate(width, height, type === QuicImageType.RGBA);
    const problem = loadNativeAddon().decodeQuic(data, image.pixels);
    if (problem !== undefined) throw new SpiceProtocolError(`QUIC: ${problem}`);
    return image;
  }
}

/** The native decoder when the addon is there (and has it), the JavaScript one otherwise. */
export function createQuicDecoder(allocate?: ImageAllocator): QuicImageDecoder {
  const native = nativeAddonStatus().available && typeof loadNativeAddon().decodeQuic === 'function';
  return native ? new NativeQuicDecoder(allocate) : new QuicDecoder();
}
