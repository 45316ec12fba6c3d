/**
 * SPICE's LZ4 streams in the addon (native/src/lz4-decoder.cc) against the JavaScript decoder it
 * replaces (lz4.ts and lz4-block.ts, the fallback without the addon): the same bytes from every
 * image Xspice sent and from streams made by hand, the same reason from every kind of corrupt
 * stream, and the same outcome from thousands of mutated and cut ones.
 */
import assert from 'node:assert/strict';
import { loadNativeAddon, nativeAddonStatus } from '../../../src/codec/native-addon';
import { SpiceProtocolError } from '../../../src/sources/spice';
import type { DecodedImage } from '../../../src/sources/spice/decoders/decoded-image';
import { decodeSpiceLz4, defaultLz4Stream, JAVASCRIPT_LZ4_STREAM, type Lz4Stream } from '../../../src/sources/spice/decoders/lz4';
import { BitmapFormat, ImageType } from '../../../src/sources/spice/wire/constants';
import { SyntheticDesktop } from '../../../src/sources/synthetic/synthetic-desktop';
import { loadFixture } from '../../support/spice/fixtures';
import { lz4Blocks } from '../../support/spice/lz4-encoder';
import { prng } from '../../support/prng';

type Outcome = { pixels: Buffer } | { refused: string };

/** What decoding gave: the pixels' bytes, or the protocol error's message (anything else fails). */
function outcome(decode: () => DecodedImage): Outcome {
  try {
    const image = decode();
    return { pixels: Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength) };
  } catch (error) {
    if (!(error instanceof SpiceProtocolError)) throw error;
    return { refused: error.message };
  }
}

/** An LZ4 image: top-down flag, bitmap format, then each block behind its big-endian size. */
function lz4Image(format: number, blocks: readonly number[][]): Buffer {
  const parts = blocks.map((block) => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(block.length);
    return Buffer.concat([size, Buffer.from(block)]);
  });
  return Buffer.concat([Buffer.from([1, format]), ...parts]);
}

