import assert from 'node:assert/strict';
import { convertRows, convertRowsPortable, type RowsKind } from '../../../src/codec/image-transform';
import { loadNativeAddon, nativeAddonStatus } from '../../../src/codec/native-addon';
import { decodeBitmap } from '../../../src/sources/spice/decoders/bitmap';
import { GlzWindow } from '../../../src/sources/spice/decoders/glz-window';
import { decodeLz } from '../../../src/sources/spice/decoders/lz';
import { decodeLz4Block } from '../../../src/sources/spice/decoders/lz4-block';
import { createQuicDecoder, NativeQuicDecoder } from '../../../src/sources/spice/decoders/native-quic';
import { QuicDecoder, QuicImageType } from '../../../src/sources/spice/decoders/quic';
import { ImageCache } from '../../../src/sources/spice/display/image-cache';
import type { ImageDescriptor } from '../../../src/sources/spice/display/image-descriptor';
import { ImageResolver, JPEG_ALPHA_FLAG_TOP_DOWN } from '../../../src/sources/spice/display/image-resolver';
import { SpiceProtocolError } from '../../../src/sources/spice';
import { BitmapFormat, BitmapFlag, ImageType } from '../../../src/sources/spice/wire/constants';
import { LzImageType } from '../../../src/sources/spice/decoders/lz-common';
import { ImagePool } from '../../../src/sources/spice/decoders/image-pool';
import sharp from 'sharp';
import { findPhoto, loadFixture, loadPhoto } from '../../support/spice/fixtures';
import { encodeQuic, type QuicSource } from '../../support/spice/tools/quic-encoder';

function resolver(): ImageResolver {
  return new ImageResolver(new ImageCache(1 << 24), new GlzWindow(1 << 24), createQuicDecoder(), new Map());
}

async function decodeAll(images: ImageDescriptor[]) {
  const r = resolver();
  let last;
  for (const image of images) last = await r.resolve(image);
  return last!;
}

/** A copy of a descriptor with its payload data cut to `keep` bytes. */
function truncate(descriptor: ImageDescriptor, keep: (n: number) => number): ImageDescriptor {
  const payload = descriptor.payload as { data?: Buffer };
  if (!payload.data) return descriptor;
  return {
    ...descriptor,
    payload: { ...descriptor.payload, data: payload.data.subarray(0, keep(payload.data.length)) } as ImageDescriptor['payload'],
  };
}

