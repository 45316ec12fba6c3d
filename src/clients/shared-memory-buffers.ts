/**
 * The client's side of SHARED_MEMORY: it owns the buffers, as a Fuchsia client owns its VMOs.
 * One file holds them back to back (buffer i at i * bufferSize), private to this user, in
 * /dev/shm (memory, never disk) or the temporary directory where there is no /dev/shm. The
 * server opens it during RegisterBufferCollection; the file is unlinked right after, so the
 * memory lives only as long as the two sides' mappings, and a crash leaves nothing behind.
 *
 * Both sides map the file: the server renders each frame straight into a buffer, and a frame's
 * pixels here are a view of that buffer, with no copy at all. The view is valid until the frame
 * is released: the server then writes later frames into the same memory (only where the
 * picture changed), so a view kept past its release silently shows a mix of frames. Copy the
 * pixels (Buffer.from(frame.pixels)) to keep them. Writing into a view corrupts later frames of
 * that buffer for the same reason. close() unmaps the file and empties every view (length 0).
 */
import { randomBytes } from 'node:crypto';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { isFileMappingAvailable, mapFile, type MappedFile } from '../codec/mapped-file';

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
  private closing = false;
  private unlinked = false;

  private constructor(
    readonly path: string,
    private readonly mapping: MappedFile,
    readonly bufferCount: number,
    readonly bufferSize: number,
  ) {}

  /**
   * Creates the file (mode 0600, a name nobody can guess) sized bufferCount * bufferSize and
   * maps it. Throws when files cannot be mapped here (no native addon).
   */
  static create(bufferCount: number, bufferSize: number): SharedMemoryBuffers {
    if (!isFileMappingAvailable())
      throw new Error('shared memory needs the native addon, which is not built (bash scripts/build-native.sh)');
    const file = path.join(bufferDirectory(), `${FILE_PREFIX}${process.pid}-${randomBytes(12).toString('hex')}`);
    // O_EXCL: never open a file someone placed under that name; O_NOFOLLOW: nor a link.
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      // A sparse file: tmpfs gives it pages as the server writes them.
      fs.ftruncateSync(fd, bufferCount * bufferSize);
      // Read-write although only the server writes: a write into a read-only mapping would kill
      // the process with SIGSEGV rather than throw.
      return new SharedMemoryBuffers(file, mapFile(fd, bufferCount * bufferSize, true), bufferCount, bufferSize);
    } catch (error) {
      fs.rmSync(file, { force: true });
      throw error;
    } finally {
      // The mapping keeps the memory; the server opens the file by its name.
      fs.closeSync(fd);
    }
  }

  /** Removes the file's name; the memory stays while a mapping of it does. Idempotent. */
  unlink(): void {
    if (this.unlinked) return;
    this.unlinked = true;
    fs.rmSync(this.path, { force: true });
  }

  /**
   * The `length` bytes at `offset` (buffer `index`), as a view of the mapped buffer: valid until
   * the frame in it is released (see above).
   */
  view(index: number, offset: number, length: number): Buffer {
    if (this.closing)
      throw new Error('the shared-memory buffers of this configuration are closed (the session was configured again or closed)');
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index >= this.bufferCount ||
      offset !== index * this.bufferSize ||
      length > this.bufferSize
    ) {
      throw new Error(
        `the server named buffer ${index} at offset ${offset} (${length} bytes), which is not one of this collection's ${this.bufferCount} buffers of ${this.bufferSize} bytes`,
      );
    }
    return this.mapping.bytes.subarray(offset, offset + length);
  }

  /** Unlinks the file if not done yet and unmaps it: every view handed out becomes empty. */
  close(): void {
    this.unlink();
    if (this.closing) return;
    this.closing = true;
    this.mapping.unmap();
  }
}
