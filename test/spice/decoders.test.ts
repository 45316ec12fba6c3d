import assert from 'node:assert/strict';
import { decodeBitmap } from '../../src/sources/spice/decoders/bitmap';
import { GlzWindow } from '../../src/sources/spice/decoders/glz-window';
import { decodeLz } from '../../src/sources/spice/decoders/lz';
import { decodeLz4Block } from '../../src/sources/spice/decoders/lz4-block';
import { QuicDecoder } from '../../src/sources/spice/decoders/quic';
import { ImageCache } from '../../src/sources/spice/display/image-cache';
import type { ImageDescriptor } from '../../src/sources/spice/display/image-descriptor';
import { ImageResolver } from '../../src/sources/spice/display/image-resolver';
import { SpiceProtocolError } from '../../src/sources/spice';
import { BitmapFormat, BitmapFlag } from '../../src/sources/spice/wire/constants';
import { findPhoto, loadFixture, loadPhoto } from './helpers/fixtures';

function resolver(): ImageResolver {
  return new ImageResolver(new ImageCache(1 << 24), new GlzWindow(1 << 24), new QuicDecoder(), new Map());
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
  return { ...descriptor, payload: { ...descriptor.payload, data: payload.data.subarray(0, keep(payload.data.length)) } as ImageDescriptor['payload'] };
}

describe('SPICE image decoders on data captured from Xspice', () => {
  for (const name of ['bitmap', 'quic', 'lz', 'glz', 'lz4']) {
    it(`${name}: decodes the captured image to the exact reference picture`, async () => {
      const fixture = loadFixture(name);
      const photo = await loadPhoto();
      const image = await decodeAll(fixture.images);
      assert.ok(findPhoto(image, photo), `the ${photo.width}x${photo.height} reference appears in the decoded ${image.width}x${image.height} image (${fixture.server})`);
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
    assert.throws(() => decodeLz4Block(Uint8Array.from([0x30, 97, 98, 99, 9, 0]), 0, 6, new Uint8Array(10), 0), SpiceProtocolError);
    assert.throws(() => decodeLz4Block(block, 0, block.length, new Uint8Array(5), 0), SpiceProtocolError);
  });

  it('LZ_PLT (PLT8): literals and a match through the palette', () => {
    const header = Buffer.alloc(28);
    [0x20205a4c, 0x00010001, 5 /* PLT8 */, 4, 2, 4, 1].forEach((v, i) => header.writeUInt32BE(v, i * 4));
    const data = Buffer.concat([header, Buffer.from([3, 1, 2, 3, 0, 0x40, 0x03])]);
    const palette = Uint32Array.from([0x000000, 0xff0000, 0x00ff00, 0x0000ff]);
    const image = decodeLz(data, palette);
    assert.deepEqual(Array.from(image.pixels), [0xffff0000, 0xff00ff00, 0xff0000ff, 0xff000000, 0xffff0000, 0xff00ff00, 0xff0000ff, 0xff000000]);
  });

  it('BITMAP: 1-bit big-endian with a palette, 4-bit little-endian, 16-bit 555, 24-bit bottom-up', () => {
    const pal = Uint32Array.from([0x102030, 0xa0b0c0]);
    const one = decodeBitmap({ format: BitmapFormat.BIT1_BE, flags: BitmapFlag.TOP_DOWN, width: 3, height: 1, stride: 1, data: Uint8Array.from([0b10100000]), palette: pal });
    assert.deepEqual(Array.from(one.pixels), [0xffa0b0c0, 0xff102030, 0xffa0b0c0]);
    const four = decodeBitmap({ format: BitmapFormat.BIT4_LE, flags: BitmapFlag.TOP_DOWN, width: 2, height: 1, stride: 1, data: Uint8Array.from([0x10]), palette: pal });
    assert.deepEqual(Array.from(four.pixels), [0xff102030, 0xffa0b0c0]);
    const sixteen = decodeBitmap({ format: BitmapFormat.BIT16, flags: BitmapFlag.TOP_DOWN, width: 1, height: 1, stride: 2, data: Uint8Array.from([0x1f, 0x7c]) });
    assert.deepEqual(Array.from(sixteen.pixels), [0xffff00ff]);
    const rgb = decodeBitmap({ format: BitmapFormat.BIT24, flags: 0, width: 1, height: 2, stride: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    assert.deepEqual(Array.from(rgb.pixels), [0xff060504, 0xff030201]);
    assert.throws(() => decodeBitmap({ format: BitmapFormat.BIT8, flags: 0, width: 2, height: 2, stride: 2, data: new Uint8Array(4) }), /needs a palette/);
    assert.throws(() => decodeBitmap({ format: BitmapFormat.BIT32, flags: 0, width: 2, height: 2, stride: 8, data: new Uint8Array(9) }), SpiceProtocolError);
  });
});
