/**
 * Messages on a byte stream, framed as gRPC frames them on the wire: one flag byte (0: not
 * compressed), the message's length as 4 bytes big-endian, then the message. The local frame
 * socket (proto/screencapture/v1/local_frames.proto) uses it, so that a client in any language
 * that has gRPC's message framing at hand has it for the socket too.
 */

/** The flag byte and the length before every message. */
export const PREFIX_BYTES = 5;

/** The prefix of a message of `length` bytes. */
export function messagePrefix(length: number): Buffer {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** `message` with its prefix, in one buffer (for small messages; large ones are written as two). */
export function framedMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, PREFIX_BYTES);
  return framed;
}

/** A byte stream that is not a sequence of framed messages this reader accepts. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
}

/**
 * Cuts a byte stream into messages. push() takes what arrived and returns the messages it
 * completed, or throws a FramingError: a message longer than `limit` bytes (checked on its
 * prefix, before any of it is kept) or a compressed one. The stream is unusable after an error.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The length of the message being read, once its prefix is in; -1 before. */
  private expected = -1;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < PREFIX_BYTES) break;
        const prefix = this.take(PREFIX_BYTES);
        if (prefix[0] !== 0) {
          throw new FramingError(`a message flagged ${prefix[0]} (compressed): this stream carries uncompressed messages only (flag 0)`);
        }
        const length = prefix.readUInt32BE(1);
        if (length > this.limit) throw new FramingError(`a message of ${length} bytes, more than the limit of ${this.limit}`);
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      messages.push(this.take(this.expected));
      this.expected = -1;
    }
    return messages;
  }

  /** The next `length` buffered bytes (a view of the chunk when one holds them all). */
  private take(length: number): Buffer {
    const first = this.chunks[0];
    let taken: Buffer;
    if (first && first.length >= length) {
      taken = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      taken = all.subarray(0, length);
      this.chunks = all.length > length ? [all.subarray(length)] : [];
    }
    this.buffered -= length;
    return taken;
  }
}
