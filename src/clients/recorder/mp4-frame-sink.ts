/**
 * Frames to `display.mp4`: H.264 by openh264, muxed as fragmented MP4 so that a crash loses at
 * most the fragment being built. The writer is created lazily, from the first keyframe's SPS and
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
  bitrateBps: number;
  /** A keyframe starts each fragment, so this is also the most a crash can lose. */
  keyframeIntervalMs: number;
}

export class Mp4FrameSink implements FrameSink {
  readonly path: string;
  private readonly encoder: H264Encoder;
  private writer: FragmentedMp4Writer | undefined;
  private written = 0;
  /** Microseconds spent converting and encoding, and the frames they were spent on. */
  private encodeMicros = 0;
  private framesEncoded = 0;

  constructor(directory: string, private readonly options: Mp4SinkOptions) {
    this.path = join(directory, MP4_FILE_NAME);
    this.encoder = new H264Encoder({
      width: options.width,
      height: options.height,
      usage: options.usage,
      bitrateBps: options.bitrateBps,
    });
  }

  get framesWritten(): number {
    return this.written;
  }

  get bytesOnDisk(): number {
    return this.writer?.fileSize ?? 0;
  }

  /** Frames a second the encoder could take at its measured cost per frame; 0 before any. */
  get encodeFps(): number {
    return this.encodeMicros > 0 ? this.framesEncoded / (this.encodeMicros / 1e6) : 0;
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
    this.encodeMicros += encoded.convertMicros + encoded.encodeMicros;
    this.framesEncoded++;
    if (encoded.skipped || encoded.nalUnits.length === 0) return false;
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
    this.written++;
    return true;
  }

  async finish(stopTimeUs: number): Promise<void> {
    try {
      if (this.writer && this.writer.state === 'open') await this.writer.finish(stopTimeUs);
    } finally {
      this.encoder.close();
    }
  }
}
