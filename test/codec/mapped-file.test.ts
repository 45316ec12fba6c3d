/** The addon's file mapping and rectangle copy: what they share, what unmap leaves, what they refuse. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isFileMappingAvailable, mapFile } from '../../src/codec/mapped-file';
import { copyRects } from '../../src/codec/rect-copy';
import { mappingsOf } from '../support/shared-memory-files';

describe('mapped files and rectangle copies', () => {
  before(function () {
    if (!isFileMappingAvailable()) this.skip(); // the native addon is optional
  });

  it('a mapping shares the file both ways, outlives its descriptor, and unmap() empties every view', () => {
    const file = path.join(os.tmpdir(), `screencap-test-${randomBytes(8).toString('hex')}`);
    const fd = fs.openSync(file, 'w+', 0o600);
    try {
      fs.ftruncateSync(fd, 8192);
      const mapping = mapFile(fd, 8192, true);
      fs.closeSync(fd);
      const view = mapping.bytes.subarray(4096, 4100);
      view.set([1, 2, 3, 4]);
      assert.deepEqual([...fs.readFileSync(file).subarray(4096, 4100)], [1, 2, 3, 4], 'writes reach the file');
      fs.writeFileSync(file, Buffer.from([9]), { flag: 'r+' });
      assert.equal(mapping.bytes[0], 9, "and the file's changes show");
      assert.equal(mappingsOf((f) => f === file).length, 1);
      mapping.unmap();
      mapping.unmap();
      assert.equal(mappingsOf((f) => f === file).length, 0, 'unmapped');
      assert.equal(view.length, 0, 'a view is empty, not dangling');
      assert.equal(mapping.bytes.length, 0);
      assert.equal(view[0], undefined);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('refuses what it cannot map, naming the argument', () => {
    assert.throws(() => mapFile(-1, 10, true), /fd: must be an open file descriptor/);
    assert.throws(() => mapFile(0, 0, true), /length: must be a whole number/);
    const fd = fs.openSync('/dev/null', 'r');
    try {
      assert.throws(() => mapFile(fd, 4096, true), /mmap of descriptor \d+ \(4096 bytes\) failed/);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('copies rectangles in place, swapping red and blue when asked', () => {
    // 4 x 3 pixels, each byte its own index, into a stride of 5 pixels.
    const src = Buffer.from(Array.from({ length: 4 * 3 * 4 }, (_, i) => i));
    const dst = Buffer.alloc(5 * 3 * 4);
    copyRects(src, 16, dst, 20, false, [{ x: 1, y: 1, width: 2, height: 2 }]);
    assert.deepEqual([...dst.subarray(20, 40)], [0, 0, 0, 0, 20, 21, 22, 23, 24, 25, 26, 27, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...dst.subarray(40, 52)], [0, 0, 0, 0, 36, 37, 38, 39, 40, 41, 42, 43]);
    assert.equal(
      dst.subarray(0, 20).every((b) => b === 0),
      true,
      'row 0 untouched',
    );
    const swapped = Buffer.alloc(16);
    copyRects(src, 16, swapped, 16, true, [{ x: 0, y: 0, width: 1, height: 1 }]);
    assert.deepEqual([...swapped.subarray(0, 4)], [2, 1, 0, 3]);
  });

  it('copies a large rectangle (streamed past the caches) exactly, and nothing around it', () => {
    // 300 x 100 pixels (120 kB, over the streaming threshold) at an x that is on no 16-byte line,
    // between images whose strides differ.
    const [srcStride, dstStride] = [1024 * 4, 1030 * 4];
    const src = Buffer.from(Array.from({ length: srcStride * 120 }, (_, i) => (i * 7 + (i >> 12)) & 255));
    const dst = Buffer.alloc(dstStride * 120, 0xee);
    const rect = { x: 403, y: 11, width: 300, height: 100 };
    copyRects(src, srcStride, dst, dstStride, false, [rect]);
    const expected = Buffer.alloc(dstStride * 120, 0xee);
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      src.copy(expected, y * dstStride + rect.x * 4, y * srcStride + rect.x * 4, y * srcStride + (rect.x + rect.width) * 4);
    }
    assert.equal(Buffer.compare(dst, expected), 0);
  });

  it('refuses a rectangle outside either image before copying anything', () => {
    const src = Buffer.alloc(4 * 4 * 4, 7);
    const dst = Buffer.alloc(4 * 4 * 4);
    assert.throws(
      () =>
        copyRects(src, 16, dst, 16, false, [
          { x: 0, y: 0, width: 1, height: 1 },
          { x: 3, y: 3, width: 2, height: 1 },
        ]),
      /src holds 64 bytes/,
    );
    assert.equal(
      dst.every((b) => b === 0),
      true,
      'nothing copied',
    );
    assert.throws(() => copyRects(src, 16, dst, 16, false, [{ x: -1, y: 0, width: 1, height: 1 }]), /rects\[0\] is not a rectangle/);
    assert.throws(() => copyRects(src, 16, src.subarray(16), 16, false, [{ x: 0, y: 0, width: 1, height: 1 }]), /dst overlaps src/);
  });
});
