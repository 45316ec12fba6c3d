/**
 * H.264 encoding of screen frames with the system's openh264 (through the native addon).
 *
 * Each encode() converts one packed RGBA/BGRA frame to I420 (libyuv) and encodes it, both on a
 * libuv worker thread, so the event loop keeps serving clients meanwhile. Frames go in one at a
 * time: openh264 carries state from frame to frame, so a second encode() before the first has
 * settled is refused rather than queued (the caller decides which frame to drop: the latest
 * frame should win, and a queue would hide that choice).
 *
 * The stream is Constrained Baseline with no B-frames: each frame out is the frame in, so
 * decode order is presentation order. SPS and PPS come with every IDR and keep the same ids for
 * the whole stream, so the first keyframe's pair is valid for an MP4 track's avcC.
 *
 * The SPS declares the colours (readSpsColour): BT.601 matrix at full range, which is the
 * conversion made, and the screen's sRGB primaries and transfer; players that honour it show the
 * screen's colours (docs/recording.md, Colour).
 */
import { FieldError } from '../../core/field-error';
import { NalUnitType, nalUnitType } from './avc';
import { H264_MAX_PIXELS as MAX_PIXELS, H264_MAX_SIDE as MAX_SIDE, MAX_ENCODER_THREADS } from '../encoder-limits';
import { loadNativeAddon, nativeAddonStatus, type NativeH264Encoder } from '../native-addon';
import type { PixelFormat } from '../../core/pixel-format';
import { PIXEL_FORMATS } from '../../core/pixel-format';
import { requireBoolean, requireEvenInteger, requireInteger, requireNumber, requireOneOf, requirePackedImage } from '../codec-arguments';

export interface H264EncoderOptions {
  /**
   * Picture width in pixels: an even integer from 2 to 8192, with width * height at most
   * 9,437,184 (openh264's level 5.2 ceiling, 4096x2304). Every frame must have this size; a
   * resolution change needs a new encoder.
   */
  width: number;
  /** Picture height in pixels: an even integer from 2 to 8192 (see width for the area limit). */
  height: number;
  /**
   * What openh264 tunes for: 'screen' (SCREEN_CONTENT_REAL_TIME: text, flat colour, scrolling;
   * the default) or 'camera' (CAMERA_VIDEO_REAL_TIME: natural video, about 1.5x faster).
   */
  usage?: 'screen' | 'camera';
  /**
   * 'bitrate' (the default, RC_BITRATE_MODE): hold `bitrateBps` (see `frameSkip`). 'quality'
   * (RC_QUALITY_MODE): favour picture quality, with `bitrateBps` as a guide.
   */
  rateControl?: 'bitrate' | 'quality';
  /** Target bitrate in bits per second, from 10,000 to 200,000,000. Default 5,000,000 (5 Mbit/s). */
  bitrateBps?: number;
  /**
   * The highest frame rate the stream will carry, in frames per second (1 to 240; default 60).
   * Rate control budgets bits per frame from it (bitrateBps / maxFrameRate each frame, whatever
   * the timestamps say): frames that come slower (only on damage) spend less than bitrateBps.
   */
  maxFrameRate?: number;
  /**
   * Whether rate control may drop frames to hold the bitrate (openh264's bEnableFrameSkip; default
   * true). Without it, every frame is coded and only the quantiser holds the bitrate: a frame
   * larger than its share (a keyframe, a scene change) is paid back by the next ones. Dropping
   * hurts moving content: the next frame is further from its reference, so it costs more and is
   * dropped in turn (camera usage at 5 Mbit/s on a scrolling 1080p page, every second frame of
   * its 60: 76 of 270 dropped, frames of up to 205 KB after them, the rest at 33.5 dB; with
   * frameSkip false all 270 at 36.3 dB, no P frame above 23 KB; docs/PERFORMANCE.md). Skipped frames
   * come back with `skipped` set.
   */
  frameSkip?: boolean;
  /**
   * An IDR every this many frames (0 to 100,000). Default 0: only the first frame and frames
   * encoded with `forceKeyframe`, since the recorder and the viewer know when they need one
   * (a new fragment, a new viewer) and periodic IDRs on a static desktop only cost bits.
   */
  keyframeIntervalFrames?: number;
  /**
   * Encoder threads, 1 to MAX_ENCODER_THREADS (4; default 1). More than one splits each picture into that many
   * slices encoded in parallel: faster on an idle machine, slightly larger output.
   */
  threads?: number;
}

export interface EncodeOptions {
  /** Byte order of `pixels`. */
  format: PixelFormat;
  /** Bytes per row of `pixels`; at least width * 4. Default width * 4 (packed). */
  stride?: number;
  /** Encode this frame as an IDR (with SPS and PPS) whatever the keyframe interval says. */
  forceKeyframe?: boolean;
  /**
   * Presentation time in milliseconds, used by rate control to spread the bit budget over real
   * time. Default: the frame's index at `maxFrameRate`.
   */
  timestampMs?: number;
}

