import { type ConnectionRewriter, TcpProxy } from './tcp-proxy';

const LINK_HEADER_SIZE = 16;
/** SpiceLinkMess after the link header: connection_id (u32), then channel_type (u8). */
const CHANNEL_TYPE_OFFSET = LINK_HEADER_SIZE + 4;
const DISPLAY_CHANNEL = 2;
const MINI_HEADER_SIZE = 6;
const STREAM_CREATE = 122;
/** SpiceMsgDisplayStreamCreate: surface_id (u32), id (u32), flags (u8), codec_type (u8). */
const CODEC_OFFSET = 9;

/**
 * A loopback proxy in front of a real SPICE server that relays every byte unchanged except the
 * codec of each display channel's STREAM_CREATE, which it sets to `codec`: the server's real
 * session, as a server that streams in a codec the client did not offer would send it. Display
 * channels must use mini headers (spice-server does with a client that offers them).
 */
export class StreamCodecProxy {
  /** STREAM_CREATE messages rewritten so far. */
  rewritten = 0;

  private constructor(private readonly proxy: TcpProxy) {}

  static async start(targetPort: number, codec: number): Promise<StreamCodecProxy> {
    let self: StreamCodecProxy | undefined;
    const proxy = await TcpProxy.start(targetPort, { rewrite: () => self!.connectionRewriter(codec) });
    self = new StreamCodecProxy(proxy);
    return self;
  }

  get port(): number {
    return this.proxy.port;
  }

  stop(): Promise<void> {
    return this.proxy.stop();
  }

  /** The client's link message names the channel (the server says nothing before it). */
  private connectionRewriter(codec: number): ConnectionRewriter {
    let linkMess = Buffer.alloc(0);
    let rewriter: ((data: Buffer) => Buffer[]) | undefined;
    return {
      clientData: (data) => {
        if (linkMess.length <= CHANNEL_TYPE_OFFSET) linkMess = Buffer.concat([linkMess, data]);
      },
      serverData: (data) => {
        rewriter ??= linkMess[CHANNEL_TYPE_OFFSET] === DISPLAY_CHANNEL ? this.displayRewriter(codec) : (chunk) => [chunk];
        return rewriter(data);
      },
    };
  }

  /**
   * The server's side of a display channel, cut into whole units (link reply, link result, each
   * message) so that a STREAM_CREATE split across reads is still found.
   */
  private displayRewriter(codec: number): (data: Buffer) => Buffer[] {
    let pending = Buffer.alloc(0);
    let phase: 'reply' | 'result' | 'messages' = 'reply';
    return (data) => {
      pending = Buffer.concat([pending, data]);
      const out: Buffer[] = [];
      for (;;) {
        let size: number;
        if (phase === 'reply') {
          if (pending.length < LINK_HEADER_SIZE) break;
          size = LINK_HEADER_SIZE + pending.readUInt32LE(12);
        } else if (phase === 'result') {
          size = 4;
        } else {
          if (pending.length < MINI_HEADER_SIZE) break;
          size = MINI_HEADER_SIZE + pending.readUInt32LE(2);
        }
        if (pending.length < size) break;
        const unit = Buffer.from(pending.subarray(0, size));
        pending = pending.subarray(size);
        if (phase === 'messages' && unit.readUInt16LE(0) === STREAM_CREATE) {
          unit[MINI_HEADER_SIZE + CODEC_OFFSET] = codec;
          this.rewritten++;
        }
        phase = phase === 'reply' ? 'result' : 'messages';
        out.push(unit);
      }
      return out;
    };
  }
}
