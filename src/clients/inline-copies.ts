/**
 * The client's side of INLINE damage-rect frames: its own copy of each buffer index of the
 * configuration, brought up to date with each reply's rectangles (docs/api.md, "INLINE damage
 * rects"), so that the caller gets the whole image as with full frames. The copies are made
 * once per configuration, not per frame.
 */
import zlib = require('node:zlib');
import { InlineCompression, type RectUpdate } from '../gen/screencapture/v1/screen_capture.pb';

export class InlineCopies {
  private readonly copies: (Buffer | undefined)[];

  constructor(
    readonly bufferCount: number,
    readonly width: number,
    readonly height: number,
  ) {
    this.copies = new Array<Buffer | undefined>(bufferCount).fill(undefined);
  }

  /**
   * Applies `update` to the copy of buffer `index` and returns that copy (a view the next update
   * of the same index rewrites). Fails, leaving the copy unusable until a full frame, when the
   * reply does not fit this configuration.
   */
  async apply(index: number, update: RectUpdate): Promise<Buffer> {
    if (!Number.isInteger(index) || index < 0 || index >= this.bufferCount) {
      throw new Error(`GetNextFrame: buffer_index ${index} is not one of this configuration's ${this.bufferCount} buffers`);
    }
    const stride = this.width * 4;
    let copy = this.copies[index];
    if (!update.fullFrame && !copy) throw new Error(`GetNextFrame: rects for buffer ${index}, which holds no frame yet`);
    // Marked unknown until the update is whole: a failed one leaves a mix of two frames.
    this.copies[index] = undefined;
    copy ??= Buffer.alloc(stride * this.height);
    if (update.uncompressedSize > stride * this.height) {
      throw new Error(
        `GetNextFrame: rect_update.uncompressed_size ${update.uncompressedSize} is more than the ${this.width}x${this.height} image holds`,
      );
    }
    const packed = await unpack(update);
    if (packed.length !== update.uncompressedSize) {
      throw new Error(`GetNextFrame: rect_update.data holds ${packed.length} bytes, not uncompressed_size ${update.uncompressedSize}`);
    }
    let at = 0;
    for (const rect of update.rects) {
      if (rect.x + rect.width > this.width || rect.y + rect.height > this.height) {
        throw new Error(
          `GetNextFrame: rect ${rect.width}x${rect.height} at (${rect.x}, ${rect.y}) lies outside the ${this.width}x${this.height} image`,
        );
      }
      const rowBytes = rect.width * 4;
      if (at + rowBytes * rect.height > packed.length) throw new Error('GetNextFrame: rect_update.data is shorter than its rects');
      if (rect.x === 0 && rect.width === this.width) {
        // Whole rows are contiguous in both: one copy.
        at += packed.copy(copy, rect.y * stride, at, at + rowBytes * rect.height);
        continue;
      }
      for (let row = rect.y; row < rect.y + rect.height; row++) {
        at += packed.copy(copy, row * stride + rect.x * 4, at, at + rowBytes);
      }
    }
    if (at !== packed.length) throw new Error('GetNextFrame: rect_update.data is longer than its rects');
    this.copies[index] = copy;
    return copy;
  }
}

/**
 * zlib's output in one buffer of the size the server declared: by default it writes 16 KiB
 * chunks and joins them, an allocation per chunk and a copy of the whole; this way a typical
 * update (600 kB of rects) inflates for about 40% less CPU (docs/PERFORMANCE.md). Node's zlib
 * cannot write into a buffer it is given, so that one buffer is still new each time. The
 * declared size also bounds the output: a stream that inflates to more fails.
 */
function zlibOptions(update: RectUpdate): zlib.ZlibOptions & zlib.BrotliOptions {
  const size = Math.max(update.uncompressedSize, zlib.constants.Z_MIN_CHUNK);
  return { chunkSize: size, maxOutputLength: size };
}

/** Calls back with zlib's result, its error named for the reply's field when it ran past the declared size. */
function settleWith(update: RectUpdate, resolve: (result: Buffer) => void, reject: (error: Error) => void) {
  return (error: Error | null, result: Buffer) => {
    if (!error) resolve(result);
    else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      reject(new Error(`GetNextFrame: rect_update.data inflates to more than uncompressed_size ${update.uncompressedSize}`));
    } else reject(error);
  };
}

function unpack(update: RectUpdate): Promise<Buffer> {
  switch (update.compression) {
    case InlineCompression.INLINE_COMPRESSION_NONE:
      return Promise.resolve(Buffer.from(update.data.buffer, update.data.byteOffset, update.data.byteLength));
    case InlineCompression.INLINE_COMPRESSION_DEFLATE:
    case InlineCompression.INLINE_COMPRESSION_UNSPECIFIED:
      // On the thread pool: a full 1080p frame takes milliseconds to inflate.
      return new Promise((resolve, reject) => {
        zlib.inflate(update.data, zlibOptions(update), settleWith(update, resolve, reject));
      });
    case InlineCompression.INLINE_COMPRESSION_BROTLI:
      return new Promise((resolve, reject) => {
        zlib.brotliDecompress(update.data, zlibOptions(update), settleWith(update, resolve, reject));
      });
    default:
      return Promise.reject(new Error(`GetNextFrame: unknown rect_update.compression ${update.compression}`));
  }
}