describe('SPICE image decoders on data captured from Xspice', () => {
  for (const name of ['bitmap', 'quic', 'lz', 'glz', 'zlib-glz', 'lz4']) {
    it(`${name}: decodes the captured image to the exact reference picture`, async () => {
      const fixture = loadFixture(name);
      const photo = await loadPhoto();
      const image = await decodeAll(fixture.images);
      assert.ok(
        findPhoto(image, photo),
        `the ${photo.width}x${photo.height} reference appears in the decoded ${image.width}x${image.height} image (${fixture.server})`,
      );
    });

    it(`${name}: truncated data fails with a SpiceProtocolError, never anything else`, async () => {
      const fixture = loadFixture(name);
      for (const cut of [(n: number) => n >> 1, (n: number) => n - 7, () => 10, () => 0]) {
        const images = fixture.images.slice();
        images[images.length - 1] = truncate(images[images.length - 1], cut);
        await assert.rejects(
          async () => decodeAll(images),
          (error: unknown) => error instanceof SpiceProtocolError,
        );
      }
    });
  }

  it('jpeg-alpha: the picture within 25 dB, its alpha plane (sent TOP_DOWN) as sent', async () => {
    const fixture = loadFixture('jpeg-alpha');
    const descriptor = fixture.images[0];
    assert.equal((descriptor.payload as { flags: number }).flags & JPEG_ALPHA_FLAG_TOP_DOWN, JPEG_ALPHA_FLAG_TOP_DOWN);
    const photo = await loadPhoto();
    const image = await decodeAll(fixture.images);
    assert.equal(image.width, photo.width);
    assert.equal(image.height, photo.height);
    assert.ok(image.hasAlpha);
    let squared = 0;
    for (let i = 0; i < photo.width * photo.height; i++) {
      const p = image.pixels[i];
      // The window's pixmap has depth 24: its fourth byte, which the server sends as alpha, is 0.
      assert.equal(p >>> 24, 0, `alpha of pixel ${i}`);
      squared +=
        (((p >> 16) & 255) - photo.rgb[i * 3]) ** 2 +
        (((p >> 8) & 255) - photo.rgb[i * 3 + 1]) ** 2 +
        ((p & 255) - photo.rgb[i * 3 + 2]) ** 2;
    }
    const db = 10 * Math.log10((255 * 255) / (squared / (photo.width * photo.height * 3)));
    assert.ok(db >= 25, `PSNR ${db.toFixed(1)} dB (${fixture.server})`);
  });

  it('jpeg-alpha: truncated data fails with a SpiceProtocolError', async () => {
    const fixture = loadFixture('jpeg-alpha');
    for (const cut of [(n: number) => n >> 1, (n: number) => n - 7]) {
      await assert.rejects(
        async () => decodeAll([truncate(fixture.images[0], cut)]),
        (error: unknown) => error instanceof SpiceProtocolError,
      );
    }
  });

  it('glz: the last image needs the earlier ones of its dictionary window', async () => {
    const fixture = loadFixture('glz');
    assert.ok(fixture.images.length > 1);
    const r = resolver();
    // Without the earlier images either the reference is missing or the pixels differ.
    let failedOrDifferent = false;
    try {
      const image = await r.resolve(fixture.images[fixture.images.length - 1]);
      failedOrDifferent = !findPhoto(image, await loadPhoto());
    } catch (error) {
      failedOrDifferent = error instanceof SpiceProtocolError;
    }
    assert.ok(failedOrDifferent, 'decoding the last GLZ image alone should not produce the picture');
  });
});

describe('SPICE decoders on hand-made data', () => {
  it('LZ4 block: literals, an overlapping match, and bounds errors', () => {
    // token: 3 literals + match length 4+2=6, offset 3 (overlap repeats "abc"), then 1 literal.
    const block = Uint8Array.from([0x32, 97, 98, 99, 3, 0, 0x10, 100]);
    const out = new Uint8Array(10);
    assert.equal(decodeLz4Block(block, 0, block.length, out, 0), 10);
    assert.equal(Buffer.from(out).toString(), 'abcabcabcd');
    assert.equal(
      decodeLz4Block(Uint8Array.from([0x30, 97, 98, 99, 9, 0]), 0, 6, new Uint8Array(10), 0),
      'match offset 9 reaches before the output at input offset 6',
    );
    assert.equal(decodeLz4Block(block, 0, block.length, new Uint8Array(5), 0), 'match overflows the image at input offset 6');
  });

  it('LZ_PLT (PLT8): literals and a match through the palette', () => {
    const header = Buffer.alloc(28);
    [0x20205a4c, 0x00010001, 5 /* PLT8 */, 4, 2, 4, 1].forEach((v, i) => header.writeUInt32BE(v, i * 4));
    const data = Buffer.concat([header, Buffer.from([3, 1, 2, 3, 0, 0x40, 0x03])]);
    const palette = Uint32Array.from([0x000000, 0xff0000, 0x00ff00, 0x0000ff]);
    const image = decodeLz(data, palette);
    assert.deepEqual(
      Array.from(image.pixels),
      [0xffff0000, 0xff00ff00, 0xff0000ff, 0xff000000, 0xffff0000, 0xff00ff00, 0xff0000ff, 0xff000000],
    );
  });

  it('BITMAP: 1-bit big-endian with a palette, 4-bit little-endian, 16-bit 555, 24-bit bottom-up', () => {
    const pal = Uint32Array.from([0x102030, 0xa0b0c0]);
    const one = decodeBitmap({
      format: BitmapFormat.BIT1_BE,
      flags: BitmapFlag.TOP_DOWN,
      width: 3,
      height: 1,
      stride: 1,
      data: Uint8Array.from([0b10100000]),
      palette: pal,
    });
    assert.deepEqual(Array.from(one.pixels), [0xffa0b0c0, 0xff102030, 0xffa0b0c0]);
    const four = decodeBitmap({
      format: BitmapFormat.BIT4_LE,
      flags: BitmapFlag.TOP_DOWN,
      width: 2,
      height: 1,
      stride: 1,
      data: Uint8Array.from([0x10]),
      palette: pal,
    });
    assert.deepEqual(Array.from(four.pixels), [0xff102030, 0xffa0b0c0]);
    const sixteen = decodeBitmap({
      format: BitmapFormat.BIT16,
      flags: BitmapFlag.TOP_DOWN,
      width: 1,
      height: 1,
      stride: 2,
      data: Uint8Array.from([0x1f, 0x7c]),
    });
    assert.deepEqual(Array.from(sixteen.pixels), [0xffff00ff]);
    const rgb = decodeBitmap({
      format: BitmapFormat.BIT24,
      flags: 0,
      width: 1,
      height: 2,
      stride: 3,
      data: Uint8Array.from([1, 2, 3, 4, 5, 6]),
    });
    assert.deepEqual(Array.from(rgb.pixels), [0xff060504, 0xff030201]);
    assert.throws(
      () => decodeBitmap({ format: BitmapFormat.BIT8, flags: 0, width: 2, height: 2, stride: 2, data: new Uint8Array(4) }),
      /needs a palette/,
    );
    assert.throws(
      () => decodeBitmap({ format: BitmapFormat.BIT32, flags: 0, width: 2, height: 2, stride: 8, data: new Uint8Array(9) }),
      SpiceProtocolError,
    );
  });
});

