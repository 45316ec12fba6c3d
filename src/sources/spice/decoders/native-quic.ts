import { loadNativeAddon, nativeAddonStatus } from '../../../codec/native-addon';
import { SpiceProtocolError } from '../wire/errors';
import { newImage, type DecodedImage } from './decoded-image';
import { QuicDecoder } from './quic';
import { QuicImageType, readQuicHeader } from './quic-header';

/** What the image resolver needs of a QUIC decoder; one per display channel (not re-entrant). */
export interface QuicImageDecoder {
  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage;
}

/**
 * QUIC decoding in the native addon (native/src/quic-decoder.cc): the same model as QuicDecoder,
 * bit for bit, at several times its speed. QUIC's adaptive Golomb codes are decoded one bit-serial
 * symbol per channel and pixel, which is where a photographic full-screen redraw spends its time.
 */
export class NativeQuicDecoder implements QuicImageDecoder {
  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage {
    const { type, width, height } = readQuicHeader(data, expected);
    const image = newImage(width, height, type === QuicImageType.RGBA);
    const problem = loadNativeAddon().decodeQuic(data, image.pixels);
    if (problem !== undefined) throw new SpiceProtocolError(`QUIC: ${problem}`);
    return image;
  }
}

/** The native decoder when the addon is there (and has it), the JavaScript one otherwise. */
export function createQuicDecoder(): QuicImageDecoder {
  const native = nativeAddonStatus().available && typeof loadNativeAddon().decodeQuic === 'function';
  return native ? new NativeQuicDecoder() : new QuicDecoder();
}
