import { SpiceProtocolError } from './errors';

/**
 * Bounds-checked little-endian reads over one message body. Every read names the field it reads,
 * so a truncated or lying message fails with a line that says which field and where.
 * Pointer fields in SPICE bodies are u32 offsets from the start of the body: `at()` follows one.
 */
export class ByteReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    /** What is being read, for error messages ("DRAW_COPY"). */
    readonly context = 'message',
  ) {
    if (pos > buf.length) throw new SpiceProtocolError(`${context}: offset ${pos} is past the end (${buf.length} bytes)`);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new SpiceProtocolError(
        `${this.context}: truncated at ${field}: needs ${n} bytes at offset ${this.pos}, body has ${this.buf.length}`,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(field: string): number {
    this.need(2, field);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** A reader at a body offset (a SPICE pointer field); offset 0 means "absent" to callers. */
  at(offset: number, field: string): ByteReader {
    if (offset > this.buf.length) {
      throw new SpiceProtocolError(`${this.context}: ${field} points to offset ${offset}, body has ${this.buf.length} bytes`);
    }
    return new ByteReader(this.buf, offset, this.context);
  }
}
