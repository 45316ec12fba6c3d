/**
 * The low-latency path: WebCodecs decodes each frame the moment it arrives, and a
 * MediaStreamTrackGenerator puts the pictures into the <video> element as a live track, the way
 * a video call shows a remote camera. There is no playout buffer at all: a frame is on screen at
 * the next display refresh after it is decoded.
 *
 * Needs a secure context (https, or http on localhost / 127.0.0.1) and Chromium's
 * MediaStreamTrackGenerator; elsewhere the page uses the MSE player.
 */
import { SegmentFlag, type MediaSegmentHeader, type StreamDescription } from '../wire/stream-messages.js';
import { readFragment } from './mp4-boxes.js';
import { frameFacts, PendingFrames, ticksToSeconds, watchPresentation, type Player, type PlayerEvents } from './player.js';

/** Chromium's insertable-streams generator (not in TypeScript's DOM library). */
interface TrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}
declare const MediaStreamTrackGenerator: { new (init: { kind: 'video' }): TrackGenerator } | undefined;

/** Frames waiting in the decoder beyond this mean it cannot keep up: start over at a keyframe. */
const MAX_DECODE_QUEUE = 8;
/** Frames remembered from their arrival until shown: the decoder's queue and a few more. */
const MAX_PENDING = 32;

export function webCodecsSupported(): boolean {
  return typeof VideoDecoder === 'function' && typeof MediaStreamTrackGenerator === 'function';
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

export class WebCodecsPlayer implements Player {
  readonly mode = 'webcodecs';
  private decoder: VideoDecoder | undefined;
  private generator: TrackGenerator | undefined;
  private writer: WritableStreamDefaultWriter<VideoFrame> | undefined;
  /**
   * Frame facts by decoder timestamp, until the frame is shown: the track's frames keep the
   * timestamp, and the presentation callback's mediaTime is it, in seconds.
   */
  private readonly pending = new PendingFrames(MAX_PENDING);
  private awaitingKeyframe = true;
  private closed = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: PlayerEvents,
  ) {}

  start(description: StreamDescription, _initSegment: Uint8Array): void {
    this.generator = new MediaStreamTrackGenerator!({ kind: 'video' });
    this.writer = this.generator.writable.getWriter();
    this.video.srcObject = new MediaStream([this.generator]);
    void this.video.play().catch(() => undefined);
    this.decoder = new VideoDecoder({
      output: (frame) => this.onDecoded(frame),
      error: (error) => this.fail(`decoder: ${error.message}`),
    });
    // No colorSpace: the SPS declares the stream's colours, and a configured one would override it.
    this.decoder.configure({
      codec: description.codec,
      description: base64Bytes(description.avcC),
      codedWidth: description.width,
      codedHeight: description.height,
      optimizeForLatency: true,
    });
    watchPresentation(
      this.video,
      () => this.closed,
      (mediaTime, displayTimeMs) => {
        const shown = this.pending.take(mediaTime);
        if (shown) this.events.shown({ ...shown, displayTimeMs });
      },
    );
  }

  media(header: MediaSegmentHeader, segment: Uint8Array): void {
    const decoder = this.decoder;
    if (decoder?.state !== 'configured') return;
    const isKeyframe = (header.flags & SegmentFlag.keyframe) !== 0;
    if (this.awaitingKeyframe && !isKeyframe) return;
    this.awaitingKeyframe = false;
    if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
      this.fail(`the decoder is ${decoder.decodeQueueSize} frames behind`);
      return;
    }
    const { decodeTicks, sample } = readFragment(segment);
    // The stream's decode time in microseconds: unique and increasing, a fine key.
    const timestamp = Math.round(ticksToSeconds(decodeTicks) * 1e6);
    this.pending.add(timestamp, frameFacts(header));
    decoder.decode(new EncodedVideoChunk({ type: isKeyframe ? 'key' : 'delta', timestamp, data: sample }));
  }

  close(): void {
    this.closed = true;
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    void this.writer?.close().catch(() => undefined);
    this.generator?.stop();
    this.video.srcObject = null;
    this.pending.clear();
  }

  private onDecoded(frame: VideoFrame): void {
    if (this.closed || !this.writer) {
      frame.close();
      return;
    }
    // The writer takes the frame and closes it once the track has used it.
    this.writer.write(frame).catch((error: Error) => this.fail(`track: ${error.message}`));
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.events.failed(reason);
  }
}
