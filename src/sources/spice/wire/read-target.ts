/**
 * A reader that lends the buffers a socket's reads fill, instead of taking chunks the socket
 * allocated (Node's `onread` option of net.connect). The socket asks for a buffer before each
 * read and reports how much of it the read filled.
 */
export interface ReadTarget {
  /** Where the next read may put its bytes: at least one byte, untouched until filled() is called. */
  nextBuffer(): Buffer;
  /** The last buffer lent got `n` bytes (n ≥ 1), from its start. */
  filled(n: number): void;
}

/** Copies `chunk` into a target's buffers, as a socket read would have put it there. */
export function copyInto(target: ReadTarget, chunk: Uint8Array): void {
  for (let offset = 0; offset < chunk.length; ) {
    const space = target.nextBuffer();
    const n = Math.min(space.length, chunk.length - offset);
    space.set(chunk.subarray(offset, offset + n));
    offset += n;
    target.filled(n);
  }
}
