import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../../src/codec/native-addon';
import { SpiceDisplaySource, SpiceProtocolError } from '../../../src/sources/spice';
import type { DecodedImage } from '../../../src/sources/spice/decoders/decoded-image';
import { createQuicDecoder, NativeQuicDecoder } from '../../../src/sources/spice/decoders/native-quic';
import { QuicDecoder } from '../../../src/sources/spice/decoders/quic';
import { GlzWindow } from '../../../src/sources/spice/decoders/glz-window';
import { QuicImageType } from '../../../src/sources/spice/decoders/quic-header';
import { ImageCache } from '../../../src/sources/spice/display/image-cache';
import { ImageResolver } from '../../../src/sources/spice/display/image-resolver';
import { ImageFlag, ImageType } from '../../../src/sources/spice/wire/constants';
import { createLogger } from '../../../src/util/logger';
import { findPhoto, loadFixture, loadPhoto } from '../../support/spice/fixtures';
import { captureImages } from '../../support/spice/image-capture';
import { delay, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { Xspice } from '../../support/spice/xspice';
import { encodeQuic } from '../../support/spice/tools/quic-encoder';
import { prng } from '../../support/prng';

/** The compressed data of every QUIC image among `images`. */
function quicData(images: { type: number; payload: unknown }[]): Buffer[] {
  return images.filter((i) => i.type === ImageType.QUIC).map((i) => (i.payload as { data: Buffer }).data);
}

/** Pixels in all of the QUIC images, by their headers. */
function pixelCount(images: Buffer[]): number {
  return images.reduce((n, data) => n + data.readUInt32LE(12) * data.readUInt32LE(16), 0);
}

/** What a decoder made of some data: the pixels' bytes, or the message it refused the data with. */
function outcome(decode: () => DecodedImage): { bytes?: Buffer; hasAlpha?: boolean; refused?: string } {
  try {
    const image = decode();
    return { bytes: Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), hasAlpha: image.hasAlpha };
  } catch (error) {
    // Anything but a protocol error (a TypeError, a RangeError) is a decoder bug.
    if (!(error instanceof SpiceProtocolError)) throw error;
    return { refused: error.message };
  }
}

/** One seeded mutation of `data`: cut short, bytes overwritten, or a header word replaced. */
function mutate(data: Buffer, random: () => number): { data: Buffer; what: string } {
  const pick = (n: number) => Math.floor(random() * n);
  const copy = Buffer.from(data);
  switch (pick(4)) {
    case 0: {
      const keep = pick(data.length);
      return { data: copy.subarray(0, keep), what: `cut to ${keep} bytes` };
    }
    case 1: {
      const count = 1 + pick(8);
      for (let i = 0; i < count; i++) copy[20 + pick(copy.length - 20)] = pick(256);
      return { data: copy, what: `${count} bytes of the stream overwritten` };
    }
    case 2: {
      // A run of 0xff bytes reads as long MELCODE runs, 0x00 as long Golomb prefixes.
      const at = 20 + pick(copy.length - 20);
      const value = random() < 0.5 ? 0xff : 0x00;
      copy.fill(value, at, Math.min(copy.length, at + 1 + pick(64)));
      return { data: copy, what: `bytes from ${at} set to 0x${value.toString(16)}` };
    }
    default: {
      // Type, width or height: another image's shape over this image's stream.
      const field = 8 + 4 * pick(3);
      const value = [0, 1, 2, 3, 4, 5, 6, 7, 16384, 16385, 0xffffffff][pick(11)] || pick(4096);
      copy.writeUInt32LE(value >>> 0, field);
      return { data: copy, what: `header word at ${field} set to ${value}` };
    }
  }
}

