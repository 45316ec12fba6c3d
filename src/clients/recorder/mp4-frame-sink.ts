/**
 * Frames to `display.mp4`: H.264 by openh264, muxed as fragmented MP4 so that a crash loses at
 * most the fragment being built (flushed early when the screen stands still). The writer is created lazily, from the first keyframe's SPS and
 * PPS, because the MP4 track's avcC needs them before any sample is written.
 */
import { join } from 'node:path';
import { avccSample, H264Encoder } from '../../codec';
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
  /** A keyframe starts each fragment, so this is also the most a crash can lose. */
  keyframeIntervalMs: number;
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
  private readonly spent: Mp4SinkTiming = { framesEncoded: 0, convertMicros: 0, encodeMicros: 0, muxMicros: 0 };

  constructor(directory: string, private readonly options: Mp4SinkOptions) {
    this.path = join(directory, MP4_FILE_NAME);
    this.encoder = new H264Encoder({
      width: options.width,
      height: options.height,
      usage: options.usage,
      rateControl: options.rateControl,
      threads: options.threads,
      bitrateBps: options.bitrateBps,
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

  async write(frame: CapturedFrame, timestampUs: number): Promise<boolean> {
    const encoded = await this.encoder.encode(frame.pixels, {
      format: frame.pixelFormat,
      stride: frame.stride,
      // The writer knows when a fragment is due; starting each one with an IDR makes every
      // fragment a place where playback (and recovery after a crash) can begin.
      forceKeyframe: this.writer?.wantsKeyframe(timestampUs) ?? true,
      timestampMs: timestampUs / 1000,
    });
    this.spent.convertMicros += encoded.convertMicros;
    this.spent.encodeMicros += encoded.encodeMicros;
    this.spent.framesEncoded++;
    if (encoded.skipped || encoded.nalUnits.length === 0) return false;
    const muxStart = process.hrtime.bigint();
    if (!this.writer) {
      const parameters = this.encoder.parameterSets();
      if (!parameters) throw new Error('The first encoded frame carried no SPS/PPS.');
      this.writer = await FragmentedMp4Writer.create(this.path, {
        width: this.options.width,
        height: this.options.height,
        sps: parameters.sps,
        pps: parameters.pps,
        fragmentDurationMs: this.options.keyframeIntervalMs,
      });
    }
    await this.writer.addSample({ data: avccSample(encoded.nalUnits), timestampUs, isKeyframe: encoded.isKeyframe });
    this.spent.muxMicros += microsSince(muxStart);
    this.written++;
    return true;
  }

  async flush(timeUs: number): Promise<void> {
    if (!this.writer || this.writer.state !== 'open') return;
    const muxStart = process.hrtime.bigint();
    await this.writer.flush(timeUs);
    this.spent.muxMicros += microsSince(muxStart);
  }

  async finish(stopTimeUs: number): Promise<void> {
    try {
      const muxStart = process.hrtime.bigint();
      if (this.writer && this.writer.state === 'open') await this.writer.finish(stopTimeUs);
      this.spent.muxMicros += microsSince(muxStart);
    } finally {
      this.encoder.close();
    }
  }
}
