import type { Socket } from 'node:net';
import { copyInto, type ReadTarget } from '../wire/read-target';

/** Held bytes past this pause the socket until a reader takes it: a server cannot fill memory meanwhile. */
const MAX_HELD_BYTES = 1024 * 1024;

/** Bytes that arrived while no reader had the socket, kept for the next one. */
class HeldBytes implements ReadTarget {
  private bytes = Buffer.allocUnsafe(4096);
  length = 0;

  nextBuffer(): Buffer {
    if (this.length === this.bytes.length) {
      const larger = Buffer.allocUnsafe(this.bytes.length * 2);
      this.bytes.copy(larger, 0, 0, this.length);
      this.bytes = larger;
    }
    return this.bytes.subarray(this.length);
  }

  filled(n: number): void {
    this.length += n;
  }

  /** The held bytes, in a buffer nothing writes to again. */
  take(): Buffer {
    const held = this.bytes.subarray(0, this.length);
    this.bytes = Buffer.allocUnsafe(4096);
    this.length = 0;
    return held;
  }
}

/**
 * A channel socket's incoming bytes, going to one reader at a time: the link handshake's, then
 * the channel's message reader. A plain TCP socket reads straight into the reader's buffers
 * (`onread`, given to net.connect); a TLS socket, which has no such option, delivers decrypted
 * chunks, copied into the same buffers. Between readers, bytes are held and handed to the next.
 */
export class SocketReads {
  private readonly held = new HeldBytes();
  private target: ReadTarget = this.held;
  /** The buffer of the read in progress, and who lent it: the reader may have changed since. */
  private lender: ReadTarget = this.held;
  private lent: Buffer | undefined;
  private socket: Socket | undefined;
  private pausedWhileHeld = false;

  /** For net.connect's `onread`. */
  readonly onread = {
    buffer: (): Buffer => {
      this.lender = this.target;
      this.lent = this.target.nextBuffer();
      return this.lent;
    },
    callback: (n: number): boolean => {
      if (this.lender === this.target) this.target.filled(n);
      // The buffer was lent by a reader that has since handed the socket on: its bytes are the
      // new reader's.
      else copyInto(this.target, this.lent!.subarray(0, n));
      this.limitHeld();
      return true;
    },
  };

  /** The socket these reads come from; `chunks` for one that delivers 'data' events (TLS). */
  attach(socket: Socket, chunks: boolean): void {
    this.socket = socket;
    if (chunks) {
      socket.on('data', (chunk: Buffer) => {
        copyInto(this.target, chunk);
        this.limitHeld();
      });
    }
  }

  /** Gives the socket's bytes to `target` from now on, starting with any held meanwhile. */
  handTo(target: ReadTarget): void {
    this.target = target;
    const held = this.held.take();
    if (held.length > 0) copyInto(target, held);
    if (this.pausedWhileHeld) {
      this.pausedWhileHeld = false;
      this.socket?.resume();
    }
  }

  /** Takes the socket back from its reader: bytes are held until the next handTo(). */
  release(): void {
    this.target = this.held;
  }

  private limitHeld(): void {
    if (this.target === this.held && this.held.length > MAX_HELD_BYTES && !this.pausedWhileHeld) {
      this.pausedWhileHeld = true;
      this.socket?.pause();
    }
  }
}
