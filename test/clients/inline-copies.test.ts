/**
 * The client's copies of INLINE damage-rect buffers: compressed rect updates inflated (into one
 * buffer of the declared size) and applied, and replies that do not add up refused by name.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { InlineCompression, type RectUpdate } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { InlineCopies } from '../../src/clients/inline-copies';

const WIDTH = 100;
const HEIGHT = 80;
const IMAGE_BYTES = WIDTH * HEIGHT * 4;

function patterned(bytes: number, seed: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * seed + (i >> 7)) & 0xff;
  return data;
}

function update(
  compression: InlineCompression,
  packed: Buffer,
  rects: RectUpdate['rects'],
  fullFrame: boolean,
  declared = packed.length,
): RectUpdate {
  const data =
    compression === InlineCompression.INLINE_COMPRESSION_BROTLI
      ? zlib.brotliCompressSync(packed)
      : compression === InlineCompression.INLINE_COMPRESSION_DEFLATE
        ? zlib.deflateSync(packed)
        : packed;
  return { rects, fullFrame, compression, data, uncompressedSize: declared };
}

describe('INLINE damage-rect copies', () => {
  for (const compression of [InlineCompression.INLINE_COMPRESSION_DEFLATE, InlineCompression.INLINE_COMPRESSION_BROTLI]) {
    describe(InlineCompression[compression], () => {
      it('rebuilds the image from a full frame and then a rect, byte for byte', async () => {
        const copies = new InlineCopies(1, WIDTH, HEIGHT);
        const full = patterned(IMAGE_BYTES, 7);
        assert.deepEqual(await copies.apply(0, update(compression, full, [{ x: 0, y: 0, width: WIDTH, height: HEIGHT }], true)), full);
        const rect = { x: 10, y: 20, width: 30, height: 5 };
        const rectPixels = patterned(rect.width * rect.height * 4, 13);
        const expected = Buffer.from(full);
        for (let row = 0; row < rect.height; row++) {
          rectPixels.copy(expected, ((rect.y + row) * WIDTH + rect.x) * 4, row * rect.width * 4, (row + 1) * rect.width * 4);
        }
        assert.deepEqual(await copies.apply(0, update(compression, rectPixels, [rect], false)), expected);
      });

      it('refuses data that inflates to more than uncompressed_size, naming the field', async () => {
        const copies = new InlineCopies(1, WIDTH, HEIGHT);
        const full = patterned(IMAGE_BYTES, 7);
        await assert.rejects(
          copies.apply(0, update(compression, full, [{ x: 0, y: 0, width: WIDTH, height: HEIGHT }], true, IMAGE_BYTES / 2)),
          { message: `GetNextFrame: rect_update.data inflates to more than uncompressed_size ${IMAGE_BYTES / 2}` },
        );
      });
    });
  }

  it('refuses an uncompressed_size larger than the image before inflating anything', async () => {
    const copies = new InlineCopies(1, WIDTH, HEIGHT);
    const full = patterned(IMAGE_BYTES, 7);
    await assert.rejects(
      copies.apply(
        0,
        update(InlineCompression.INLINE_COMPRESSION_DEFLATE, full, [{ x: 0, y: 0, width: WIDTH, height: HEIGHT }], true, 2 ** 31),
      ),
      { message: `GetNextFrame: rect_update.uncompressed_size ${2 ** 31} is more than the ${WIDTH}x${HEIGHT} image holds` },
    );
  });
});
