import { loadNativeAddon, nativeAddonStatus } from '../../../codec/native-addon';
import { SpiceProtocolError } from '../wire/errors';
import type { DecodedImage } from './decoded-image';
import { QuicDecoder } from './quic';
import { QuicImageType, readQuicHeader } from './quic-header';

/** What the image resolver needs of a QUIC decoder; one per display channel (not re-entrant). */
export interface QuicImageDecoder {
  /** The image may be `transient` (see DecodedImage). */
  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage;
}

/** A full 1080p screen, and a bound on what the reused buffers pin (three of 8 MB). */
const MAX_REUSED_PIXELS = 1920 * 1080;

/**
 * QUIC decoding in the native addon (native/src/quic-decoder.cc): the same model as QuicDecoder,
 * bit for bit, at several times its speed. QUIC's adaptive Golomb codes are decoded one bit-serial
 * symbol per channel and pixel, which is where a photographic full-screen redraw spends its time.
 */
export class NativeQuicDecoder implements QuicImageDecoder {
  /**
   * Pixel buffers reused in turn, one per image a message can resolve (a source, a brush and a
   * mask): a photographic redraw is a stream of QUIC images, and a fresh buffer for each costs a
   * page fault per 4 KiB written, and garbage.
   */
  private readonly buffers: Uint32Array[] = [new Uint32Array(0), new Uint32Array(0), new Uint32Array(0)];
  private next = 0;

  /** Decodes into one of the reused buffers: the image is `transient` (see DecodedImage). */
  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage {
    const { type, width, height } = readQuicHeader(data, expected);
    // Images larger than the reused buffers take (rare: servers send screens in tiles) get their own.
    const transient = width * height <= MAX_REUSED_PIXELS;
    const pixels = transient ? this.reused(width * height) : new Uint32Array(width * height);
    const problem = loadNativeAddon().decodeQuic(data, pixels);
    if (problem !== undefined) throw new SpiceProtocolError(`QUIC: ${problem}`);
    return { width, height, stride: width, pixels, hasAlpha: type === QuicImageType.RGBA, transient };
  }

  private reused(size: number): Uint32Array {
    const slot = this.next;
    this.next = (slot + 1) % this.buffers.length;
    if (this.buffers[slot].length < size) this.buffers[slot] = new Uint32Array(size);
    return this.buffers[slot].subarray(0, size);
  }
}

/** The native decoder when the addon is there (and has it), the JavaScript one otherwise. */
export function createQuicDecoder(): QuicImageDecoder {
  const native = nativeAddonStatus().available && typeof loadNativeAddon().decodeQuic === 'function';
  return native ? new NativeQuicDecoder() : new QuicDecoder();
}
