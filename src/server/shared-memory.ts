/**
 * The server's side of SHARED_MEMORY buffer collections: open the file a client names, after
 * checking that it is the kind of file a client of this machine would have made for us, and map
 * it, so that frames are rendered straight into the client's buffers (no copy through the
 * kernel). The descriptor is closed as soon as the file is mapped: the mapping alone keeps the
 * memory, and unmapping it (release of the collection, end of the session, server stop) frees
 * the server's hold on it. A mapped file that shrinks under the server would fault its next
 * write (SIGBUS); only a process of the server's own user can do that (the file must be theirs
 * and private), and such a process can stop the server anyway.
 *
 * The checks keep a client from steering the server's writes anywhere but a buffer file of its
 * own: a loopback peer (the file must be on the server's machine anyway), a fixed directory and
 * name prefix, no symbolic link (O_NOFOLLOW) nor special file, owned by the server's user and
 * private to it (so a client can never make the server overwrite a file it could not write
 * itself), and large enough for every buffer.
 */
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { isFileMappingAvailable, mapFile, type MappedFile } from '../codec/mapped-file';
import { quoteClientValue } from './client-value';
import { invalid, missing } from './errors';
import { isLoopback } from '../util/listen-address';
import { MAX_IMAGE_SIDE } from '../core/limits';

/** The file name every buffer file starts with; anything else is refused. */
export const SHARED_MEMORY_PREFIX = 'screencap-';
/** A buffer holds at most the largest image: 8192 x 8192 x 4 bytes. */
export const MAX_BUFFER_SIZE = MAX_IMAGE_SIDE * MAX_IMAGE_SIDE * 4;

export interface SharedMemoryRequest {
  path: string;
  /** A uint64 in decimal, as the wire carried it: any value up to 2^64 - 1. */
  bufferSize: string;
}

/** shared_memory.buffer_size as a number, or the error for it (the decimal string is never lossy). */
function bufferSizeOf(decimal: string): number {
  const value = /^\d{1,20}$/.test(decimal) ? BigInt(decimal) : -1n;
  if (value === 0n) throw missing('shared_memory.buffer_size');
  if (value < 1n || value > BigInt(MAX_BUFFER_SIZE)) {
    throw invalid('shared_memory.buffer_size', `must be from 1 to ${MAX_BUFFER_SIZE} (8192 x 8192 x 4), got ${quoteClientValue(decimal)}`);
  }
  return Number(value);
}