describe('native QUIC decoder (the addon) against the JavaScript decoder', () => {
  it('is what the SPICE display channel decodes QUIC with, the addon being built', () => {
    assert.equal(typeof loadNativeAddon().decodeQuic, 'function');
    assert.ok(createQuicDecoder() instanceof NativeQuicDecoder);
  });

  it('decodes the captured Xspice image to the exact reference picture, byte for byte as the JavaScript decoder does', async () => {
    const [data] = quicData(loadFixture('quic').images);
    const native = new NativeQuicDecoder().decode(data);
    assert.ok(findPhoto(native, await loadPhoto()), 'the reference picture appears in the natively decoded image');
    assert.deepEqual(
      outcome(() => native),
      outcome(() => new QuicDecoder().decode(data)),
    );
  });

  it('refuses 3000 seeded mutations of a captured image exactly where the JavaScript decoder does, and decodes the rest to the same bytes', () => {
    const [data] = quicData(loadFixture('quic').images);
    const random = prng(11);
    const native = new NativeQuicDecoder();
    const javascript = new QuicDecoder();
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const mutant = mutate(data, random);
      const a = outcome(() => native.decode(mutant.data));
      const b = outcome(() => javascript.decode(mutant.data));
      assert.deepEqual(a, b, `mutation ${i} (${mutant.what})`);
      if (a.refused !== undefined) refused++;
    }
    // Most mutations break the stream; some only change pixels, and both kinds must be there.
    assert.ok(refused > 300 && refused < 3000, `${refused} of 3000 mutants refused`);
  });

  it('reuses its pixel buffers, and the image cache keeps a copy of a CACHE_ME image that later decodes overwrite', () => {
    const [original] = loadFixture('quic').images;
    const resolver = new ImageResolver(new ImageCache(1 << 24), new GlzWindow(1 << 24), createQuicDecoder(), new Map());
    const first = resolver.resolve({ ...original, id: 7n, flags: ImageFlag.CACHE_ME }) as DecodedImage;
    assert.equal(first.transient, true);
    const expected = Buffer.from(first.pixels.slice().buffer);
    // Three other pictures of the same size go through every reused buffer, the first one's too.
    const others = [0x102030, 0x405060, 0x708090].map((colour) =>
      encodeQuic({ type: QuicImageType.RGB32, width: 64, height: 48, pixels: new Uint32Array(64 * 48).fill(colour) }),
    );
    const overwritten = others.map(
      (other) => resolver.resolve({ ...original, payload: { kind: 'binary', data: Buffer.from(other) } }) as DecodedImage,
    );
    assert.equal(overwritten[2].pixels.buffer, first.pixels.buffer, "the fourth decode reuses the first one's buffer");
    assert.equal(first.pixels[0], (0xff000000 | 0x708090) >>> 0, 'the first image was overwritten');
    const cached = resolver.resolve({
      id: 7n,
      type: ImageType.FROM_CACHE,
      flags: 0,
      width: 64,
      height: 48,
      payload: { kind: 'cached' },
    }) as DecodedImage;
    assert.ok(
      Buffer.from(cached.pixels.buffer, cached.pixels.byteOffset, cached.pixels.byteLength).equals(expected),
      'the cached image holds the first picture',
    );
  });

  it('names the reason for data that is no QUIC image', () => {
    const [data] = quicData(loadFixture('quic').images);
    const cases: [Buffer, RegExp][] = [
      [data.subarray(0, 19), /19 bytes cannot hold a header/],
      [Buffer.concat([Buffer.from('QUIX'), data.subarray(4)]), /bad magic/],
      [data.subarray(0, 24), /compressed data ends before the image does/],
    ];
    for (const [bad, reason] of cases) {
      assert.throws(
        () => new NativeQuicDecoder().decode(bad),
        (error: unknown) => error instanceof SpiceProtocolError && reason.test(error.message),
      );
    }
  });

  it('checks its arguments in the addon: a pixel buffer too small for the header size is a TypeError naming it', () => {
    const [data] = quicData(loadFixture('quic').images);
    assert.throws(
      () => loadNativeAddon().decodeQuic(data, new Uint32Array(64 * 48 - 1)),
      (error: unknown) => error instanceof TypeError && /pixels must hold 12288 bytes/.test(error.message),
    );
    assert.throws(
      () => loadNativeAddon().decodeQuic('QUIC' as unknown as Uint8Array, new Uint32Array(1)),
      (error: unknown) => error instanceof TypeError && /data must be a typed array/.test(error.message),
    );
  });
});

describe('native QUIC decoder on images Xspice sends', function () {
  this.timeout(90000);
  const dir = mkdtempSync(join(tmpdir(), 'screencap-quic-native-'));
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  let scene: Scene | undefined;
  let images: Buffer[] = [];

  before(async () => {
    server = await Xspice.start({ compression: 'quic' });
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server.port,
      logger: createLogger('t', { level: 'silent' }),
      preferredCompression: 'quic',
    });
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    const captured = captureImages(source);
    scene = new Scene(server.env, dir);
    await scene.draw();
    await delay(1500);
    await scene.moveXterm(450, 380);
    // The photograph alone is 320x240; the terminal and the root come in further images.
    await waitFor(
      () => (pixelCount(quicData(captured.map((c) => c.descriptor))) > 320 * 240 ? true : undefined),
      20000,
      'QUIC images of the photograph and the terminal',
    );
    await delay(1000);
    images = quicData(captured.map((c) => c.descriptor));
  });

  after(async () => {
    await source?.stop();
    await scene?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes every one byte for byte as the JavaScript decoder does', () => {
    const native = new NativeQuicDecoder();
    const javascript = new QuicDecoder();
    assert.ok(images.length > 0 && pixelCount(images) > 320 * 240, `${images.length} images of ${pixelCount(images)} pixels`);
    images.forEach((data, i) => {
      const a = outcome(() => native.decode(data));
      assert.equal(a.refused, undefined, `image ${i} decodes`);
      assert.deepEqual(
        a,
        outcome(() => javascript.decode(data)),
        `image ${i} (${data.readUInt32LE(12)}x${data.readUInt32LE(16)})`,
      );
    });
  });

  it('refuses or decodes 1000 seeded mutations of them exactly as the JavaScript decoder does', () => {
    // The smaller images keep the JavaScript side of the comparison quick.
    const small = images.filter((data) => data.readUInt32LE(12) * data.readUInt32LE(16) <= 128 * 128);
    const pool = small.length > 0 ? small : images;
    const random = prng(23);
    const native = new NativeQuicDecoder();
    const javascript = new QuicDecoder();
    for (let i = 0; i < 1000; i++) {
      const original = pool[Math.floor(random() * pool.length)];
      const mutant = mutate(original, random);
      assert.deepEqual(
        outcome(() => native.decode(mutant.data)),
        outcome(() => javascript.decode(mutant.data)),
        `mutation ${i} (${mutant.what})`,
      );
    }
  });
});
