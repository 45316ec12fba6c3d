/**
 * One live stream: a capture session of its own on the server (a client of the public API like
 * any other), frames pulled no faster than the frame-rate cap, each encoded once with H.264 and
 * wrapped once as a one-frame MP4 fragment, then handed to every subscriber as the same bytes.
 *
 * Latest frame wins: the hanging get returns the newest frame the server has, so a slow encode
 * drops the frames in between instead of queueing them. A still screen produces no frames and
 * costs nothing; a viewer that joins then gets the held picture encoded again as a keyframe.
 * Once the screen has stood still for SHARPEN_AFTER_STILL_MS, the last picture is encoded once
 * more at high quality (a keyframe), so that what viewers read on a still screen is sharp.
 */
import {
  avccSample,
  avcCodecString,
  avcDecoderConfigurationRecord,
  H264Encoder,
  SHARPEN_AFTER_STILL_MS,
  type EncodedFrame,
} from '../../codec';
import { LIVE_KEYFRAME_INTERVAL_MS, LiveKeyframes, type KeyframeReason } from '../../media/keyframe-policy';
import { buildFragmentHeader } from '../../media/mp4/mp4-fragment';
import { StillScreen } from '../../media/still-screen';
import { buildInitSegment } from '../../media/mp4/mp4-init-segment';
import type { Logger } from '../../util/logger';
import type { CaptureClient } from '../capture-client';
import type { CapturedFrame, CaptureSession } from '../capture-session';
import type { StreamSettings } from './stream-settings';
import { MEDIA_TIMESCALE, MessageKind, mediaSegmentHeader, SegmentFlag, type StreamDescription } from './wire/stream-messages';

/** One encoded frame, ready to send: the same Buffer goes to every viewer. */
export interface PublishedSegment {
  readonly message: Buffer;
  readonly isKeyframe: boolean;
  readonly frameNumber: number;
}

/** What a viewer needs before its first media segment. */
export interface StreamStart {
  readonly description: StreamDescription;
  /** The init segment message (kind byte included). */
  readonly initMessage: Buffer;
}

export interface LiveStreamStats {
  framesEncoded: number;
  keyframes: number;
  /** Keyframes made early for viewers (joining, or catching up), as opposed to periodic ones. */
  forcedKeyframes: number;
  /** Frames the encoder's rate control dropped. */
  framesDroppedByEncoder: number;
  bytesEncoded: number;
  /** Encoder frames per second over the last second. */
  encodeFps: number;
}

type Listener = (segment: PublishedSegment) => void;

const TRACK_ID = 1;
/**
 * Waiting this long for a frame means the screen is still (displays refresh at 10 Hz or more): a
 * keyframe a viewer asked for is then made from the held picture, as no frame will carry it.
 */
const STILL_SCREEN_MS = 100;
/** Buffers in the session: one the encoder reads, one held for a repeat, one the server fills. */
const BUFFER_COUNT = 3;

const monotonicMs = (): number => performance.now();

export class LiveStream {
  private readonly listeners = new Set<Listener>();
  private readonly controller = new AbortController();
  private session: CaptureSession | undefined;
  private encoder: H264Encoder | undefined;
  private start: StreamStart | undefined;
  /** The last frame encoded, kept (not released) so that a joining viewer can get it as a keyframe. */
  private held: CapturedFrame | undefined;
  /** The encoder takes one frame at a time; this chains them. */
  private encoding: Promise<void> = Promise.resolve();
  private readonly keyframes = new LiveKeyframes();
  private repeatTimer: NodeJS.Timeout | undefined;
  private sharpenTimer: NodeJS.Timeout | undefined;
  /** The sharp pass once the screen stands still, counted from when the loop began waiting for a frame. */
  private readonly still = new StillScreen();
  private sequenceNumber = 0;
  private baseTimeMs: number | undefined;
  private lastDecodeTicks = -1;
  private displaySize = { width: 0, height: 0 };
  private readonly encodeTimes: number[] = [];
  private running: Promise<void> | undefined;
  private readonly counts = { framesEncoded: 0, keyframes: 0, forcedKeyframes: 0, framesDroppedByEncoder: 0, bytesEncoded: 0 };

  constructor(
    private readonly client: CaptureClient,
    readonly settings: StreamSettings,
    private readonly logger: Logger,
    /** Called once if the stream fails (the server went away, the encoder refused the settings). */
    private readonly onFailure: (error: Error) => void,
  ) {}