export interface EncodeAgainOptions {
  /**
   * 'repeat' (the default): a P frame under rate control, as for any frame; an unchanged picture
   * then costs a few bytes (skipped blocks), e.g. to repeat it on a constant-rate grid.
   * 'sharp': an IDR at a fixed low quantiser (15), whatever the bitrate: a picture that stopped
   * changing, coded well once (52 dB PSNR on a 1080p desktop, 42 KB; docs/recording.md).
   */
  quality?: 'repeat' | 'sharp';
  /** As for encode(). */
  timestampMs?: number;
}

/**
 * How long a screen must have stood still (no new frame) before its picture is worth a sharp
 * pass (encodeAgain 'sharp'), for the recorder and the live view alike. Damage-driven encoding
 * never revisits a picture, so one that stops changing would stay as blurred as the last busy
 * frame. Long enough that typing or a moving window, which change the screen several times a
 * second, are not interrupted by costly IDRs; short enough that a reader sees the sharp picture
 * at once.
 */
export const SHARPEN_AFTER_STILL_MS = 400;

export interface EncodedFrame {
  /**
   * The access unit's NAL units, each without a start code, in decode order: views into one
   * Buffer per frame. A keyframe starts with SPS and PPS. Empty when `skipped`. `avccSample()`
   * makes an MP4 sample of them, `annexB()` a raw .h264 stream.
   */
  nalUnits: Buffer[];
  /** True for an IDR: a decoder can start here (an MP4 sync sample). */
  isKeyframe: boolean;
  /** Rate control dropped this frame: nothing to write; the previous picture stays on screen. */
  skipped: boolean;
  /** Time spent converting RGBA/BGRA to I420, in microseconds. */
  convertMicros: number;
  /** Time spent in openh264's EncodeFrame, in microseconds. */
  encodeMicros: number;
}

export interface ParameterSets {
  sps: Buffer;
  pps: Buffer;
}

const DEFAULTS = {
  usage: 'screen',
  rateControl: 'bitrate',
  bitrateBps: 5_000_000,
  maxFrameRate: 60,
  keyframeIntervalFrames: 0,
  threads: 1,
  frameSkip: true,
} as const;

/** True when the native addon (and so openh264) is there; otherwise record PNG instead. */
export function isH264Available(): boolean {
  return nativeAddonStatus().available;
}

type EncoderState = 'idle' | 'encoding' | 'closed';

export class H264Encoder {
  readonly width: number;
  readonly height: number;
  readonly maxFrameRate: number;
  private readonly native: NativeH264Encoder;
  private state: EncoderState = 'idle';
  private framesEncoded = 0;
  private parameters: ParameterSets | undefined;

  /**
   * Starts an openh264 encoder. Throws a TypeError naming the field for a bad option, and an
   * Error when the native addon is missing (check `isH264Available()` first) or openh264
   * refuses the settings.
   */
  constructor(options: H264EncoderOptions) {
    if (options === null || typeof options !== 'object') throw new FieldError('options', 'must be an object.');
    this.width = requireEvenInteger(options.width, 'options.width', 2, MAX_SIDE);
    this.height = requireEvenInteger(options.height, 'options.height', 2, MAX_SIDE);
    if (this.width * this.height > MAX_PIXELS) {
      throw new FieldError(
        'options.width x options.height',
        `must be at most ${MAX_PIXELS} pixels (H.264 level 5.2, e.g. 4096x2304); got ${this.width}x${this.height}.`,
      );
    }
    const usage = requireOneOf(options.usage ?? DEFAULTS.usage, 'options.usage', ['screen', 'camera'] as const);
    const rateControl = requireOneOf(options.rateControl ?? DEFAULTS.rateControl, 'options.rateControl', ['bitrate', 'quality'] as const);
    const bitrateBps = requireInteger(options.bitrateBps ?? DEFAULTS.bitrateBps, 'options.bitrateBps', 10_000, 200_000_000);
    this.maxFrameRate = requireNumber(options.maxFrameRate ?? DEFAULTS.maxFrameRate, 'options.maxFrameRate', 1, 240);
    const keyframeIntervalFrames = requireInteger(
      options.keyframeIntervalFrames ?? DEFAULTS.keyframeIntervalFrames,
      'options.keyframeIntervalFrames',
      0,
      100_000,
    );
    const threads = requireInteger(options.threads ?? DEFAULTS.threads, 'options.threads', 1, MAX_ENCODER_THREADS);
    const frameSkip = requireBoolean(options.frameSkip ?? DEFAULTS.frameSkip, 'options.frameSkip');
    const addon = loadNativeAddon();
    this.native = new addon.H264Encoder({
      width: this.width,
      height: this.height,
      usage,
      rateControl,
      bitrateBps,
      maxFrameRate: this.maxFrameRate,
      keyframeIntervalFrames,
      threads,
      frameSkip,
    });
  }

