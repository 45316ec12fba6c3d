import { SpiceProtocolError } from './errors';

/** One SPICE message as it came off a channel: its type and its body. */
export interface SpiceMessage {
  type: number;
  body: Buffer;
}

/** Larger bodies are refused before buffering them: no real server sends a 256 MiB message. */
export const MAX_MESSAGE_SIZE = 256 * 1024 * 1024;

export const MINI_HEADER_SIZE = 6;
export const FULL_HEADER_SIZE = 18;

/** The type and body size in the header at `offset`; refuses a body over MAX_MESSAGE_SIZE. */
export function readMessageHeader(bytes: Buffer, offset: number, miniHeader: boolean): { type: number; size: number } {
  const type = miniHeader ? bytes.readUInt16LE(offset) : bytes.readUInt16LE(offset + 8);
  const size = miniHeader ? bytes.readUInt32LE(offset + 2) : bytes.readUInt32LE(offset + 10);
  if (size > MAX_MESSAGE_SIZE) {
    throw new SpiceProtocolError(`message type ${type} claims ${size} bytes, more than the ${MAX_MESSAGE_SIZE} limit`);
  }
  return { type, size };
}

/**
 * Splits a channel's byte stream into messages. Buffers only what an incomplete message needs;
 * survives any split of the input (tests feed it in odd-sized chunks). Bodies are views of the
 * chunks pushed, for a relay that passes the same chunks on; a channel that reads its own socket
 * uses MessageReader, which reads bodies where they are parsed.
 */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly miniHeader: boolean) {}

  push(chunk: Buffer): SpiceMessage[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: SpiceMessage[] = [];
    const headerSize = this.miniHeader ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
    while (this.buffered >= headerSize) {
      const { type, size } = readMessageHeader(this.peek(headerSize), 0, this.miniHeader);
      if (this.buffered < headerSize + size) break;
      const whole = this.take(headerSize + size);
      out.push({ type, body: whole.subarray(headerSize) });
    }
    return out;
  }

  /** Bytes received but not yet part of a whole message. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let result: Buffer;
    if (first.length >= n) {
      result = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const joined = Buffer.concat(this.chunks);
      result = joined.subarray(0, n);
      this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.buffered -= n;
    return result;
  }
}

/** Header plus body for a client message. The full header's serial counts from 1 per channel. */
export function buildMessage(type: number, body: Buffer, miniHeader: boolean, serial: bigint): Buffer {
  if (miniHeader) {
    const head = Buffer.alloc(MINI_HEADER_SIZE);
    head.writeUInt16LE(type, 0);
    head.writeUInt32LE(body.length, 2);
    return Buffer.concat([head, body]);
  }
  const head = Buffer.alloc(FULL_HEADER_SIZE);
  head.writeBigUInt64LE(serial, 0);
  head.writeUInt16LE(type, 8);
  head.writeUInt32LE(body.length, 10);
  head.writeUInt32LE(0, 14);
  return Buffer.concat([head, body]);
}
