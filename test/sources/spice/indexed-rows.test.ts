/**
 * Palette-index and alpha rows widened into pixels in the addon (native/src/indexed-rows.cc)
 * against the JavaScript loops it replaces (indexed-rows.ts, the fallback without the addon), and
 * both against pixels worked out here by hand.
 */
import assert from 'node:assert/strict';
import { loadNativeAddon, nativeAddonStatus } from '../../../src/codec/native-addon';
import {
  defaultIndexedRows,
  type ExpandIndexedRows,
  INDEXED_KINDS,
  type IndexedRows,
  indexedRowBytes,
  JAVASCRIPT_INDEXED_ROWS,
} from '../../../src/sources/spice/decoders/indexed-rows';
import { prng } from '../../support/prng';

function expanded(expand: ExpandIndexedRows, rows: IndexedRows): Uint32Array {
  const out = new Uint32Array(rows.width * rows.height).fill(0x12345678);
  expand(rows, out);
  return out;
}

describe('palette and alpha rows in the addon against JavaScript', () => {
  let native: ExpandIndexedRows;

  before(function () {
    if (!nativeAddonStatus().available || !loadNativeAddon().expandIndexedRows) this.skip(); // the addon is optional
    native = defaultIndexedRows();
    assert.notEqual(native, JAVASCRIPT_INDEXED_ROWS, 'the addon is what the decoders use when it is there');
  });

  it('each kind, by hand: nibble and bit order, indexes past the palette, 4-bit wrapping', () => {
    const palette = Uint32Array.from([0x112233, 0x445566, 0x778899]);
    const black = 0xff000000;
    const [c0, c1, c2] = [...palette].map((c) => (c | black) >>> 0);
    const cases: { rows: Omit<IndexedRows, 'palette' | 'stride' | 'height'>; data: number[]; want: number[] }[] = [
      { rows: { kind: 'index8', width: 4, wrapIndexes: false, data: new Uint8Array() }, data: [2, 0, 1, 7], want: [c2!, c0!, c1!, black] },
      {
        rows: { kind: 'alpha8', width: 3, wrapIndexes: false, data: new Uint8Array() },
        data: [0, 128, 255],
        want: [0, 0x80000000, 0xff000000],
      },
      {
        rows: { kind: 'index4-low-first', width: 3, wrapIndexes: false, data: new Uint8Array() },
        data: [0x21, 0x05],
        want: [c1!, c2!, black],
      },
      {
        rows: { kind: 'index4-high-first', width: 3, wrapIndexes: false, data: new Uint8Array() },
        data: [0x21, 0x50],
        want: [c2!, c1!, black],
      },
      // Wrapped: 5 % 3 = 2, 4 % 3 = 1.
      { rows: { kind: 'index4-low-first', width: 2, wrapIndexes: true, data: new Uint8Array() }, data: [0x45], want: [c2!, c1!] },
      {
        rows: { kind: 'index1-lsb-first', width: 9, wrapIndexes: false, data: new Uint8Array() },
        data: [0b0000_0101, 1],
        want: [c1!, c0!, c1!, c0!, c0!, c0!, c0!, c0!, c1!],
      },
      {
        rows: { kind: 'index1-msb-first', width: 9, wrapIndexes: false, data: new Uint8Array() },
        data: [0b1010_0000, 0x80],
        want: [c1!, c0!, c1!, c0!, c0!, c0!, c0!, c0!, c1!],
      },
    ];
    for (const c of cases) {
      const rows: IndexedRows = { ...c.rows, data: Uint8Array.from(c.data), stride: c.data.length, height: 1, palette };
      const want = Uint32Array.from(c.want);
      assert.deepEqual(
        expanded(JAVASCRIPT_INDEXED_ROWS, rows),
        want,
        `${c.rows.kind}${c.rows.wrapIndexes ? ', wrapped' : ''} in JavaScript`,
      );
      assert.deepEqual(expanded(native, rows), want, `${c.rows.kind}${c.rows.wrapIndexes ? ', wrapped' : ''} in the addon`);
    }
  });

  it('hundreds of random images of every kind, palette length and stride come out the same', () => {
    const random = prng(0x1d3);
    for (let round = 0; round < 600; round++) {
      const kind = INDEXED_KINDS[round % INDEXED_KINDS.length]!;
      const width = 1 + Math.floor(random() * 70);
      const height = 1 + Math.floor(random() * 12);
      const stride = indexedRowBytes(kind, width) + Math.floor(random() * 5);
      const data = Uint8Array.from({ length: stride * height }, () => Math.floor(random() * 256));
      const palette = Uint32Array.from({ length: Math.floor(random() * 260) }, () => Math.floor(random() * 0x1000000));
      const rows: IndexedRows = { kind, data, stride, width, height, palette, wrapIndexes: random() < 0.5 };
      assert.deepEqual(expanded(native, rows), expanded(JAVASCRIPT_INDEXED_ROWS, rows), `round ${round}: ${kind} ${width}x${height}`);
    }
  });

  it('refuses arguments that would reach outside its arrays, naming the field', () => {
    const addon = loadNativeAddon();
    const expand = addon.expandIndexedRows!.bind(addon);
    const palette = new Uint32Array(2);
    const out = new Uint32Array(16);
    assert.throws(() => expand('index2', new Uint8Array(16), 4, 4, 4, palette, false, out), /^TypeError: kind must be/);
    assert.throws(
      () => expand('index8', new Uint8Array(16), 3, 4, 4, palette, false, out),
      /^TypeError: stride 3 is less than a row's 4 bytes$/,
    );
    assert.throws(
      () => expand('index8', new Uint8Array(15), 4, 4, 4, palette, false, out),
      /^TypeError: data holds 15 bytes, too few for 4 rows$/,
    );
    assert.throws(
      () => expand('index8', new Uint8Array(16), 4, 4, 4, palette, false, new Uint32Array(15)),
      /^TypeError: out holds 15 pixels, the image has 16$/,
    );
    assert.throws(
      () => expand('index8', new Uint8Array(16), 4, 4, 4, new Uint8Array(2) as never, false, out),
      /^TypeError: palette must be a Uint32Array$/,
    );
    // The last row needs only its own bytes, not a whole stride.
    expand('index4-low-first', new Uint8Array(3 * 2 + 1), 3, 2, 3, palette, false, new Uint32Array(6));
  });
});