/** Deterministic noise: a linear congruential generator's high bits. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state >>> 8;
  };
}

/** 5 bits widened to 8 as SPICE does. */
const widen5 = (v: number) => (v << 3) | (v >> 2);

/** What the decoder must produce for each source value, by QUIC type, worked out from the value alone. */
const EXPECTED_PIXEL: Record<number, (v: number) => number> = {
  [QuicImageType.GRAY]: (v) => (0xff000000 | (v * 0x010101)) >>> 0,
  [QuicImageType.RGB16]: (v) => (0xff000000 | (widen5((v >> 10) & 31) << 16) | (widen5((v >> 5) & 31) << 8) | widen5(v & 31)) >>> 0,
  [QuicImageType.RGB32]: (v) => (0xff000000 | v) >>> 0,
  [QuicImageType.RGBA]: (v) => v >>> 0,
};

/** Test pictures as one value per pixel, of `bits` bits. */
function quicPictures(bits: number): { name: string; width: number; height: number; values: (x: number, y: number) => number }[] {
  const max = 2 ** bits - 1;
  const random = noise(bits);
  return [
    { name: 'constant', width: 37, height: 21, values: () => Math.floor(max * 0.6) },
    { name: 'gradient', width: 64, height: 48, values: (x, y) => Math.floor(((x + 2 * y) / (64 + 96)) * max) },
    { name: 'noise', width: 45, height: 33, values: () => random() % (max + 1) },
    // Stripes and flat patches make the encoder take runs of every length.
    {
      name: 'stripes',
      width: 50,
      height: 40,
      values: (x, y) => (((x >> 3) + (y >> 2)) % 3 === 0 ? random() % (max + 1) : Math.floor(max / 3)),
    },
    // Wider than the 2048 values after which the model's wait mask steps up, inside one row.
    { name: 'wide', width: 2500, height: 3, values: (x, y) => ((x * 7 + y * 13) % 5 === 0 ? random() % (max + 1) : (x >> 4) % (max + 1)) },
  ];
}

function valuesOf(type: number, width: number, height: number, values: (x: number, y: number) => number): QuicSource['pixels'] {
  const n = width * height;
  const array = type === QuicImageType.GRAY ? new Uint8Array(n) : type === QuicImageType.RGB16 ? new Uint16Array(n) : new Uint32Array(n);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) array[y * width + x] = values(x, y);
  return array;
}