  /**
   * Encodes one frame of exactly width x height pixels. Do not modify `pixels` until the promise
   * settles: a worker thread reads it. Rejects with a TypeError naming the field for bad
   * arguments, and with an Error when the encoder is closed or still busy with the previous frame.
   */
  async encode(pixels: Buffer, options: EncodeOptions): Promise<EncodedFrame> {
    if (this.state === 'closed') throw new Error('H264Encoder.encode: the encoder is closed.');
    if (this.state === 'encoding') {
      throw new Error('H264Encoder.encode: the previous encode() has not settled; await it before encoding the next frame.');
    }
    if (options === null || typeof options !== 'object') throw new FieldError('options', 'must be an object.');
    const format = requireOneOf(options.format, 'options.format', PIXEL_FORMATS);
    const stride = requirePackedImage(pixels, 'pixels', this.width, this.height, options.stride, 'options.stride');
    const forceKeyframe = requireBoolean(options.forceKeyframe ?? false, 'options.forceKeyframe');
    const timestampMs = requireNumber(
      options.timestampMs ?? Math.round((this.framesEncoded * 1000) / this.maxFrameRate),
      'options.timestampMs',
      0,
      Number.MAX_SAFE_INTEGER,
    );

    return this.run(pixels, format, stride, forceKeyframe, timestampMs, false);
  }

  /**
   * Encodes the previous frame's picture once more (no colour conversion: the encoder kept it),
   * as a P frame against what the decoder shows: to repeat a picture on a constant-rate grid, or
   * to sharpen one that stopped changing. Rejects when nothing was encoded yet.
   */
  async encodeAgain(options: EncodeAgainOptions = {}): Promise<EncodedFrame> {
    if (this.state === 'closed') throw new Error('H264Encoder.encodeAgain: the encoder is closed.');
    if (this.state === 'encoding') {
      throw new Error('H264Encoder.encodeAgain: the previous encode() has not settled; await it before encoding the next frame.');
    }
    if (this.framesEncoded === 0) throw new Error('H264Encoder.encodeAgain: no frame has been encoded yet.');
    const quality = requireOneOf(options.quality ?? 'repeat', 'options.quality', ['repeat', 'sharp'] as const);
    const timestampMs = requireNumber(
      options.timestampMs ?? Math.round((this.framesEncoded * 1000) / this.maxFrameRate),
      'options.timestampMs',
      0,
      Number.MAX_SAFE_INTEGER,
    );
    return this.run(null, 'rgba8', this.width * 4, quality === 'sharp', timestampMs, quality === 'sharp');
  }

  private async run(
    pixels: Buffer | null,
    format: PixelFormat,
    stride: number,
    forceKeyframe: boolean,
    timestampMs: number,
    sharp: boolean,
  ): Promise<EncodedFrame> {
    this.state = 'encoding';
    try {
      const result = await this.native.encode(pixels, format, stride, forceKeyframe, timestampMs, sharp);
      this.framesEncoded++;
      const nalUnits: Buffer[] = [];
      let offset = 0;
      for (const size of result.nalSizes) {
        nalUnits.push(result.data.subarray(offset, offset + size));
        offset += size;
      }
      const isKeyframe = result.frameType === 'idr';
      if (isKeyframe && this.parameters === undefined) this.parameters = findParameterSets(nalUnits);
      return {
        nalUnits,
        isKeyframe,
        skipped: result.frameType === 'skip',
        convertMicros: result.convertMicros,
        encodeMicros: result.encodeMicros,
      };
    } finally {
      if (this.state === 'encoding') this.state = 'idle';
    }
  }

  /**
   * The stream's SPS and PPS (raw NAL units, no start codes), for an MP4 avcC or a WebCodecs
   * description; undefined until the first keyframe has been encoded.
   */
  parameterSets(): ParameterSets | undefined {
    return this.parameters;
  }

  /** Frees the openh264 encoder (after the frame in progress, if any). Safe to call twice. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.native.close();
  }
}

function findParameterSets(nalUnits: readonly Buffer[]): ParameterSets | undefined {
  const sps = nalUnits.find((nal) => nalUnitType(nal) === NalUnitType.sequenceParameterSet);
  const pps = nalUnits.find((nal) => nalUnitType(nal) === NalUnitType.pictureParameterSet);
  // Copies, so that keeping them does not pin the whole keyframe's buffer in memory.
  return sps && pps ? { sps: Buffer.from(sps), pps: Buffer.from(pps) } : undefined;
}
