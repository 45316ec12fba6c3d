/** Bytes of a stream not consumed yet, taken in exact counts (the link phase has fixed-size steps). */
export class ByteQueue {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
  }

  get length(): number {
    return this.buffered.length;
  }

  /** The next `n` bytes, or undefined (and nothing consumed) while fewer have arrived. */
  take(n: number): Buffer | undefined {
    if (this.buffered.length < n) return undefined;
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Everything left, emptying the queue. */
  drain(): Buffer {
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}