/** Both QUIC decoders: the native one the source uses, and the JavaScript one it falls back to. */
const QUIC_DECODERS = [
  { name: 'native', make: () => new NativeQuicDecoder() },
  { name: 'JavaScript', make: () => new QuicDecoder() },
];

for (const quicDecoder of QUIC_DECODERS)
  describe(`QUIC round trips through a reference-model encoder (${quicDecoder.name} decoder)`, () => {
    const types = [
      { name: 'GRAY', type: QuicImageType.GRAY, bits: 8 },
      { name: 'RGB16', type: QuicImageType.RGB16, bits: 15 },
      // The types real servers send, to show the encoder agrees with a decoder proven on Xspice data.
      { name: 'RGB32', type: QuicImageType.RGB32, bits: 24 },
      { name: 'RGBA', type: QuicImageType.RGBA, bits: 32 },
    ];
    for (const { name, type, bits } of types) {
      for (const picture of quicPictures(bits)) {
        it(`${name} ${picture.name} ${picture.width}x${picture.height}: decodes to exactly the encoded picture`, () => {
          const pixels = valuesOf(type, picture.width, picture.height, picture.values);
          const encoded = encodeQuic({ type, width: picture.width, height: picture.height, pixels });
          const decoded = quicDecoder.make().decode(encoded, { width: picture.width, height: picture.height });
          assert.equal(decoded.hasAlpha, type === QuicImageType.RGBA);
          const expected = Uint32Array.from(pixels, EXPECTED_PIXEL[type]);
          const firstDifference = decoded.pixels.findIndex((p, i) => p !== expected[i]);
          assert.equal(
            firstDifference,
            -1,
            `pixel ${firstDifference}: 0x${decoded.pixels[firstDifference]?.toString(16)} instead of 0x${expected[firstDifference]?.toString(16)}`,
          );
        });
      }
    }

    it('the encoder writes the same bytes as Xspice for the captured QUIC image', async () => {
      const image = loadFixture('quic').images[0];
      const data = (image.payload as { data: Buffer }).data;
      const decoded = quicDecoder.make().decode(data);
      const type = data.readUInt32LE(8);
      const pixels = decoded.pixels.slice();
      const encoded = encodeQuic({ type, width: decoded.width, height: decoded.height, pixels });
      assert.equal(Buffer.from(encoded).toString('hex'), data.toString('hex'));
    });

    it('one decoder decodes GRAY, RGB16 and RGBA images one after another', () => {
      const decoder = quicDecoder.make();
      for (const { type, bits } of types) {
        const [picture] = quicPictures(bits).filter((p) => p.name === 'noise');
        const pixels = valuesOf(type, picture.width, picture.height, picture.values);
        const decoded = decoder.decode(encodeQuic({ type, width: picture.width, height: picture.height, pixels }));
        assert.deepEqual(Array.from(decoded.pixels), Array.from(pixels, EXPECTED_PIXEL[type]));
      }
    });

    it('a type that is not a QUIC image type fails with a SpiceProtocolError naming it', () => {
      const encoded = Buffer.from(encodeQuic({ type: QuicImageType.GRAY, width: 4, height: 4, pixels: new Uint8Array(16) }));
      encoded.writeUInt32LE(9, 8);
      assert.throws(
        () => quicDecoder.make().decode(encoded),
        (error: unknown) => error instanceof SpiceProtocolError && /image type 9/.test(error.message),
      );
    });

    it('truncated GRAY and RGB16 streams fail with a SpiceProtocolError', () => {
      for (const { type, bits } of types.slice(0, 2)) {
        const [picture] = quicPictures(bits).filter((p) => p.name === 'noise');
        const encoded = encodeQuic({
          type,
          width: picture.width,
          height: picture.height,
          pixels: valuesOf(type, picture.width, picture.height, picture.values),
        });
        for (const keep of [encoded.length >> 1, 24]) {
          assert.throws(() => quicDecoder.make().decode(encoded.subarray(0, keep)), SpiceProtocolError);
        }
      }
    });
  });