/** The host part of a grpc-js peer string: "127.0.0.1:5000", "::1:5000", "::ffff:127.0.0.1:5000". */
export function peerHost(peer: string): string {
  const withoutPort = /^(.*):\d+$/.exec(peer)?.[1] ?? peer;
  const host = withoutPort.replace(/^\[(.*)\]$/, '$1');
  // An IPv4 client of a server listening on an IPv6 wildcard shows up IPv4-mapped.
  return host.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

let allowedDirectories: ReadonlySet<string> | undefined;

/** /dev/shm and the temporary directory, resolved (os.tmpdir() may be a symbolic link). */
function directoriesAllowed(): ReadonlySet<string> {
  if (!allowedDirectories) {
    const resolved = new Set<string>();
    for (const dir of ['/dev/shm', os.tmpdir()]) {
      try {
        resolved.add(fs.realpathSync(dir));
      } catch {
        // Absent on this machine (no /dev/shm on macOS): not a place a client can use.
      }
    }
    allowedDirectories = resolved;
  }
  return allowedDirectories;
}

function describeMode(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * A client's buffer file, mapped. buffer(i) is buffer i's memory; writes into it are bracketed
 * by beginWrite() so that close() never unmaps under a write still running on another thread.
 */
export class SharedMemoryFile {
  private writesInFlight = 0;
  private closing = false;
  private readonly views: Buffer[];
  /** Per buffer, the write under way (and any queued behind it), so that writes take turns. */
  private readonly writing: (Promise<unknown> | undefined)[];

  private constructor(
    private readonly mapping: MappedFile,
    readonly path: string,
    readonly bufferCount: number,
    readonly bufferSize: number,
  ) {
    this.views = Array.from({ length: bufferCount }, (_, i) => mapping.bytes.subarray(i * bufferSize, (i + 1) * bufferSize));
    this.writing = new Array<Promise<unknown> | undefined>(bufferCount).fill(undefined);
  }

  /**
   * Runs `write` (which writes into buffer `index`) once the writes into that buffer started
   * before it have ended: a Configure with the same collection makes its buffers free again while
   * a write for the earlier configuration may still be running on another thread, and the two
   * must not interleave. The mapping stays meanwhile (see beginWrite).
   */
  inTurn<T>(index: number, write: () => Promise<T>): Promise<T> {
    const done = this.beginWrite();
    const previous = this.writing[index] ?? Promise.resolve();
    const result = previous.then(write, write).finally(done);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.writing[index] = settled;
    void settled.then(() => {
      if (this.writing[index] === settled) this.writing[index] = undefined;
    });
    return result;
  }

  /**
   * Checks the request and opens the file; INVALID_ARGS / MISSING_ARGS naming the field
   * otherwise. Synchronous on purpose: RegisterBufferCollection is rare, an open and an fstat on
   * tmpfs take microseconds, and the collection must not exist before the file is checked.
   */
  static open(request: SharedMemoryRequest | undefined, bufferCount: number, peer: string): SharedMemoryFile {
    const host = peerHost(peer);
    if (!isLoopback(host)) {
      throw invalid(
        'transport',
        `SHARED_MEMORY needs a client on the server's machine, connected over loopback; this call comes from ${host}: use INLINE`,
      );
    }
    if (!isFileMappingAvailable()) {
      throw invalid('transport', 'this server cannot map shared memory (its native addon is not built); use INLINE');
    }
    if (!request) throw missing('shared_memory');
    if (!request.path) throw missing('shared_memory.path');
    const bufferSize = bufferSizeOf(request.bufferSize);
    const file = request.path;
    if (!path.isAbsolute(file) || path.normalize(file) !== file) {
      throw invalid('shared_memory.path', `must be an absolute, normalised path, got ${quoteClientValue(file)}`);
    }
    const allowed = directoriesAllowed();
    let directory: string;
    try {
      directory = fs.realpathSync(path.dirname(file));
    } catch {
      directory = path.dirname(file);
    }
    if (!allowed.has(directory)) {
      throw invalid('shared_memory.path', `must be directly in ${[...allowed].join(' or ')}, got ${quoteClientValue(file)}`);
    }
    if (!path.basename(file).startsWith(SHARED_MEMORY_PREFIX)) {
      throw invalid(
        'shared_memory.path',
        `the file name must start with "${SHARED_MEMORY_PREFIX}", got ${quoteClientValue(path.basename(file))}`,
      );
    }

    let fd: number;
    try {
      // O_NOFOLLOW: a symbolic link fails with ELOOP. O_NONBLOCK: a FIFO planted there cannot
      // hang the open (it is refused below as not a regular file).
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ELOOP'
          ? 'is a symbolic link; pass the file itself'
          : code === 'ENOENT'
            ? 'no such file'
            : code === 'EACCES' || code === 'EPERM'
              ? 'the server may not open it for reading and writing'
              : `cannot be opened (${code ?? String(error)})`;
      throw invalid('shared_memory.path', reason);
    }
    try {
      const stat = fs.fstatSync(fd);
      const uid = process.getuid?.();
      const needed = bufferCount * bufferSize;
      if (!stat.isFile()) throw invalid('shared_memory.path', 'is not a regular file');
      if (uid !== undefined && stat.uid !== uid) {
        throw invalid('shared_memory.path', `is owned by uid ${stat.uid}; it must belong to the server's user (uid ${uid})`);
      }
      if ((stat.mode & 0o077) !== 0) {
        throw invalid('shared_memory.path', `must be private to its owner (mode 0600), got mode ${describeMode(stat.mode)}`);
      }
      if (stat.size < needed) {
        throw invalid(
          'shared_memory.path',
          `holds ${stat.size} bytes, less than buffer_count x buffer_size = ${bufferCount} x ${bufferSize} = ${needed}`,
        );
      }
      return new SharedMemoryFile(mapFile(fd, needed, true), file, bufferCount, bufferSize);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Buffer `index`'s memory (bufferSize bytes); empty once the file is closed. */
  buffer(index: number): Buffer {
    if (this.closing) throw new Error(`shared memory ${this.path} is closed`);
    const view = this.views[index];
    if (!view) throw new Error(`buffer ${index} is not one of the ${this.bufferCount} of ${this.path}`);
    return view;
  }

  /**
   * Marks a write into a buffer as under way, until the returned function is called (calling it
   * again does nothing): the mapping stays meanwhile, even if close() is called.
   */
  beginWrite(): () => void {
    if (this.closing) throw new Error(`shared memory ${this.path} is closed`);
    this.writesInFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.writesInFlight === 0 && this.closing) this.mapping.unmap();
    };
  }

  /**
   * Unmaps the file, after the writes under way: unmapping under a write would let it land in
   * whatever is mapped at that address next.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.writesInFlight === 0) this.mapping.unmap();
  }

  /** Whether close() has been called (for tests and diagnostics). */
  get closed(): boolean {
    return this.closing;
  }
}
