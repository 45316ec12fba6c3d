import type { Socket } from 'node:net';
import { AUTH_MECHANISM_SPICE, CommonCap, LINK_PERMISSION_DENIED, LinkError, PROTOCOL_MAJOR } from '../wire/constants';
import { SpiceLinkError } from '../wire/errors';
import { buildLinkMess, capWords, hasCap, LINK_HEADER_SIZE, parseLinkHeader, parseLinkReply, type LinkRequest } from './link-messages';
import { SocketReads } from './socket-reads';
import { encryptTicket } from './ticket';
import { ExactReader, openTransport, type TransportOptions } from './transport';

/** Called with every byte that crosses the link, for the protocol dump. */
export interface ByteTap {
  sent(bytes: Buffer): void;
  received(bytes: Buffer): void;
  closed(): void;
}

export interface LinkOptions extends TransportOptions {
  password: string;
  connectionId: number;
  channelType: number;
  channelId: number;
  channelCaps: number[];
  /** Each handshake step must complete within this long (ms). */
  stepTimeoutMs: number;
  tap?: ByteTap;
}

export interface LinkedChannel {
  socket: Socket;
  /** The socket's incoming bytes, for the channel's message reader to take (see SocketReads). */
  reads: SocketReads;
  miniHeader: boolean;
  serverCommonCaps: number[];
  serverChannelCaps: number[];
  /** Bytes that arrived after the link result: the start of the first message. */
  leftover: Buffer;
}

/** What this client offers on every channel: auth selection with SPICE tickets, mini headers. */
const CLIENT_COMMON_CAPS = capWords([CommonCap.AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER]);

function describeLinkError(code: number, channel: string): string {
  const name = LinkError[code] ?? `error ${code}`;
  if (code === LINK_PERMISSION_DENIED) return `SPICE server rejected the password for the ${channel} channel (PERMISSION_DENIED)`;
  if (code === 4) return `SPICE server refused protocol ${PROTOCOL_MAJOR}.2 for the ${channel} channel (VERSION_MISMATCH)`;
  if (code === 5) return `SPICE server requires TLS for the ${channel} channel (NEED_SECURED): use spice+tls://`;
  return `SPICE server refused the ${channel} channel link (${name})`;
}

/** The REDQ handshake for one channel: link message, reply, ticket, result. */
export async function linkChannel(options: LinkOptions): Promise<LinkedChannel> {
  const reads = new SocketReads();
  const socket = await openTransport(options, reads);
  const tap = options.tap;
  if (tap) socket.on('close', () => tap.closed());
  const reader = new ExactReader(socket, reads);
  const channel = options.channelType === 1 ? 'main' : `type-${options.channelType} #${options.channelId}`;
  const send = (bytes: Buffer) => {
    tap?.sent(bytes);
    socket.write(bytes);
  };
  const read = async (n: number, what: string) => {
    const bytes = await reader.read(n, options.stepTimeoutMs, what);
    tap?.received(bytes);
    return bytes;
  };
  try {
    const request: LinkRequest = {
      connectionId: options.connectionId,
      channelType: options.channelType,
      channelId: options.channelId,
      commonCaps: CLIENT_COMMON_CAPS,
      channelCaps: options.channelCaps,
    };
    send(buildLinkMess(request));
    const header = parseLinkHeader(await read(LINK_HEADER_SIZE, 'link reply header'));
    if (header.major !== PROTOCOL_MAJOR) {
      throw new SpiceLinkError(
        `SPICE server speaks protocol ${header.major}.${header.minor}, this client ${PROTOCOL_MAJOR}.2 (VERSION_MISMATCH)`,
        4,
      );
    }
    const reply = parseLinkReply(await read(header.size, 'link reply'));
    if (reply.error !== 0) throw new SpiceLinkError(describeLinkError(reply.error, channel), reply.error);
    if (hasCap(reply.commonCaps, CommonCap.AUTH_SELECTION)) {
      const mechanism = Buffer.alloc(4);
      mechanism.writeUInt32LE(AUTH_MECHANISM_SPICE, 0);
      send(mechanism);
    }
    send(encryptTicket(reply.publicKey, options.password));
    const result = (await read(4, 'link result')).readUInt32LE(0);
    if (result !== 0) throw new SpiceLinkError(describeLinkError(result, channel), result);
    const leftover = reader.detach();
    return {
      socket,
      reads,
      miniHeader: hasCap(reply.commonCaps, CommonCap.MINI_HEADER),
      serverCommonCaps: reply.commonCaps,
      serverChannelCaps: reply.channelCaps,
      leftover,
    };
  } catch (error) {
    reader.detach();
    socket.destroy();
    throw error;
  }
}
