import { loadNativeAddon, type NativeVideoDecoder, nativeAddonStatus } from '../../../codec/native-addon';
import { VideoCodec } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions, type DecodedImage } from './decoded-image';

/** The codecs decoded in the native addon, by their SPICE number. */
const NATIVE_CODECS: ReadonlyMap<number, 'h264' | 'vp8'> = new Map([
  [VideoCodec.H264, 'h264'],
  [VideoCodec.VP8, 'vp8'],
]);

/**
 * The video codecs this client can decode: MJPEG always (sharp), H.264 and VP8 when the native
 * addon is built with its VideoDecoder (openh264 and libvpx).
 */
export function decodableVideoCodecs(): number[] {
  const native = nativeAddonStatus().available && typeof loadNativeAddon().VideoDecoder === 'function';
  return [VideoCodec.MJPEG, ...(native ? [...NATIVE_CODECS.keys()] : [])];
}

/**
 * GStreamer's default colorimetry for the encoder's 4:2:0 input, which spice-server's pipeline
 * (appsrc ! videoconvert ! x264enc/vp8enc) leaves unset, so videoconvert converted with it:
 * BT.709 above 576 lines, BT.601 up to there, studio range in both. Only VP8 needs it: H.264
 * streams state their matrix in the VUI, which the addon applies instead.
 */
function matrixFor(height: number): 'bt601' | 'bt709' {
  return height > 576 ? 'bt709' : 'bt601';
}

/**
 * One H.264 or VP8 stream's decoder: each STREAM_DATA payload (an Annex-B access unit, a VP8
 * frame) depends on the frames before it, so a stream keeps its decoder until it is destroyed.
 * Decoding runs on a worker thread (a full-screen keyframe takes over 100 ms; see
 * native/src/video-decoder.h); the display channel awaits it, as it awaits MJPEG, so messages
 * still apply in order. Frames decode into one reused pixel buffer (a video is a frame-sized
 * decode many times a second); the image handed back is `transient`, drawn before the next
 * frame's decode starts.
 */
export class StreamVideoDecoder {
  private readonly decoder: NativeVideoDecoder;
  private pixels = new Uint32Array(0);

  constructor(
    readonly codec: number,
    private readonly what: string,
  ) {
    const name = NATIVE_CODECS.get(codec);
    const VideoDecoder = loadNativeAddon().VideoDecoder;
    if (name === undefined || VideoDecoder === undefined) throw new Error(`${what}: no native decoder for codec ${codec}`);
    this.decoder = new VideoDecoder(name);
  }

  /** The frame's picture, or undefined when the frame shows none (it only updates references). */
  async decode(data: Uint8Array, width: number, height: number, bottomUp: boolean): Promise<DecodedImage | undefined> {
    checkDimensions(width, height, this.what);
    if (this.pixels.length < width * height) this.pixels = new Uint32Array(width * height);
    const pixels = this.pixels.subarray(0, width * height);
    const result = await this.decoder.decode(data, width, height, pixels, bottomUp, matrixFor(height));
    if (typeof result === 'string') throw new SpiceProtocolError(`${this.what}: ${result}`);
    return result ? { width, height, stride: width, pixels, hasAlpha: false, transient: true } : undefined;
  }

  close(): void {
    this.decoder.close();
  }
}
