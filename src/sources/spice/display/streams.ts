import { flipRows, type DecodedImage } from '../decoders/decoded-image';
import { decodeJpeg } from '../decoders/jpeg';
import { StreamVideoDecoder } from '../decoders/video';
import { STREAM_FLAG_TOP_DOWN, VideoCodec } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { Clip, SpiceRect, StreamCreate, StreamData } from './display-messages';

interface StreamState {
  surfaceId: number;
  flags: number;
  codec: number;
  /** The size of the stream's frames (STREAM_DATA_SIZED gives each frame its own). */
  srcWidth: number;
  srcHeight: number;
  dest: SpiceRect;
  clip: Clip;
  /** A codec this client cannot decode: its frames are dropped, the picture under it stays. */
  skipped: boolean;
  /** H.264 and VP8: the stream's decoder, which holds the frames later ones refer to. */
  video?: StreamVideoDecoder;
}

/** A decoded stream frame, ready to draw: the image, where it goes and the stream's clip. */
export interface StreamFrame {
  surfaceId: number;
  image: DecodedImage;
  dest: SpiceRect;
  clip: Clip;
}

/** "VP8", "H264", or "codec 4" for one this client has no name for. */
export function videoCodecName(codec: number): string {
  const name = Object.entries(VideoCodec).find(([, value]) => value === codec)?.[0];
  return name ?? `codec ${codec}`;
}

/**
 * Video streams (the server's MJPEG, H.264 or VP8 encoding of regions it sees changing often).
 * Frames are bottom-up unless the stream has TOP_DOWN, and only the stream's clip may be painted;
 * both are honoured here. A stream in a codec this client did not offer (a server may send one
 * anyway) is kept as skipped: its frames are not drawn and the area keeps its last picture until
 * the server paints it losslessly again, which spice-server does when a stream ends.
 */
export class StreamManager {
  private readonly streams = new Map<number, StreamState>();

  /** `codecs`: the codecs this client offered (decodableVideoCodecs()). */
  constructor(readonly offered: readonly number[]) {}

  /** Registers a stream; false when its codec cannot be decoded (the stream is then skipped). */
  create(msg: StreamCreate): boolean {
    const skipped = !this.offered.includes(msg.codec);
    const what = `stream ${msg.id} ${videoCodecName(msg.codec)} frame`;
    const video = skipped || msg.codec === VideoCodec.MJPEG ? undefined : new StreamVideoDecoder(msg.codec, what);
    this.streams.get(msg.id)?.video?.close();
    this.streams.set(msg.id, {
      surfaceId: msg.surfaceId,
      flags: msg.flags,
      codec: msg.codec,
      srcWidth: msg.srcWidth,
      srcHeight: msg.srcHeight,
      dest: msg.dest,
      clip: msg.clip,
      skipped,
      video,
    });
    return !skipped;
  }

  setClip(id: number, clip: Clip): void {
    this.get(id, 'STREAM_CLIP').clip = clip;
  }

  destroy(id: number): void {
    this.streams.get(id)?.video?.close();
    this.streams.delete(id);
  }

  destroyAll(): void {
    for (const stream of this.streams.values()) stream.video?.close();
    this.streams.clear();
  }

  get count(): number {
    return this.streams.size;
  }

  /** Whether a frame of this stream is skipped (its codec cannot be decoded). */
  isSkipped(data: StreamData): boolean {
    return this.get(data.id, data.sized ? 'STREAM_DATA_SIZED' : 'STREAM_DATA').skipped;
  }

  /**
   * The frame's picture, decoded off the event loop (sharp for MJPEG, the addon's worker for
   * H.264 and VP8; the display channel awaits it and so keeps its order). Undefined for a frame
   * that shows no picture. An H.264 or VP8 image is transient: draw it before the next frame.
   */
  async decodeFrame(data: StreamData): Promise<StreamFrame | undefined> {
    const stream = this.get(data.id, data.sized ? 'STREAM_DATA_SIZED' : 'STREAM_DATA');
    if (data.sized) stream.dest = data.sized.dest;
    const frame = (image: DecodedImage): StreamFrame => ({ surfaceId: stream.surfaceId, image, dest: stream.dest, clip: stream.clip });
    const bottomUp = !(stream.flags & STREAM_FLAG_TOP_DOWN);
    if (stream.video) {
      const width = data.sized?.width ?? stream.srcWidth;
      const height = data.sized?.height ?? stream.srcHeight;
      const image = await stream.video.decode(data.data, width, height, bottomUp);
      return image && frame(image);
    }
    const image = await decodeJpeg(data.data, `stream ${data.id} MJPEG frame`);
    if (bottomUp) flipRows(image);
    return frame(image);
  }

  private get(id: number, what: string): StreamState {
    const stream = this.streams.get(id);
    if (!stream) throw new SpiceProtocolError(`${what}: stream ${id} does not exist`);
    return stream;
  }
}
