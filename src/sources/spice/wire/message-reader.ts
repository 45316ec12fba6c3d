import { FULL_HEADER_SIZE, MINI_HEADER_SIZE, readMessageHeader, type SpiceMessage } from './framing';
import type { ReadTarget } from './read-target';

/** Headers and small messages are read into a staging buffer of this size; larger ones into their own. */
export const STAGING_SIZE = 64 * 1024;

/**
 * Splits a channel's byte stream into messages, with the socket reading into the buffers the
 * messages end up in (see ReadTarget):
 * - headers and small messages are read into one staging buffer, reused for the channel's life,
 *   and each small body is copied out of it (bodies under 4 KiB come from Node's buffer pool);
 * - a message too large to wait in staging gets a body of its own as soon as its header is in,
 *   and the socket reads the rest of it straight there.
 * A megabyte-sized image thus costs one buffer and no copy, where chunks allocated by the socket
 * and joined afterwards cost two buffers and a copy; at a photographic redraw's tens of MB/s,
 * that garbage was most of what the collector did. Every body handed out is the message's own,
 * so a handler may keep it.
 */
export class MessageReader implements ReadTarget {
  private readonly staging = Buffer.allocUnsafe(STAGING_SIZE);
  /** Unparsed bytes in staging: [start, end). */
  private start = 0;
  private end = 0;
  /** The message being read into its own body, when one is. */
  private large: { type: number; body: Buffer; filled: number } | undefined;
  private readonly headerSize: number;
  private failed = false;

  /**
   * `deliver` gets each message in order; `fail` is called once, when the stream cannot be read
   * on (a header claiming too large a body) or `deliver` threw, and nothing is delivered after.
   */
  constructor(
    private readonly miniHeader: boolean,
    private readonly deliver: (message: SpiceMessage) => void,
    private readonly fail: (error: Error) => void,
  ) {
    this.headerSize = miniHeader ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
  }

  /** Bytes read but not yet part of a whole message. */
  get pending(): number {
    return this.large ? this.large.filled + this.headerSize : this.end - this.start;
  }

  nextBuffer(): Buffer {
    if (this.large) return this.large.body.subarray(this.large.filled);
    if (this.end === this.staging.length) this.compact();
    return this.staging.subarray(this.end);
  }

  filled(n: number): void {
    if (this.failed) return;
    try {
      const large = this.large;
      if (large) {
        large.filled += n;
        if (large.filled < large.body.length) return;
        this.large = undefined;
        this.deliver({ type: large.type, body: large.body });
        return;
      }
      this.end += n;
      this.parse();
    } catch (error) {
      this.failed = true;
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Hands out the whole messages in staging; a message too large for staging gets its own body. */
  private parse(): void {
    const headerSize = this.headerSize;
    while (this.end - this.start >= headerSize) {
      const { type, size } = readMessageHeader(this.staging, this.start, this.miniHeader);
      const bodyStart = this.start + headerSize;
      const available = this.end - bodyStart;
      if (available >= size) {
        const body = Buffer.allocUnsafe(size);
        this.staging.copy(body, 0, bodyStart, bodyStart + size);
        this.start = bodyStart + size;
        this.deliver({ type, body });
        if (this.failed) return;
        continue;
      }
      if (headerSize + size > this.staging.length) {
        const body = Buffer.allocUnsafe(size);
        this.staging.copy(body, 0, bodyStart, this.end);
        this.large = { type, body, filled: available };
        this.start = this.end = 0;
        return;
      }
      break;
    }
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Moves the unparsed bytes to the front: they are less than a message that fits in staging. */
  private compact(): void {
    this.staging.copy(this.staging, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}