describe('pixel row conversions (convertRows): libyuv through the addon and the portable fallback', () => {
  const KINDS: { kind: RowsKind; bytes: number }[] = [
    { kind: 'bgr24', bytes: 3 },
    { kind: 'rgb24', bytes: 3 },
    { kind: 'rgb555', bytes: 2 },
    { kind: 'gray8', bytes: 1 },
    { kind: 'bgrx32', bytes: 4 },
    { kind: 'bgrx32-5bit', bytes: 4 },
    { kind: 'gray-in-alpha32', bytes: 4 },
    { kind: 'alpha32', bytes: 4 },
  ];
  const W = 37;
  const H = 11;

  function randomBytes(n: number, seed: number): Buffer {
    const next = noise(seed);
    return Buffer.from(Uint8Array.from({ length: n }, () => next() & 255));
  }

  for (const { kind, bytes } of KINDS) {
    it(`${kind}: both paths write identical bytes, padding and offsets respected`, function () {
      if (!nativeAddonStatus().available) this.skip();
      // Padded rows at an offset, into a destination with its own stride and offset; every byte
      // outside the rectangle must come through untouched.
      const srcStride = W * bytes + 5;
      const src = randomBytes(7 + srcStride * H, 1);
      const dstStride = W * 4 + 12;
      const before = randomBytes(8 + dstStride * H + 3, 2);
      const native = Buffer.from(before);
      const portable = Buffer.from(before);
      loadNativeAddon().convertRows(kind, src, 7, srcStride, native, 8, dstStride, W, H);
      convertRowsPortable(kind, src, 7, srcStride, portable, 8, dstStride, W, H);
      assert.ok(native.equals(portable), `${kind}: the addon and the portable conversion differ`);
      assert.ok(!native.equals(before), `${kind}: nothing was written`);
      assert.ok(
        native.subarray(0, 8).equals(before.subarray(0, 8)) &&
          native.subarray(8 + W * 4, 8 + dstStride).equals(before.subarray(8 + W * 4, 8 + dstStride)),
      );
    });
  }

  it('the 32-bit kinds convert in place, the same on both paths', function () {
    if (!nativeAddonStatus().available) this.skip();
    for (const { kind } of KINDS.filter((k) => k.bytes === 4)) {
      const native = randomBytes(W * H * 4, 3);
      const portable = Buffer.from(native);
      loadNativeAddon().convertRows(kind, native, 0, W * 4, native, 0, W * 4, W, H);
      convertRowsPortable(kind, portable, 0, W * 4, portable, 0, W * 4, W, H);
      assert.ok(native.equals(portable), `${kind} in place`);
    }
  });

  it('values worked out by hand: 0555 and 5-bit widening, grey, byte orders, alpha', () => {
    const out = new Uint32Array(1);
    const one = (kind: RowsKind, src: number[]) => {
      convertRows(kind, Uint8Array.from(src), 0, src.length, out, 0, 4, 1, 1);
      return out[0];
    };
    assert.equal(one('rgb555', [0x1f, 0x7c]), 0xffff00ff); // r 31, g 0, b 31
    // 0x8210: the unused top bit set (still opaque), r 0 -> 0, g 16 -> 132, b 16 -> 132.
    assert.equal(one('rgb555', [0x10, 0x82]), 0xff008484);
    assert.equal(one('bgr24', [1, 2, 3]), 0xff030201);
    assert.equal(one('rgb24', [1, 2, 3]), 0xff010203);
    assert.equal(one('gray8', [0x7f]), 0xff7f7f7f);
    assert.equal(one('bgrx32', [1, 2, 3, 0]), 0xff030201);
    assert.equal(one('bgrx32-5bit', [1, 16, 31, 0]), (0xff000000 | (255 << 16) | (132 << 8) | 8) >>> 0);
    assert.equal(one('gray-in-alpha32', [0, 0, 0, 0x40]), 0xff404040);
    out[0] = 0x00123456;
    assert.equal(one('alpha32', [9, 9, 9, 0x80]), 0x80123456);
  });

  it('bad arguments throw a TypeError naming the field', () => {
    const src = new Uint8Array(16);
    const dst = new Uint32Array(4);
    assert.throws(() => convertRows('bgr48' as RowsKind, src, 0, 8, dst, 0, 8, 2, 2), /kind: must be one of/);
    assert.throws(
      () => convertRows('bgrx32', src, 4, 8, dst, 0, 8, 2, 2),
      (e: unknown) => e instanceof TypeError && /src: must hold at least 20 bytes/.test(e.message),
    );
    assert.throws(
      () => convertRows('bgrx32', src, 0, 4, dst, 0, 8, 2, 2),
      (e: unknown) => e instanceof TypeError && /srcStride/.test(e.message),
    );
    assert.throws(
      () => convertRows('bgrx32', src, 0, 8, dst, 0, 8, 0, 2),
      (e: unknown) => e instanceof TypeError && /width/.test(e.message),
    );
    // Only a 32-bit conversion can run in place; a grey plane widened over itself cannot.
    assert.throws(
      () => convertRows('gray8', src, 0, 2, src, 0, 8, 2, 1),
      (e: unknown) => e instanceof TypeError && /overlap/.test(e.message),
    );
    assert.throws(
      () => convertRows('bgrx32', src, 0, 8, src, 4, 8, 1, 2),
      (e: unknown) => e instanceof TypeError && /overlap/.test(e.message),
    );
    if (nativeAddonStatus().available) {
      // The addon checks for itself: no caller can make it read or write outside an array.
      assert.throws(
        () => loadNativeAddon().convertRows('bgrx32', src, 0, 8, dst, 4, 8, 2, 2),
        (e: unknown) => e instanceof TypeError && /dst holds 16 bytes/.test(e.message),
      );
      assert.throws(() => loadNativeAddon().convertRows('gray8', src, 0, 8, {} as Uint8Array, 0, 8, 2, 2), /dst must be a typed array/);
    }
  });
});

