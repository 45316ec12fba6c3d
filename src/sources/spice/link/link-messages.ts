import { SpiceProtocolError } from '../wire/errors';
import { LINK_MAGIC, PROTOCOL_MAJOR, PROTOCOL_MINOR } from '../wire/constants';

/** SpiceLinkHeader: magic, major, minor, size of what follows. */
export const LINK_HEADER_SIZE = 16;
/** SpiceLinkReply's fixed part: error, 162-byte public key, two cap counts, caps offset. */
const LINK_REPLY_FIXED_SIZE = 4 + 162 + 12;
export const PUBLIC_KEY_SIZE = 162;

export interface LinkRequest {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: number[];
  channelCaps: number[];
}

export interface LinkReply {
  error: number;
  /** DER SubjectPublicKeyInfo of the per-link RSA-1024 key. */
  publicKey: Buffer;
  commonCaps: number[];
  channelCaps: number[];
}

/** A capability word list with the given bit numbers set. */
export function capWords(bits: number[]): number[] {
  const words: number[] = [];
  for (const bit of bits) {
    const index = bit >> 5;
    while (words.length <= index) words.push(0);
    words[index] = (words[index] | (1 << (bit & 31))) >>> 0;
  }
  return words;
}

export function hasCap(words: number[], bit: number): boolean {
  const word = words[bit >> 5];
  return word !== undefined && (word & (1 << (bit & 31))) !== 0;
}

/** SpiceLinkHeader + SpiceLinkMess. */
export function buildLinkMess(request: LinkRequest): Buffer {
  const { commonCaps, channelCaps } = request;
  const bodySize = 18 + 4 * (commonCaps.length + channelCaps.length);
  const out = Buffer.alloc(LINK_HEADER_SIZE + bodySize);
  out.writeUInt32LE(LINK_MAGIC, 0);
  out.writeUInt32LE(PROTOCOL_MAJOR, 4);
  out.writeUInt32LE(PROTOCOL_MINOR, 8);
  out.writeUInt32LE(bodySize, 12);
  let p = LINK_HEADER_SIZE;
  out.writeUInt32LE(request.connectionId >>> 0, p);
  out.writeUInt8(request.channelType, p + 4);
  out.writeUInt8(request.channelId, p + 5);
  out.writeUInt32LE(commonCaps.length, p + 6);
  out.writeUInt32LE(channelCaps.length, p + 10);
  out.writeUInt32LE(18, p + 14); // caps follow the fixed part directly
  p += 18;
  for (const word of [...commonCaps, ...channelCaps]) {
    out.writeUInt32LE(word >>> 0, p);
    p += 4;
  }
  return out;
}

/** Parses the server's SpiceLinkHeader; returns the size of the SpiceLinkReply that follows. */
export function parseLinkHeader(header: Buffer): { major: number; minor: number; size: number } {
  if (header.length < LINK_HEADER_SIZE) throw new SpiceProtocolError(`link header: needs ${LINK_HEADER_SIZE} bytes, got ${header.length}`);
  const magic = header.readUInt32LE(0);
  if (magic !== LINK_MAGIC) {
    throw new SpiceProtocolError(`link header: magic is 0x${magic.toString(16)}, expected "REDQ": is this a SPICE port?`);
  }
  const major = header.readUInt32LE(4);
  const minor = header.readUInt32LE(8);
  const size = header.readUInt32LE(12);
  if (size > 64 * 1024) throw new SpiceProtocolError(`link header: reply size ${size} is implausibly large`);
  return { major, minor, size };
}

export function parseLinkReply(body: Buffer): LinkReply {
  if (body.length < 4) throw new SpiceProtocolError(`link reply: needs at least 4 bytes, got ${body.length}`);
  const error = body.readUInt32LE(0);
  if (error !== 0) return { error, publicKey: Buffer.alloc(0), commonCaps: [], channelCaps: [] };
  if (body.length < LINK_REPLY_FIXED_SIZE) {
    throw new SpiceProtocolError(`link reply: needs ${LINK_REPLY_FIXED_SIZE} bytes, got ${body.length}`);
  }
  const publicKey = Buffer.from(body.subarray(4, 4 + PUBLIC_KEY_SIZE));
  const p = 4 + PUBLIC_KEY_SIZE;
  const numCommon = body.readUInt32LE(p);
  const numChannel = body.readUInt32LE(p + 4);
  const capsOffset = body.readUInt32LE(p + 8);
  if (numCommon + numChannel > 1024 || capsOffset + 4 * (numCommon + numChannel) > body.length) {
    throw new SpiceProtocolError(
      `link reply: ${numCommon}+${numChannel} capability words at offset ${capsOffset} do not fit in ${body.length} bytes`,
    );
  }
  const words: number[] = [];
  for (let i = 0; i < numCommon + numChannel; i++) words.push(body.readUInt32LE(capsOffset + 4 * i));
  return { error, publicKey, commonCaps: words.slice(0, numCommon), channelCaps: words.slice(numCommon) };
}
