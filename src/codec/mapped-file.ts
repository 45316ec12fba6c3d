/**
 * A file mapped into memory (mmap, shared), through the native addon: SHARED_MEMORY buffers are
 * written by the server and read by the client in place, with no copy through the kernel.
 *
 * `bytes` is a Buffer over the whole mapping. unmap() detaches it, so that it and every view
 * made from it become empty (length 0) rather than pointing at memory that is no longer there;
 * without unmap() the mapping goes with the garbage collector. The descriptor may be closed as
 * soon as the file is mapped: the mapping keeps the file's memory.
 */
import { FieldError } from '../core/field-error';
import { loadNativeAddon, nativeAddonStatus } from './native-addon';

interface NativeMappedFile {
  readonly buffer: ArrayBuffer;
  unmap(): void;
}

type MappedFileConstructor = new (fd: number, length: number, writable: boolean) => NativeMappedFile;

export interface MappedFile {
  /** The mapped bytes; empty after unmap(). */
  readonly bytes: Buffer;
  /** Releases the mapping now and empties every view of it. Idempotent. */
  unmap(): void;
}

/** Whether files can be mapped here (the native addon is built). */
export function isFileMappingAvailable(): boolean {
  return nativeAddonStatus().available;
}

/**
 * Maps bytes [0, length) of the open file `fd`, read-write when `writable`. The file must be at
 * least that long: touching a page past its end raises SIGBUS.
 */
export function mapFile(fd: number, length: number, writable: boolean): MappedFile {
  if (!Number.isInteger(fd) || fd < 0) throw new FieldError('fd', `must be an open file descriptor, got ${fd}`);
  if (!Number.isInteger(length) || length < 1) throw new FieldError('length', `must be a whole number of bytes from 1, got ${length}`);
  const addon = loadNativeAddon() as unknown as { MappedFile: MappedFileConstructor };
  const mapping = new addon.MappedFile(fd, length, writable);
  const bytes = Buffer.from(mapping.buffer);
  return {
    bytes,
    unmap: () => mapping.unmap(),
  };
}
