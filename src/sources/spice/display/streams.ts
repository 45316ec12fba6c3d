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
}

/** A decoded stream frame, ready to draw: the image, where it goes and the stream's clip. */
export interface StreamFrame {
  surfaceId: number;
  image: DecodedImage;
  dest: SpiceRect;
  clip: Clip;
}

/**
 * Video streams (the server's MJPEG encoding of regions it sees changing often). Frames are
 * bottom-up unless the stream has TOP_DOWN, and only the stream's clip may be painted; both are
 * honoured here.
 */
export class StreamManager {
  private readonly streams = new Map<number, StreamState>();

  create(msg: StreamCreate): void {
    if (msg.codec !== VideoCodec.MJPEG) {
      throw new SpiceProtocolError(`STREAM_CREATE: stream ${msg.id} uses codec ${msg.codec}; only MJPEG was offered`);
    }
    this.streams.set(msg.id, { surfaceId: msg.surfaceId, flags: msg.flags, codec: msg.codec, dest: msg.dest, clip: msg.clip });
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