/** An LZ stream: the 28-byte big-endian header, then `body` as given. */
function lzStream(type: number, width: number, height: number, stride: number, topDown: boolean, body: number[]): Buffer {
  const header = Buffer.alloc(28);
  [0x20205a4c, 0x00010001, type, width, height, stride, topDown ? 1 : 0].forEach((v, i) => header.writeUInt32BE(v, i * 4));
  return Buffer.concat([header, Buffer.from(body)]);
}

describe('SPICE decoders on hand-made data: every bitmap format and the LZ pixel types', () => {
  const pal = Uint32Array.from([0x112233, 0x445566, 0x778899, 0xaabbcc]);
  const P = (i: number) => (0xff000000 | pal[i]) >>> 0;

  it('BITMAP BIT8: palette lookups, padded rows, bottom-up, an index past the palette is black', () => {
    // Rows as sent, bottom row first, stride 4 for 3 pixels.
    const data = Uint8Array.from([3, 1, 9, 0xee, 0, 1, 2, 0xee]);
    const image = decodeBitmap({ format: BitmapFormat.BIT8, flags: 0, width: 3, height: 2, stride: 4, data, palette: pal });
    assert.deepEqual(Array.from(image.pixels), [P(0), P(1), P(2), P(3), P(1), 0xff000000]);
    assert.equal(image.hasAlpha, false);
  });

  it('BITMAP BIT1_LE: least significant bit first, with a palette and as a black/white mask without one', () => {
    const data = Uint8Array.from([0b00000101, 0b00000010]);
    const bits = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1];
    const withPalette = decodeBitmap({
      format: BitmapFormat.BIT1_LE,
      flags: BitmapFlag.TOP_DOWN,
      width: 10,
      height: 1,
      stride: 2,
      data,
      palette: pal,
    });
    assert.deepEqual(
      Array.from(withPalette.pixels),
      bits.map((b) => P(b)),
    );
    const mask = decodeBitmap({ format: BitmapFormat.BIT1_LE, flags: BitmapFlag.TOP_DOWN, width: 10, height: 1, stride: 2, data });
    assert.deepEqual(
      Array.from(mask.pixels),
      bits.map((b) => (b ? 0xffffffff : 0xff000000)),
    );
  });

  it('BITMAP BIT4_BE: high nibble first, odd width', () => {
    const data = Uint8Array.from([0x12, 0x30, 0x03, 0x20]);
    const image = decodeBitmap({
      format: BitmapFormat.BIT4_BE,
      flags: BitmapFlag.TOP_DOWN,
      width: 3,
      height: 2,
      stride: 2,
      data,
      palette: pal,
    });
    assert.deepEqual(Array.from(image.pixels), [P(1), P(2), P(3), P(0), P(3), P(2)]);
  });

  it('BITMAP BIT16: 0555 widened v << 3 | v >> 2, the unused top bit ignored, padded rows, bottom-up', () => {
    // Bottom row: 0x001f (blue), 0x83e0 (green, top bit set); top row: 0x7fff (white), 0x4210 (grey 16).
    const data = Uint8Array.from([0x1f, 0x00, 0xe0, 0x83, 0xaa, 0xaa, 0xff, 0x7f, 0x10, 0x42, 0xaa, 0xaa]);
    const image = decodeBitmap({ format: BitmapFormat.BIT16, flags: 0, width: 2, height: 2, stride: 6, data });
    assert.deepEqual(Array.from(image.pixels), [0xffffffff, 0xff848484, 0xff0000ff, 0xff00ff00]);
  });

  it('BITMAP BIT32 comes out opaque whatever its fourth byte; RGBA keeps alpha', () => {
    const data = Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 0x80]);
    const x = decodeBitmap({ format: BitmapFormat.BIT32, flags: BitmapFlag.TOP_DOWN, width: 2, height: 1, stride: 8, data });
    assert.deepEqual(Array.from(x.pixels), [0xff030201, 0xff060504]);
    assert.equal(x.hasAlpha, false);
    const a = decodeBitmap({ format: BitmapFormat.RGBA, flags: BitmapFlag.TOP_DOWN, width: 2, height: 1, stride: 8, data });
    assert.deepEqual(Array.from(a.pixels), [0x00030201, 0x80060504]);
    assert.equal(a.hasAlpha, true);
  });

  it('LZ RGB16: big-endian 0555 literals and a 3-pixel match (length bias 2), top-down', () => {
    // ctrl 2: three literals; ctrl 0x40 + offset byte 2: a match of (2 - 1) + 2 = 3 pixels, 3 back.
    const data = lzStream(LzImageType.RGB16, 3, 2, 6, true, [2, 0x7c, 0x00, 0x03, 0xe0, 0x42, 0x10, 0x40, 2]);
    const image = decodeLz(data);
    const row = [0xffff0000, 0xff00ff00, 0xff848484];
    assert.deepEqual(Array.from(image.pixels), [...row, ...row]);
    assert.equal(image.hasAlpha, false);
  });

  it('LZ RGB16 bottom-up: the rows come out flipped', () => {
    const data = lzStream(LzImageType.RGB16, 1, 2, 2, false, [1, 0x00, 0x1f, 0x7c, 0x00]);
    assert.deepEqual(Array.from(decodeLz(data).pixels), [0xffff0000, 0xff0000ff]);
  });

  it('LZ A8: alpha bytes only, a match repeating them (length bias 3)', () => {
    // ctrl 1: literals 0x40, 0xff; ctrl 0x20 + offset 1: a match of (1 - 1) + 3 = 3 bytes, 2 back.
    const data = lzStream(LzImageType.A8, 5, 1, 5, true, [1, 0x40, 0xff, 0x20, 1]);
    const image = decodeLz(data);
    assert.deepEqual(Array.from(image.pixels), [0x40000000, 0xff000000, 0x40000000, 0xff000000, 0x40000000]);
    assert.equal(image.hasAlpha, true);
  });
});