describe('LZ4 in the addon against JavaScript', () => {
  let native: Lz4Stream;

  before(function () {
    const addon = nativeAddonStatus().available ? loadNativeAddon() : undefined;
    if (!addon?.decodeLz4) this.skip(); // the addon is optional
    native = addon.decodeLz4.bind(addon);
  });

  const both = (data: Uint8Array, width: number, height: number): [Outcome, Outcome] => [
    outcome(() => decodeSpiceLz4(data, width, height, native)),
    outcome(() => decodeSpiceLz4(data, width, height, JAVASCRIPT_LZ4_STREAM)),
  ];

  it('is the decoder the source uses when the addon is there', () => {
    assert.notEqual(defaultLz4Stream(), JAVASCRIPT_LZ4_STREAM);
  });

  it('every LZ4 image Xspice sent decodes to the same bytes', () => {
    const images = loadFixture('lz4').images.filter((image) => image.type === ImageType.LZ4);
    assert.ok(images.length >= 1, `${images.length} LZ4 images captured`);
    let pixels = 0;
    for (const [i, image] of images.entries()) {
      const data = (image.payload as { data: Buffer }).data;
      const [fromNative, fromJs] = both(data, image.width, image.height);
      assert.ok('pixels' in fromJs, `image ${i} decodes in JavaScript`);
      assert.deepEqual(fromNative, fromJs, `image ${i}`);
      pixels += image.width * image.height;
    }
    assert.ok(pixels > 0);
  });

  it('a 1080p picture of a desktop, compressed in blocks, decodes to the same bytes', async () => {
    // The desktop the server draws (wallpaper, window, text), as BGRX rows, in 64 kB blocks.
    const desktop = new SyntheticDesktop({ width: 1920, height: 1080 });
    await desktop.start({ damage: () => {}, requestFrame: () => {}, pointer: () => {} });
    const surface = desktop.surface()!;
    await desktop.stop();
    const data = Buffer.concat([Buffer.from([1, BitmapFormat.BIT32]), lz4Blocks(surface.pixels, 65536)]);
    assert.ok(data.length < surface.pixels.length / 4, `compressed to ${data.length} bytes`);
    const [fromNative, fromJs] = both(data, 1920, 1080);
    assert.ok('pixels' in fromJs, JSON.stringify(fromJs));
    assert.deepEqual(fromNative, fromJs);
  });

  it('streams made by hand: long lengths, overlapping matches of each period, a dictionary across blocks', () => {
    const literals = (n: number) => Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
    // Block 1: 15 + 255 + 30 = 300 literals (the literal length spills into two bytes), then a
    // match of 4 + 15 + 255 + 255 + 10 = 539 bytes one back (a fill), then 4 literals.
    const block1 = [0xff, 255, 30, ...literals(300), 1, 0, 255, 255, 10, 0x40, ...literals(4)];
    // Block 2: one literal, then matches 3 and 7 back longer than their periods (26 and 16
    // bytes), 64 and 832 back (into block 1's output), and 5 closing literals.
    const block2 = [0x1f, 1, ...[3, 0], 7, 0x0c, ...[7, 0], 0x0f, ...[64, 0], 20, 0x02, ...[0x40, 0x03], 0x50, ...literals(5)];
    const data = lz4Image(BitmapFormat.BIT8_A, [block1, block2]);
    // An image of one row as long as the stream's output, as the JavaScript decoder finds it.
    const js = JAVASCRIPT_LZ4_STREAM(data, 2, new Uint8Array(1 << 16));
    assert.equal(typeof js, 'number', `the JavaScript decoder takes the stream (${js})`);
    const length = js as number;
    const [fromNative, fromJs] = both(data, length, 1);
    assert.ok('pixels' in fromJs, JSON.stringify(fromJs));
    assert.deepEqual(fromNative, fromJs);
  });

  it('refuses each kind of corrupt stream with the same reason', () => {
    const cases: { name: string; blocks?: number[][]; raw?: Buffer; width: number; reason: RegExp }[] = [
      { name: 'a cut block size', raw: Buffer.from([1, BitmapFormat.BIT8_A, 0, 0, 1]), width: 4, reason: /^LZ4: truncated block size$/ },
      {
        name: 'a block past the data',
        raw: Buffer.from([1, BitmapFormat.BIT8_A, 0, 0, 0, 9, 0x10, 1]),
        width: 4,
        reason: /^LZ4: block of 9 bytes runs past the data$/,
      },
      {
        name: 'a literal length past the block',
        blocks: [[0xf0, 255]],
        width: 4,
        reason: /^LZ4: literal length runs past the block at input offset 8$/,
      },
      { name: 'literals past the block', blocks: [[0x30, 1, 2]], width: 4, reason: /^LZ4: literals run past the block at input offset 7$/ },
      {
        name: 'literals past the image',
        blocks: [[0x50, 1, 2, 3, 4, 5]],
        width: 4,
        reason: /^LZ4: literals overflow the image at input offset 7$/,
      },
      { name: 'a cut match offset', blocks: [[0x10, 1, 3]], width: 4, reason: /^LZ4: match offset runs past the block at input offset 8$/ },
      {
        name: 'an offset of 0',
        blocks: [[0x10, 1, 0, 0]],
        width: 8,
        reason: /^LZ4: match offset 0 reaches before the output at input offset 10$/,
      },
      {
        name: 'an offset before the output',
        blocks: [[0x10, 1, 2, 0]],
        width: 8,
        reason: /^LZ4: match offset 2 reaches before the output at input offset 10$/,
      },
      {
        name: 'a match length past the block',
        blocks: [[0x1f, 1, 1, 0, 255]],
        width: 40,
        reason: /^LZ4: match length runs past the block at input offset 11$/,
      },
      {
        name: 'a match past the image',
        blocks: [[0x1f, 1, 1, 0, 3]],
        width: 8,
        reason: /^LZ4: match overflows the image at input offset 11$/,
      },
      { name: 'too few bytes for the image', blocks: [[0x30, 1, 2, 3]], width: 4, reason: /^LZ4: decoded 3 bytes, the image needs 4$/ },
    ];
    for (const c of cases) {
      const data = c.raw ?? lz4Image(BitmapFormat.BIT8_A, c.blocks!);
      const [fromNative, fromJs] = both(data, c.width, 1);
      assert.ok('refused' in fromJs && c.reason.test(fromJs.refused), `${c.name}: JavaScript says ${JSON.stringify(fromJs)}`);
      assert.deepEqual(fromNative, fromJs, c.name);
    }
  });

  it('thousands of mutated and cut streams give the same image or the same refusal', () => {
    const images = loadFixture('lz4').images.filter((image) => image.type === ImageType.LZ4);
    const random = prng(0x4c5a34);
    let refused = 0;
    let decoded = 0;
    for (let round = 0; round < 3000; round++) {
      const image = images[round % images.length]!;
      const original = (image.payload as { data: Buffer }).data;
      const data = Buffer.from(original.subarray(0, random() < 0.3 ? 2 + Math.floor(random() * (original.length - 2)) : original.length));
      const changes = 1 + Math.floor(random() * 4);
      for (let i = 0; i < changes && data.length > 3; i++) data[2 + Math.floor(random() * (data.length - 2))] = Math.floor(random() * 256);
      const [fromNative, fromJs] = both(data, image.width, image.height);
      assert.deepEqual(fromNative, fromJs, `round ${round}`);
      if ('refused' in fromJs) refused++;
      else decoded++;
    }
    assert.ok(refused > 100, `${refused} refused`);
    assert.ok(decoded + refused === 3000, `${decoded} decoded`);
  });

  it('refuses bad arguments, naming the field', () => {
    const addon = loadNativeAddon();
    const decode = addon.decodeLz4!.bind(addon);
    assert.throws(() => decode(undefined as never, 0, new Uint8Array(1)), /^TypeError: data must be/);
    assert.throws(() => decode(new Uint8Array(4), 5, new Uint8Array(1)), /^TypeError: start must be an integer from 0 to data's length$/);
    assert.throws(() => decode(new Uint8Array(4), 0.5, new Uint8Array(1)), /^TypeError: start must be an integer from 0 to data's length$/);
    assert.throws(() => decode(new Uint8Array(4), 0, 'out' as never), /^TypeError: out must be/);
  });
});
