/**
 * The live viewer's WebSocket protocol, shared by the server (Node) and the page (browser): this
 * file imports nothing so that both builds compile it.
 *
 * Text messages are JSON control messages. Binary messages carry the video as fragmented MP4
 * (the bytes MSE takes as they are; the WebCodecs path takes the sample out of the `mdat`):
 *
 *   init segment   u8 kind = 1 | ftyp + moov
 *   media segment  u8 kind = 2 | u8 flags | u16 reserved | u32 frame number
 *                  | f64 capture time (ms since the epoch, the server's wall clock)
 *                  | moof + mdat holding exactly one frame
 *
 * All integers big-endian. A viewer always receives a `stream` message, then the init segment,
 * then media segments starting with a keyframe; after a gap (it fell behind) the next media
 * segment it receives is a keyframe again.
 */

export const MessageKind = { initSegment: 1, mediaSegment: 2 } as const;

/** Time base of the fragments' decode times (tfdt): 90 kHz, exact for common frame rates. */
export const MEDIA_TIMESCALE = 90_000;

/** Media segment flags. */
export const SegmentFlag = {
  /** An IDR: decoding can start here. */
  keyframe: 0x01,
  /**
   * The picture was encoded again (as a keyframe for a viewer that joined while the screen was
   * still), so its capture time is old: not a latency sample.
   */
  repeat: 0x02,
} as const;

export const MEDIA_SEGMENT_HEADER_SIZE = 16;

export interface MediaSegmentHeader {
  flags: number;
  frameNumber: number;
  captureTimeMs: number;
}

/** The 16 bytes in front of a media segment's moof. */
export function mediaSegmentHeader(header: MediaSegmentHeader): Uint8Array {
  const bytes = new Uint8Array(MEDIA_SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, MessageKind.mediaSegment);
  view.setUint8(1, header.flags);
  view.setUint32(4, header.frameNumber >>> 0);
  view.setFloat64(8, header.captureTimeMs);
  return bytes;
}

export type BinaryMessage = { kind: 'init'; segment: Uint8Array } | { kind: 'media'; header: MediaSegmentHeader; segment: Uint8Array };

/** Parses a binary message; throws a TypeError saying what is wrong with a malformed one. */
export function parseBinaryMessage(bytes: Uint8Array): BinaryMessage {
  if (bytes.length === 0) throw new TypeError('empty binary message');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case MessageKind.initSegment:
      return { kind: 'init', segment: bytes.subarray(1) };
    case MessageKind.mediaSegment:
      if (bytes.length < MEDIA_SEGMENT_HEADER_SIZE) {
        throw new TypeError(`media segment of ${bytes.length} bytes is shorter than its ${MEDIA_SEGMENT_HEADER_SIZE}-byte header`);
      }
      return {
        kind: 'media',
        header: { flags: view.getUint8(1), frameNumber: view.getUint32(4), captureTimeMs: view.getFloat64(8) },
        segment: bytes.subarray(MEDIA_SEGMENT_HEADER_SIZE),
      };
    default:
      throw new TypeError(`unknown binary message kind ${bytes[0]}`);
  }
}

/** What a viewer is about to receive: sent before each init segment. */
export interface StreamDescription {
  type: 'stream';
  width: number;
  height: number;
  /** RFC 6381 codec string, e.g. "avc1.42c01f". */
  codec: string;
  /** The avcC record, base64: WebCodecs' `description`. */
  avcC: string;
  /** The frame-rate cap of this stream. */
  maxFps: number;
  /** Width and height of the captured display. */
  displayWidth: number;
  displayHeight: number;
}

/** Page -> server: a clock probe; the server answers at once with `pong`. */
export interface PingMessage {
  type: 'ping';
  /** The page's clock (ms since the epoch) when it sent the ping. */
  clientTimeMs: number;
}

export interface PongMessage {
  type: 'pong';
  clientTimeMs: number;
  /** The server's clock when it answered. */
  serverTimeMs: number;
}

/** Page -> server: measured at the page, shown by /status.json and the benchmark. */
export interface ViewerReport {
  type: 'report';
  framesShown: number;
  /** Median capture-to-display latency over the last second, ms; null before any sample. */
  latencyP50Ms: number | null;
  mode: string;
}

/** Server -> page: a refusal or failure the page shows before it reconnects. */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type ServerTextMessage = StreamDescription | PongMessage | ErrorMessage;
export type ClientTextMessage = PingMessage | ViewerReport;

/**
 * What the page exposes as `window.screencapViewer` for scripts (the tests and the benchmark):
 * the figures its overlay shows, and more.
 */
export interface ViewerFigures {
  /** Connection state: 'connecting' | 'live' | 'reconnecting' | 'error'. */
  state: string;
  /** Why, when not live. */
  detail: string;
  /** Decode path of the current stream: 'webcodecs' or 'mse'. */
  mode: string;
  width: number;
  height: number;
  framesShown: number;
  /** Capture-to-display latency of each frame shown (repeats excluded), ms, the last 1000. */
  latenciesMs: number[];
  /**
   * How far off the latencies may be from the page's clock sync (half the best probe round trip,
   * plus the server clock's error), ms; null before the first probe answer.
   */
  clockSyncErrorMs: number | null;
  /**
   * The clock sync's error when each of latenciesMs was measured (same order), ms: the first
   * frames are timed against the first probes, whose error is larger than the later best.
   */
  latencyErrorsMs: number[];
  /** WebSocket connections opened so far. */
  connects: number;
  /** Why the page last started over ('' before it ever did): the server's close, or its own player's failure. */
  lastReconnectReason: string;
  /** Streams started so far (one per connection that got as far as an init segment). */
  streams: number;
}