describe('JPEG_ALPHA: the alpha plane follows the TOP_DOWN flag', () => {
  const W = 4;
  const H = 3;
  // Each row its own alpha, so a flip shows.
  const alphaRows = [0x10, 0x80, 0xf0];

  async function jpegAlpha(flags: number, lzTopDown: boolean): Promise<ImageDescriptor> {
    const jpeg = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 200, g: 100, b: 50 } } })
      .jpeg({ quality: 100 })
      .toBuffer();
    // XXXA: one literal run of all 12 alpha bytes, in the plane's own row order.
    const rows = lzTopDown ? alphaRows : [...alphaRows].reverse();
    const alpha = lzStream(LzImageType.XXXA, W, H, W * 4, lzTopDown, [W * H - 1, ...rows.flatMap((a) => Array(W).fill(a))]);
    return {
      id: 1n,
      type: ImageType.JPEG_ALPHA,
      flags: 0,
      width: W,
      height: H,
      payload: { kind: 'jpeg_alpha', flags, jpegSize: jpeg.length, data: Buffer.concat([jpeg, alpha]) },
    };
  }

  for (const topDown of [true, false]) {
    it(`${topDown ? 'TOP_DOWN' : 'bottom-up'}: alpha lands on the right rows, the JPEG's colours stay`, async () => {
      const image = await resolver().resolve(await jpegAlpha(topDown ? JPEG_ALPHA_FLAG_TOP_DOWN : 0, topDown));
      assert.equal(image.hasAlpha, true);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const p = image.pixels[y * W + x];
          assert.equal(p >>> 24, alphaRows[y], `alpha at ${x},${y}`);
          // The flat colour survives JPEG within a level or two.
          assert.ok(
            Math.abs(((p >> 16) & 255) - 200) <= 2 && Math.abs(((p >> 8) & 255) - 100) <= 2 && Math.abs((p & 255) - 50) <= 2,
            `colour at ${x},${y}: ${(p & 0xffffff).toString(16)}`,
          );
        }
      }
    });
  }

  it('a plane whose LZ header contradicts the flag is refused, naming both', async () => {
    const contradicting = await jpegAlpha(JPEG_ALPHA_FLAG_TOP_DOWN, false);
    await assert.rejects(
      async () => resolver().resolve(contradicting),
      (e: unknown) => e instanceof SpiceProtocolError && /top-down.*bottom-up/.test(e.message),
    );
    const contradictingTheOtherWay = await jpegAlpha(0, true);
    await assert.rejects(async () => resolver().resolve(contradictingTheOtherWay), SpiceProtocolError);
  });
});

