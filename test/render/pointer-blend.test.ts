/** blendPointer: the addon and its JavaScript twin write the same bytes, by the documented rule. */
import assert from 'node:assert/strict';
import { loadNativeAddon, nativeAddonStatus } from '../../src/codec/native-addon';
import { blendPointer, blendPointerPortable } from '../../src/render/pointer-blend';

const W = 19;
const H = 13;

/** Deterministic noise, every alpha from 0 to 255 present. */
function noise(length: number, seed: number): Buffer {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) >>> 8;
  return Buffer.from(Uint8Array.from({ length }, () => next() & 255));
}

describe('pointer blend', () => {
  for (const swap of [false, true]) {
    it(`the addon and the portable blend write identical bytes (swapRedBlue ${swap}), padding and offsets respected`, function () {
      if (!nativeAddonStatus().available) this.skip();
      const srcStride = W * 4 + 8;
      const src = noise(5 + srcStride * H, 1);
      // Some fully opaque and fully transparent pixels as well as partial ones.
      for (let i = 0; i < W; i++) src[5 + i * 4 + 3] = i % 2 === 0 ? 0 : 255;
      const dstStride = W * 4 + 12;
      const before = noise(8 + dstStride * H + 3, 2);
      const native = Buffer.from(before);
      const portable = Buffer.from(before);
      loadNativeAddon().blendPointer(native, 8, dstStride, src, 5, srcStride, W, H, swap);
      blendPointerPortable(portable, 8, dstStride, src, 5, srcStride, W, H, swap);
      assert.ok(native.equals(portable), 'the addon and the portable blend differ');
      assert.ok(!native.equals(before), 'nothing was written');
      assert.ok(native.subarray(0, 8).equals(before.subarray(0, 8)), 'bytes before the rows untouched');
      assert.ok(native.subarray(8 + W * 4, 8 + dstStride).equals(before.subarray(8 + W * 4, 8 + dstStride)), 'row padding untouched');
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++)
          assert.equal(native[8 + y * dstStride + x * 4 + 3], before[8 + y * dstStride + x * 4 + 3], 'alpha kept');
      }
    });
  }

  it('values worked out by hand: transparent, opaque, half, and the byte orders', () => {
    const one = (src: number[], dst: number[], swap = false) => {
      const out = Buffer.from(dst);
      blendPointer(out, 0, 4, Buffer.from(src), 0, 4, 1, 1, swap);
      return [...out];
    };
    assert.deepEqual(one([10, 20, 30, 0], [200, 100, 50, 255]), [200, 100, 50, 255]);
    assert.deepEqual(one([10, 20, 30, 255], [200, 100, 50, 255]), [10, 20, 30, 255]);
    // (s * 128 + d * 127 + 127) / 255, rounded down: 10 over 200 is 105 (105.1), 20 over 100 is 60, 30 over 50 is 40.
    assert.deepEqual(one([10, 20, 30, 128], [200, 100, 50, 255]), [105, 60, 40, 255]);
    assert.deepEqual(one([10, 20, 30, 255], [200, 100, 50, 255], true), [30, 20, 10, 255]);
  });

  it('rejects bad arguments with a TypeError naming the field', () => {
    const dst = Buffer.alloc(16);
    const src = Buffer.alloc(16);
    assert.throws(() => blendPointer(dst, 0, 8, src, 0, 8, 2, 3, false), /dst: must hold at least 24 bytes/);
    assert.throws(() => blendPointer(dst, 0, 4, src, 0, 4, 0, 1, false), /width: must be an integer from 1/);
    assert.throws(() => blendPointer(dst, 0, 4, src, 0, 2, 1, 1, false), /srcStride: must be an integer from 4/);
    assert.throws(() => blendPointer(dst, 0, 8, dst, 4, 8, 1, 2, false), /must not overlap/);
    assert.throws(() => blendPointer(dst, 0, 4, src, 0, 4, 1, 1, 'yes' as unknown as boolean), /swapRedBlue: must be a boolean/);
  });
});
