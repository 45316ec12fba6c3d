/**
 * Frames to `display.mp4`: H.264 by openh264, muxed as fragmented MP4 so that a crash loses at
 * most the fragment being built (flushed early when the screen stands still). The writer is created lazily, from the first keyframe's SPS and
 * PPS, because the MP4 track's avcC needs them before any sample is written.
 */
import { join } from 'node:path';
import { avccSample, H264Encoder, type EncodedFrame } from '../../codec';
import { RecordingKeyframes } from '../../media/keyframe-policy';
import { FragmentedMp4Writer } from '../../media/mp4';
import type { CapturedFrame } from '../capture-session';
import type { FrameSink } from './frame-sink';

export const MP4_FILE_NAME = 'display.mp4';

export interface Mp4SinkOptions {
  width: number;
  height: number;
  usage: 'screen' | 'camera';
  /** Default 'bitrate' (see RecorderOptions.rateControl). */
  rateControl?: 'bitrate' | 'quality';
  /** Default 1 (see RecorderOptions.threads). */
  threads?: number;
  bitrateBps: number;
  /** Keyframes at least this often, each at the start of a fragment (see RecorderOptions). */
  keyframeIntervalMs: number;
  /** How often the file is written and synced: about the most a crash can lose. At most keyframeIntervalMs. */
  fragmentDurationMs: number;
  /** Track ticks per second; default the MP4 writer's (90 kHz). A constant-rate file wants a multiple of its rate. */
  timescale?: number;
  /** The highest frame rate rate control plans for; default the encoder's. */
  maxFrameRate?: number;
}

/** Where a recording's time went, summed over the frames handed to write(). */
export interface Mp4SinkTiming {
  /** Frames given to the encoder (written or dropped by rate control). */
  framesEncoded: number;
  /** RGBA -> I420 (libyuv), on the encoder's worker thread. */
  convertMicros: number;
  /** openh264, on the encoder's worker thread. */
  encodeMicros: number;
  /** The MP4 writer: creating the file, adding samples, writing and syncing fragments, finishing. */
  muxMicros: number;
}

const microsSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1000;

export class Mp4FrameSink implements FrameSink {
  readonly path: string;
  private readonly encoder: H264Encoder;
  private writer: FragmentedMp4Writer | undefined;
  private written = 0;
  private readonly keyframes: RecordingKeyframes;
  /** The MP4 writer's work on the newest frame (see write()). */
  private muxing: Promise<void> = Promise.resolve();
  private readonly spent: Mp4SinkTiming = { framesEncoded: 0, convertMicros: 0, encodeMicros: 0, muxMicros: 0 };

  constructor(
    directory: string,
    private readonly options: Mp4SinkOptions,
    fileName = MP4_FILE_NAME,
  ) {
    this.path = join(directory, fileName);
    this.keyframes = new RecordingKeyframes(options.keyframeIntervalMs);
    this.encoder = new H264Encoder({
      width: options.width,
      height: options.height,
      usage: options.usage,
      rateControl: options.rateControl,
      threads: options.threads,
      bitrateBps: options.bitrateBps,
      maxFrameRate: options.maxFrameRate,
      // The recorder drops frames itself, before the encoder: it takes the newest frame when the
      // encoder is free, so the encoder has no backlog to shed. Rate control dropping frames as
      // well made a moving screen worse: each dropped frame left the next one further from its
      // reference, dearer to code, so dropped in turn (docs/recording.md, Encoder settings). Here
      // only the quantiser holds the bitrate.
      frameSkip: false,
    });
  }

  get framesWritten(): number {
    return this.written;
  }

  get bytesOnDisk(): number {
    return this.writer?.fileSize ?? 0;
  }

  /** Frames a second the encoder could take at its measured cost per frame (conversion and encoding); 0 before any. */
  get encodeFps(): number {
    const micros = this.spent.convertMicros + this.spent.encodeMicros;
    return micros > 0 ? this.spent.framesEncoded / (micros / 1e6) : 0;
  }

  /** Time spent so far, split by stage (a copy). */
  get timing(): Mp4SinkTiming {
    return { ...this.spent };
  }

