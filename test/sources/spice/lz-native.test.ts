/**
 * LZ and GLZ's per-pixel loops in the addon (native/src/lz-decoder.cc) against the JavaScript
 * ones they replace (lz-javascript.ts, the fallback without the addon): the same bytes from every
 * image Xspice sent, from every pixel type made by hand, and the same image or the same
 * SpiceProtocolError from thousands of mutated and cut streams.
 */
import assert from 'node:assert/strict';
import { loadNativeAddon, nativeAddonStatus } from '../../../src/codec/native-addon';
import { SpiceProtocolError } from '../../../src/sources/spice';
import { newImage, type DecodedImage } from '../../../src/sources/spice/decoders/decoded-image';
import { decodeGlz } from '../../../src/sources/spice/decoders/glz';
import { GlzWindow } from '../../../src/sources/spice/decoders/glz-window';
import { decodeLz } from '../../../src/sources/spice/decoders/lz';
import { LzImageType, type LzPasses } from '../../../src/sources/spice/decoders/lz-common';
import { JAVASCRIPT_LZ_PASSES } from '../../../src/sources/spice/decoders/lz-javascript';
import { defaultLzPasses, NATIVE_LZ_PASSES } from '../../../src/sources/spice/decoders/lz-native';
import { ImageType } from '../../../src/sources/spice/wire/constants';
import { loadFixture } from '../../support/spice/fixtures';
import { prng } from '../../support/prng';

type Outcome = { pixels: Buffer; hasAlpha: boolean } | { refused: string };

/** What decoding gave: the pixels' bytes, or the protocol error's message (anything else fails). */
function outcome(decode: () => DecodedImage): Outcome {
  try {
    const image = decode();
    return { pixels: Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), hasAlpha: image.hasAlpha };
  } catch (error) {
    if (!(error instanceof SpiceProtocolError)) throw error;
    return { refused: error.message };
  }
}

/** A captured fixture's images of one type: their compressed data, in the order sent. */
function captured(name: string, type: number): Buffer[] {
  return loadFixture(name)
    .images.filter((image) => image.type === type)
    .map((image) => (image.payload as { data: Buffer }).data);
}

/** Decodes a sequence of GLZ images (one dictionary window) with `passes`. */
function glzOutcomes(images: readonly Uint8Array[], passes: LzPasses): Outcome[] {
  const window = new GlzWindow(1 << 24);
  return images.map((data) => outcome(() => decodeGlz(data, window, undefined, newImage, passes)));
}

/** An LZ stream: the 28-byte big-endian header, then `body`. */
function lzStream(type: number, width: number, height: number, stride: number, body: number[]): Buffer {
  const header = Buffer.alloc(28);
  [0x20205a4c, 0x00010001, type, width, height, stride, 1].forEach((value, i) => header.writeUInt32BE(value, i * 4));
  return Buffer.concat([header, Buffer.from(body)]);
}

/** `bytes` mutated: a few bytes changed, or cut short, or both. */
function mutated(bytes: Buffer, random: () => number): Buffer {
  const out = Buffer.from(bytes.subarray(0, random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length));
  const changes = 1 + Math.floor(random() * 4);
  // The header (28 or 33 bytes) is the decoders' own: mutate the streams after it.
  for (let i = 0; i < changes && out.length > 40; i++) out[40 + Math.floor(random() * (out.length - 40))] = Math.floor(random() * 256);
  return out;
}

