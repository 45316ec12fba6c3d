import { flipRows, type DecodedImage } from '../decoders/decoded-image';
import { decodeJpeg } from '../decoders/jpeg';
import { STREAM_FLAG_TOP_DOWN, VideoCodec } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { Clip, SpiceRect, StreamCreate, StreamData } from './display-messages';

interface StreamState {
  surfaceId: number;
  flags: number;
  codec: number;
  dest: SpiceRect;
  clip: Clip;
  /** A codec this client cannot decode: its frames are dropped, the picture under it stays. */
  skipped: boolean;
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
 * Video streams (the server's MJPEG encoding of regions it sees changing often). Frames are
 * bottom-up unless the stream has TOP_DOWN, and only the stream's clip may be painted; both are
 * honoured here. A stream in another codec (which this client does not offer, but a server may
 * send anyway) is kept as skipped: its frames are not drawn and the area keeps its last picture
 * until the server paints it losslessly again, which spice-server does when a stream ends.
 */
export class StreamManager {
  private readonly streams = new Map<number, StreamState>();

  /** Registers a stream; false when its codec cannot be decoded (the stream is then skipped). */
  create(msg: StreamCreate): boolean {
    const skipped = msg.codec !== VideoCodec.MJPEG;
    this.streams.set(msg.id, { surfaceId: msg.surfaceId, flags: msg.flags, codec: msg.codec, dest: msg.dest, clip: msg.clip, skipped });
    return !skipped;
  }

  setClip(id: number, clip: Clip): void {
    this.get(id, 'STREAM_CLIP').clip = clip;
  }

  destroy(id: number): void {
    this.streams.delete(id);
  }

  destroyAll(): void {
    this.streams.clear();
  }

  get count(): number {
    return this.streams.size;
  }

  /** Whether a frame of this stream is skipped (its codec cannot be decoded). */
  isSkipped(data: StreamData): boolean {
    return this.get(data.id, data.sized ? 'STREAM_DATA_SIZED' : 'STREAM_DATA').skipped;
  }

  async decodeFrame(data: StreamData): Promise<StreamFrame> {
    const stream = this.get(data.id, data.sized ? 'STREAM_DATA_SIZED' : 'STREAM_DATA');
    if (data.sized) stream.dest = data.sized.dest;
    const image = await decodeJpeg(data.data, `stream ${data.id} MJPEG frame`);
    if (!(stream.flags & STREAM_FLAG_TOP_DOWN)) flipRows(image);
    return { surfaceId: stream.surfaceId, image, dest: stream.dest, clip: stream.clip };
  }

  private get(id: number, what: string): StreamState {
    const stream = this.streams.get(id);
    if (!stream) throw new SpiceProtocolError(`${what}: stream ${id} does not exist`);
    return stream;
  }
}