describe('SPICE decoders writing into reused buffers (ImagePool)', () => {
  it('decode every captured image to the same pixels as into fresh buffers, whatever the reused ones held', async () => {
    const pool = new ImagePool();
    // Every slot holds a picture of neither (the decoders that take pooled images write every pixel).
    for (let slot = 0; slot < 3; slot++) pool.image(1024, 768, true).pixels.fill(0xdeadbeef);
    const bytes = (pixels: Uint32Array) => Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
    let pooledImages = 0;
    for (const name of ['bitmap', 'quic', 'lz', 'glz', 'zlib-glz', 'lz4']) {
      const fixture = loadFixture(name);
      const fresh = resolver();
      const pooled = new ImageResolver(
        new ImageCache(1 << 24),
        new GlzWindow(1 << 24),
        createQuicDecoder(pool.image),
        new Map(),
        pool.image,
      );
      for (const [i, descriptor] of fixture.images.entries()) {
        const expected = await fresh.resolve(descriptor);
        const image = await pooled.resolve(descriptor);
        assert.deepEqual([image.width, image.height], [expected.width, expected.height]);
        assert.ok(bytes(image.pixels).equals(bytes(expected.pixels)), `${name} image ${i}: the same pixels`);
        if (image.transient) pooledImages++;
      }
    }
    // The bitmap, QUIC and LZ images at least came from the pool.
    assert.ok(pooledImages >= 3, `${pooledImages} images decoded into reused buffers`);
  });
});