  /** Opens the session and starts pulling frames; resolves once configured (rejects if it cannot be). */
  async open(): Promise<void> {
    const { width, height, rotation } = this.settings;
    // The encoder converts either byte order at the same cost: the source's own spares the
    // server reordering every pixel (a SPICE guest's are BGRA).
    const { pixelFormat } = await this.client.displayInfo({ signal: this.controller.signal });
    const session = await this.client.openSession({ clientName: 'viewer', signal: this.controller.signal });
    this.session = session;
    const { cursorMode, displayId } = this.settings;
    await session.configure(
      { width, height, rotation, pixelFormat: pixelFormat ?? 'rgba8', bufferCount: BUFFER_COUNT, cursorMode, displayId },
      { signal: this.controller.signal },
    );
    this.running = this.pullFrames().catch((error: unknown) => {
      if (this.controller.signal.aborted) return;
      this.onFailure(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** The stream description and init segment, once the first keyframe exists. */
  get streamStart(): StreamStart | undefined {
    return this.start;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /**
   * Asks for a keyframe: the first frame encoded once it is due (see LiveKeyframes for when), or
   * the held picture encoded again when the screen is still.
   */
  requestKeyframe(reason: KeyframeReason): void {
    if (this.keyframes.request(reason, monotonicMs())) this.scheduleRepeat();
  }

  /**
   * On a still screen no frame comes to carry an asked-for keyframe: once it is due and the loop
   * has waited STILL_SCREEN_MS for a frame, the held picture is encoded again. On a moving screen
   * the next frame carries it, and nobody gets a picture twice.
   */
  private scheduleRepeat(): void {
    clearTimeout(this.repeatTimer);
    if (this.controller.signal.aborted) return;
    const stillForMs = () => this.still.stillForMs(monotonicMs());
    const delayMs = Math.max(this.keyframes.dueAtMs - monotonicMs(), STILL_SCREEN_MS - stillForMs(), 0);
    this.repeatTimer = setTimeout(() => {
      this.repeatTimer = undefined;
      if (this.keyframes.dueAtMs === Infinity || this.controller.signal.aborted) return;
      const held = this.held;
      if (!held || stillForMs() < STILL_SCREEN_MS) {
        // A frame is being encoded or is on its way, or the loop is pacing itself: look again.
        this.scheduleRepeat();
        return;
      }
      this.encoding = this.encoding.then(async () => {
        await this.encodeAndPublish(held, true);
        // The encoder may have dropped it.
        if (this.keyframes.dueAtMs !== Infinity) this.scheduleRepeat();
      });
    }, delayMs);
  }

  /** Stops pulling, closes the session and the encoder. Safe to call twice. */
  async close(): Promise<void> {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    clearTimeout(this.repeatTimer);
    clearTimeout(this.sharpenTimer);
    this.listeners.clear();
    await this.running;
    await this.encoding;
    this.encoder?.close();
    await this.session?.close().catch(() => undefined);
  }

  private async pullFrames(): Promise<void> {
    const session = this.session!;
    const signal = this.controller.signal;
    const intervalMs = 1000 / this.settings.maxFps;
    let nextPullAtMs = monotonicMs();
    while (!signal.aborted) {
      const waitMs = nextPullAtMs - monotonicMs();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      this.still.stillFrom(monotonicMs());
      let frame: CapturedFrame;
      try {
        frame = await session.nextFrame({ signal });
      } finally {
        this.still.moving();
      }
      // Drift-free pacing, but no bursts to catch up after a still screen or a slow encode.
      nextPullAtMs = Math.max(nextPullAtMs + intervalMs, monotonicMs());
      this.displaySize = { width: frame.displayWidth, height: frame.displayHeight };
      this.encoding = this.encoding.then(() => this.encodeAndPublish(frame, false));
      await this.encoding;
      const previous = this.held;
      this.held = frame;
      if (previous) await previous.release();
    }
  }

  private async encodeAndPublish(frame: CapturedFrame, repeat: boolean): Promise<void> {
    if (this.controller.signal.aborted) return;
    // Unlike the recorder's (camera usage, no dropped frames), a live stream's bitrate is a
    // network budget that dropping a frame holds at once, and in screen usage openh264 rarely
    // needs to (1 frame of 270 on a scrolling 1080p page at 5 Mbit/s): the spiral of drops that
    // camera usage fell into does not arise. Screen usage also keeps small text crisp at the
    // stream's low bitrate (docs/viewer.md).
    const encoder = (this.encoder ??= new H264Encoder({
      width: frame.width,
      height: frame.height,
      usage: 'screen',
      rateControl: 'bitrate',
      bitrateBps: this.settings.bitrateBps,
      maxFrameRate: this.settings.maxFps,
      frameSkip: true,
    }));
    const nowMs = monotonicMs();
    const asked = this.keyframes.asked(nowMs);
    // A repeat exists only to carry an asked-for keyframe, which a frame may have carried since.
    if (repeat && !asked) return;
    const forceKeyframe = this.keyframes.mustForce(nowMs);
    const encoded = await encoder.encode(frame.pixels, {
      format: frame.pixelFormat,
      stride: frame.stride,
      forceKeyframe,
      timestampMs: Math.round(nowMs),
    });
    if (!repeat) {
      this.still.pictureCoded();
      this.scheduleSharpen(SHARPEN_AFTER_STILL_MS);
    }
    this.publish(encoder, encoded, frame, repeat, asked, nowMs);
  }

  /**
   * Once no frame has come for SHARPEN_AFTER_STILL_MS, the last picture is encoded again as a
   * sharp keyframe (from the encoder's own copy: no conversion); a frame that comes first makes
   * this wait start again. While the loop paces itself between pulls it is not waiting for a
   * frame, so this looks again a little later.
   */
  private scheduleSharpen(delayMs: number): void {
    clearTimeout(this.sharpenTimer);
    if (this.controller.signal.aborted) return;
    this.sharpenTimer = setTimeout(() => {
      this.sharpenTimer = undefined;
      if (!this.still.sharpPending || this.controller.signal.aborted) return;
      const nowMs = monotonicMs();
      const held = this.held;
      if (!this.still.wantsSharp(nowMs) || !held) {
        this.scheduleSharpen(Math.max(STILL_SCREEN_MS, SHARPEN_AFTER_STILL_MS - this.still.stillForMs(nowMs)));
        return;
      }
      this.encoding = this.encoding.then(async () => {
        const encoder = this.encoder;
        if (!this.still.sharpPending || !encoder || this.controller.signal.aborted) return;
        const nowMs = monotonicMs();
        const encoded = await encoder.encodeAgain({ quality: 'sharp', timestampMs: Math.round(nowMs) });
        this.still.sharpTried();
        this.publish(encoder, encoded, held, true, this.keyframes.asked(nowMs), nowMs);
      });
    }, delayMs);
  }

  /** Sends an encoded frame of `frame`'s picture to every viewer as a one-frame fragment. */
  private publish(encoder: H264Encoder, encoded: EncodedFrame, frame: CapturedFrame, repeat: boolean, asked: boolean, nowMs: number): void {
    if (encoded.skipped || encoded.nalUnits.length === 0) {
      this.counts.framesDroppedByEncoder++;
      return;
    }
    if (encoded.isKeyframe) {
      if (asked) this.counts.forcedKeyframes++;
      this.keyframes.made(nowMs);
      this.start ??= this.describe(encoder);
    }
    const sample = avccSample(encoded.nalUnits);
    const header = mediaSegmentHeader({
      flags: (encoded.isKeyframe ? SegmentFlag.keyframe : 0) | (repeat ? SegmentFlag.repeat : 0),
      frameNumber: frame.frameNumber,
      captureTimeMs: frame.captureTimeMs,
    });
    // Decode times follow this process's clock at encode time: they only have to advance in
    // real time and never go back (a repeat is a new picture in the stream's timeline).
    this.baseTimeMs ??= nowMs;
    const decodeTicks = Math.max(this.lastDecodeTicks + 1, Math.round(((nowMs - this.baseTimeMs) * MEDIA_TIMESCALE) / 1000));
    this.lastDecodeTicks = decodeTicks;
    const fragment = buildFragmentHeader({
      sequenceNumber: ++this.sequenceNumber,
      trackId: TRACK_ID,
      baseMediaDecodeTimeTicks: decodeTicks,
      samples: [
        { durationTicks: (LIVE_KEYFRAME_INTERVAL_MS * MEDIA_TIMESCALE) / 1000, size: sample.length, isKeyframe: encoded.isKeyframe },
      ],
    });
    const message = Buffer.concat([header, fragment, sample]);
    this.count(message.length, encoded.isKeyframe, nowMs);
    const published: PublishedSegment = { message, isKeyframe: encoded.isKeyframe, frameNumber: frame.frameNumber };
    for (const listener of this.listeners) listener(published);
  }

  private describe(encoder: H264Encoder): StreamStart {
    const parameters = encoder.parameterSets();
    if (!parameters) throw new Error('the first keyframe carried no SPS/PPS');
    const avcC = avcDecoderConfigurationRecord(parameters.sps, parameters.pps);
    const init = buildInitSegment({
      width: encoder.width,
      height: encoder.height,
      timescale: MEDIA_TIMESCALE,
      trackId: TRACK_ID,
      avcDecoderConfig: avcC,
      durationTicks: 0,
    });
    this.logger.info('stream started', {
      size: `${encoder.width}x${encoder.height}`,
      codec: avcCodecString(parameters.sps),
      fps: this.settings.maxFps,
    });
    return {
      description: {
        type: 'stream',
        width: encoder.width,
        height: encoder.height,
        codec: avcCodecString(parameters.sps),
        avcC: avcC.toString('base64'),
        maxFps: this.settings.maxFps,
        displayWidth: this.displaySize.width,
        displayHeight: this.displaySize.height,
      },
      initMessage: Buffer.concat([Buffer.of(MessageKind.initSegment), init]),
    };
  }

  /** The counters now, and the frames encoded over the last second. */
  stats(): LiveStreamStats {
    this.forgetEncodesBefore(monotonicMs() - 1000);
    return { ...this.counts, encodeFps: this.encodeTimes.length };
  }

  private forgetEncodesBefore(timeMs: number): void {
    while (this.encodeTimes.length > 0 && this.encodeTimes[0] <= timeMs) this.encodeTimes.shift();
  }

  private count(bytes: number, isKeyframe: boolean, nowMs: number): void {
    this.counts.framesEncoded++;
    this.counts.bytesEncoded += bytes;
    if (isKeyframe) this.counts.keyframes++;
    this.encodeTimes.push(nowMs);
    this.forgetEncodesBefore(nowMs - 1000);
  }
}
