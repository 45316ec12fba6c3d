/**
 * The client's side of SHARED_MEMORY: it owns the buffers, as a Fuchsia client owns its VMOs.
 * One file holds them back to back (buffer i at i * bufferSize), private to this user, in
 * /dev/shm (memory, never disk) or the temporary directory where there is no /dev/shm. The
 * server opens it during RegisterBufferCollection; the file is unlinked right after, so the
 * memory lives only as long as the two open descriptors, and a crash leaves nothing behind.
 *
 * Frames are read with one positional read into a buffer kept per buffer index, so taking a
 * frame allocates nothing. A frame's pixels are therefore valid until its buffer is released
 * and the server fills that buffer again.
 */
import { randomBytes } from 'node:crypto';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');

/** The prefix the server requires of buffer file names. */
const FILE_PREFIX = 'screencap-';

function bufferDirectory(): string {
  try {
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // No /dev/shm (macOS): the temporary directory, which the server accepts too.
  }
  return os.tmpdir();
}

export class SharedMemoryBuffers {
  private readonly views: (Buffer | undefined)[];
  private readsInFlight = 0;
  private closing = false;
  private unlinked = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly bufferCount: number,
    readonly bufferSize: number,
  ) {
    this.views = new Array<Buffer | undefined>(bufferCount).fill(undefined);
  }

  /** Creates the file (mode 0600, a name nobody can guess) sized bufferCount * bufferSize. */
  static create(bufferCount: number, bufferSize: number): SharedMemoryBuffers {
    const file = path.join(bufferDirectory(), `${FILE_PREFIX}${process.pid}-${randomBytes(12).toString('hex')}`);
    // O_EXCL: never open a file someone placed under that name; O_NOFOLLOW: nor a link.
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      // A sparse file: tmpfs gives it pages as the server writes them.
      fs.ftruncateSync(fd, bufferCount * bufferSize);
    } catch (error) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw error;
    }
    return new SharedMemoryBuffers(file, fd, bufferCount, bufferSize);
  }

  /** Removes the file's name; the memory stays while a descriptor is open. Idempotent. */
  unlink(): void {
    if (this.unlinked) return;
    this.unlinked = true;
    fs.rmSync(this.path, { force: true });
  }

  /**
   * The `length` bytes at `offset` (buffer `index`), read into this buffer's own view, which the
   * next read of the same buffer overwrites.
   */
  async read(index: number, offset: number, length: number): Promise<Buffer> {
    if (this.closing) throw new Error('the shared-memory buffers of this configuration are closed (the session was configured again or closed)');
    if (!Number.isInteger(index) || index < 0 || index >= this.bufferCount || offset !== index * this.bufferSize || length > this.bufferSize) {
      throw new Error(`the server named buffer ${index} at offset ${offset} (${length} bytes), which is not one of this collection's ${this.bufferCount} buffers of ${this.bufferSize} bytes`);
    }
    let view = this.views[index];
    if (!view || view.length !== length) view = this.views[index] = Buffer.allocUnsafeSlow(length);
    this.readsInFlight++;
    try {
      let done = 0;
      while (done < length) {
        const bytesRead = await readAt(this.fd, view, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`the shared-memory file ended at ${offset + done} bytes, before the frame did`);
        done += bytesRead;
      }
      return view;
    } finally {
      this.readsInFlight--;
      if (this.closing && this.readsInFlight === 0) fs.close(this.fd, () => undefined);
    }
  }

  /** Unlinks the file if not done yet and closes it, after the reads under way. */
  close(): void {
    this.unlink();
    if (this.closing) return;
    this.closing = true;
    if (this.readsInFlight === 0) fs.close(this.fd, () => undefined);
  }
}

function readAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );
}