describe('LZ and GLZ in the addon against JavaScript', () => {
  before(function () {
    if (!nativeAddonStatus().available) this.skip(); // the native addon is optional
  });

  it('the decoders use the addon when it is built', () => {
    assert.equal(defaultLzPasses(), NATIVE_LZ_PASSES);
  });

  it('every LZ and GLZ image Xspice sent decodes to the same bytes', () => {
    const lz = captured('lz', ImageType.LZ_RGB);
    const glz = captured('glz', ImageType.GLZ_RGB);
    assert.ok(lz.length >= 1 && glz.length >= 2, `${lz.length} LZ and ${glz.length} GLZ images captured`);
    for (const [i, data] of lz.entries()) {
      const js = outcome(() => decodeLz(data, undefined, undefined, newImage, JAVASCRIPT_LZ_PASSES));
      assert.ok('pixels' in js, `LZ image ${i} decodes`);
      assert.deepEqual(
        outcome(() => decodeLz(data, undefined, undefined, newImage, NATIVE_LZ_PASSES)),
        js,
        `LZ image ${i}`,
      );
    }
    const js = glzOutcomes(glz, JAVASCRIPT_LZ_PASSES);
    assert.ok(
      js.every((image) => 'pixels' in image),
      'every GLZ image decodes',
    );
    assert.deepEqual(glzOutcomes(glz, NATIVE_LZ_PASSES), js);
  });

  it('every pixel type made by hand, with long matches, far matches and both RGBA passes, decodes alike', () => {
    const literals = (n: number, bytesPerPixel: number) => [n - 1, ...Array.from({ length: n * bytesPerPixel }, (_, i) => (i * 37) & 255)];
    const streams = [
      // RGB32: 32 literal pixels, then a match of 6 + 255 + 45 + 1 pixels one back (its length
      // continued over two bytes), then 64 literals to the end.
      lzStream(LzImageType.RGB32, 403, 1, 1612, [...literals(32, 3), 0xe0, 255, 45, 0, ...literals(32, 3), ...literals(32, 3)]),
      // RGB24: 8224 literal pixels, then a pixel from 8202 back (past 8191: offset byte 255 after
      // 31 << 8, then two bytes more), then 775 literals to the end.
      lzStream(LzImageType.RGB24, 9000, 1, 27000, [
        ...Array.from({ length: 257 }, () => literals(32, 3)).flat(),
        0x3f,
        255,
        0,
        10,
        ...Array.from({ length: 24 }, () => literals(32, 3)).flat(),
        ...literals(7, 3),
      ]),
      // RGB16: big-endian 0555 literals and a match (length bias 2).
      lzStream(LzImageType.RGB16, 3, 2, 6, [2, 0x7c, 0x00, 0x03, 0xe0, 0x42, 0x10, 0x40, 2]),
      // RGBA: a colour pass, then an alpha pass over the same pixels (length bias 3).
      lzStream(LzImageType.RGBA, 8, 1, 32, [...literals(4, 3), 0x80, 3, ...literals(4, 1), 0x40, 3]),
      // XXXA: alpha alone over black.
      lzStream(LzImageType.XXXA, 6, 1, 24, [...literals(3, 1), 0x20, 2]),
      // A8 and PLT8: the byte-unit pass (length bias 3).
      lzStream(LzImageType.A8, 5, 1, 5, [1, 0x40, 0xff, 0x20, 1]),
      lzStream(LzImageType.PLT8, 4, 2, 4, [3, 0, 1, 2, 3, 0x40, 3]),
    ];
    const palette = Uint32Array.from([0x112233, 0x445566, 0x778899, 0xaabbcc]);
    for (const [i, data] of streams.entries()) {
      const js = outcome(() => decodeLz(data, palette, undefined, newImage, JAVASCRIPT_LZ_PASSES));
      assert.ok('pixels' in js, `stream ${i} decodes: ${JSON.stringify(js)}`);
      assert.deepEqual(
        outcome(() => decodeLz(data, palette, undefined, newImage, NATIVE_LZ_PASSES)),
        js,
        `stream ${i}`,
      );
    }
  });

  it('2000 mutated or cut streams: the same image or the same SpiceProtocolError from both', () => {
    const random = prng(12);
    const lz = captured('lz', ImageType.LZ_RGB);
    const glz = captured('glz', ImageType.GLZ_RGB);
    const seen = { decoded: 0, refused: 0 };
    for (let round = 0; round < 1000; round++) {
      const data = mutated(lz[round % lz.length]!, random);
      const js = outcome(() => decodeLz(data, undefined, undefined, newImage, JAVASCRIPT_LZ_PASSES));
      assert.deepEqual(
        outcome(() => decodeLz(data, undefined, undefined, newImage, NATIVE_LZ_PASSES)),
        js,
        `LZ round ${round}`,
      );
      seen['pixels' in js ? 'decoded' : 'refused']++;
    }
    for (let round = 0; round < 1000; round++) {
      // The last image refers to the earlier ones: mutate it, or one it refers to.
      const images = glz.slice();
      const which = random() < 0.7 ? images.length - 1 : Math.floor(random() * images.length);
      images[which] = mutated(images[which]!, random);
      const js = glzOutcomes(images, JAVASCRIPT_LZ_PASSES);
      assert.deepEqual(glzOutcomes(images, NATIVE_LZ_PASSES), js, `GLZ round ${round}`);
      seen['pixels' in js[which]! ? 'decoded' : 'refused']++;
    }
    // Both kinds of outcome were compared, not only one.
    assert.ok(seen.decoded > 100 && seen.refused > 100, JSON.stringify(seen));
  });

  it('the addon checks its arguments: a TypeError naming the field', () => {
    const addon = loadNativeAddon();
    const data = Buffer.alloc(8);
    assert.throws(() => addon.decodeLzPass(data, 0, new Uint32Array(2), 3, 0), /^TypeError: out holds fewer than count pixels$/);
    assert.throws(() => addon.decodeLzPass(data, 0, new Uint8Array(16) as never, 3, 0), /^TypeError: out must be a Uint32Array$/);
    assert.throws(() => addon.decodeLzPass(data, 0, new Uint32Array(4), 3, 3), /^TypeError: pass must be an integer from 0 to 2/);
    assert.throws(() => addon.decodeLzBytes(data, -1, new Uint8Array(4), 3), /^TypeError: start must be an integer/);
    assert.throws(
      () => addon.decodeGlzPass(data, 0, new Uint32Array(4), 3, 0, undefined as never),
      /^TypeError: image must be a function$/,
    );
  });
});
