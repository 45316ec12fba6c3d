import assert from 'node:assert/strict';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The one path from a muxer to its file. Every operation is awaited to completion before the
 * next may start (an invariant the owner keeps by awaiting each call), so nothing queues up in
 * memory behind a slow disk: back-pressure reaches whoever produces the bytes.
 *
 * Bytes are appended at the end, except for `overwrite`, which patches bytes already written
 * (a header whose length does not change). `sync` makes everything written so far durable.
 */
export class FileSink {
  private busy = false;
  private appended = 0;

  private constructor(
    private readonly handle: FileHandle,
    /** The file's path, for messages. */
    readonly path: string,
  ) {}

  /**
   * Creates (or truncates) the file at `path`. The parent directory is synced too, so that after
   * a power cut the file itself is still there, not only its contents.
   */
  static async create(path: string): Promise<FileSink> {
    const handle = await open(path, 'w');
    try {
      const directory = await open(dirname(path), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FileSink(handle, path);
  }

  /** Bytes appended so far: the file's length. */
  get length(): number {
    return this.appended;
  }

  /** Appends `chunks` in order with one vectored write (repeated if the OS writes less). */
  async append(chunks: readonly Uint8Array[]): Promise<void> {
    await this.exclusive(async () => {
      let pending = chunks.filter((chunk) => chunk.length > 0);
      while (pending.length > 0) {
        const { bytesWritten } = await this.handle.writev(pending as Uint8Array[], this.appended);
        this.appended += bytesWritten;
        pending = dropWritten(pending, bytesWritten);
      }
    });
  }

  /** Replaces bytes already written at `position`; the file does not grow. */
  async overwrite(position: number, bytes: Uint8Array): Promise<void> {
    assert(position >= 0 && position + bytes.length <= this.appended, 'overwrite must stay within the written bytes');
    await this.exclusive(async () => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, position + done);
        done += bytesWritten;
      }
    });
  }

  /** Waits until the data written so far (and the file length) is on stable storage. */
  async sync(): Promise<void> {
    await this.exclusive(() => this.handle.datasync());
  }

  async close(): Promise<void> {
    await this.exclusive(() => this.handle.close());
  }

  private async exclusive<T>(operation: () => Promise<T>): Promise<T> {
    assert(!this.busy, 'FileSink operations must not overlap: await each call');
    this.busy = true;
    try {
      return await operation();
    } finally {
      this.busy = false;
    }
  }
}

/** The chunks that remain after the first `count` bytes of `chunks` were written. */
function dropWritten(chunks: readonly Uint8Array[], count: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = count;
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
    } else {
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
  }
  return rest;
}