  /** Encodes the frame and hands it to the MP4 writer (see store()). */
  async write(frame: CapturedFrame, timestampUs: number): Promise<boolean> {
    const encoded = await this.encoder.encode(frame.pixels, {
      format: frame.pixelFormat,
      stride: frame.stride,
      forceKeyframe: this.keyframeDue(timestampUs),
      timestampMs: timestampUs / 1000,
    });
    return this.store(encoded, timestampUs);
  }

  /**
   * The last picture again, from the encoder's own copy: a 'repeat' is a P frame of skipped
   * blocks (some 200 bytes and 2 ms at 1080p), unless a keyframe is due, which is then a sharp
   * one; a 'sharp' pass is an IDR at high quality (see H264Encoder.encodeAgain).
   */
  async writeAgain(timestampUs: number, quality: 'repeat' | 'sharp'): Promise<boolean> {
    if (this.written === 0) return false;
    const sharp = quality === 'sharp' || this.keyframeDue(timestampUs);
    const encoded = await this.encoder.encodeAgain({ quality: sharp ? 'sharp' : 'repeat', timestampMs: timestampUs / 1000 });
    return this.store(encoded, timestampUs);
  }

  /**
   * Hands an encoded frame to the MP4 writer. The writer's disk work for this frame (a
   * fragment's write and syncs, once a second) goes on while the next frame is encoded: this
   * waits for the previous frame's disk work only after encoding this one, so a slow sync does
   * not hold up the encoder (which would make the recorder skip frames), and at most one frame's
   * disk work is ever outstanding. A failure of it is thrown by the next write, flush() or finish().
   */
  private async store(encoded: EncodedFrame, timestampUs: number): Promise<boolean> {
    this.spent.convertMicros += encoded.convertMicros;
    this.spent.encodeMicros += encoded.encodeMicros;
    this.spent.framesEncoded++;
    await this.muxing;
    if (encoded.skipped || encoded.nalUnits.length === 0) return false;
    this.keyframes.written(timestampUs, encoded.isKeyframe);
    const writer = this.writer ?? (await this.createWriter());
    const muxStart = process.hrtime.bigint();
    // addSample updates the writer's state at once (what keyframeDue reads for the next frame);
    // only its disk work is left running.
    this.muxing = writer.addSample({ data: avccSample(encoded.nalUnits), timestampUs, isKeyframe: encoded.isKeyframe }).then(() => {
      this.spent.muxMicros += microsSince(muxStart);
    });
    // Handled where it is awaited next; without this a failure before then would be unhandled.
    this.muxing.catch(() => undefined);
    this.written++;
    return true;
  }

  async flush(timeUs: number): Promise<void> {
    await this.muxing;
    if (this.writer?.state !== 'open') return;
    const muxStart = process.hrtime.bigint();
    await this.writer.flush(timeUs);
    this.keyframes.flushedEarly();
    this.spent.muxMicros += microsSince(muxStart);
  }

  /** The writer, once the first frame has given the SPS and PPS; its init segment is on disk when this resolves. */
  private async createWriter(): Promise<FragmentedMp4Writer> {
    const parameters = this.encoder.parameterSets();
    if (!parameters) throw new Error('The first encoded frame carried no SPS/PPS.');
    const muxStart = process.hrtime.bigint();
    this.writer = await FragmentedMp4Writer.create(this.path, {
      width: this.options.width,
      height: this.options.height,
      sps: parameters.sps,
      pps: parameters.pps,
      timescale: this.options.timescale,
      ...RecordingKeyframes.writerFragments(this.options.fragmentDurationMs),
    });
    this.spent.muxMicros += microsSince(muxStart);
    return this.writer;
  }

  /** Whether to ask the encoder for a keyframe (see RecordingKeyframes). */
  private keyframeDue(timestampUs: number): boolean {
    const writer = this.writer;
    return this.keyframes.due(timestampUs, writer && ((time) => writer.wantsKeyframe(time)));
  }

  async finish(stopTimeUs: number): Promise<void> {
    try {
      await this.muxing;
      const muxStart = process.hrtime.bigint();
      if (this.writer && this.writer.state === 'open') await this.writer.finish(stopTimeUs);
      this.spent.muxMicros += microsSince(muxStart);
    } finally {
      this.encoder.close();
    }
  }
}
