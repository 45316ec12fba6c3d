/**
 * The native H.264 (libavcodec) and VP8 (libvpx) stream decoders on real frames: the first six
 * STREAM_DATA payloads of Xspice streaming a still plasma picture (the window of
 * xspice-video-codecs.test.ts) with SpiceVideoCodecs gstreamer:h264 and gstreamer:vp8, captured
 * once into test/support/spice/fixtures/streams. H.264 from spice-server is High 4:4:4 (see
 * native/src/h264-decoder.cc); VP8 is 4:2:0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadNativeAddon } from '../../../src/codec/native-addon';
import type { DecodedImage } from '../../../src/sources/spice/decoders/decoded-image';
import { decodableVideoCodecs, StreamVideoDecoder } from '../../../src/sources/spice/decoders/video';
import type { ChannelConnection } from '../../../src/sources/spice/channels/channel-connection';
import { displayChannelCaps } from '../../../src/sources/spice/display/display-caps';
import { DisplayChannel } from '../../../src/sources/spice/display/display-channel';
import { DisplayCap, VideoCodec } from '../../../src/sources/spice/wire/constants';
import { SpiceProtocolError } from '../../../src/sources/spice/wire/errors';
import type { SpiceMessage } from '../../../src/sources/spice/wire/framing';
import { createLogger } from '../../../src/util/logger';
import { prng } from '../../support/prng';
import { psnr } from '../../support/spice/compare';
import * as m from '../../support/spice/messages';
import { run, waitFor } from '../../support/spice/processes';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'support', 'spice', 'fixtures', 'streams');
const WIDTH = 256;
const HEIGHT = 192;
/**
 * Measured: H.264 36 dB, VP8 32 dB after the six frames. 30 dB, as in the Xspice test: the
 * codecs are lossy; a flipped picture, a wrong matrix or swapped planes fall far below.
 */
const MIN_DB = 30;

const codecs = [
  { name: 'H.264', codec: VideoCodec.H264, prefix: 'h264' },
  { name: 'VP8', codec: VideoCodec.VP8, prefix: 'vp8' },
];

/**
 * A display channel fed by hand: a 256x192 primary filled red, then `messages` in one batch.
 * Returns the channel and whether it was busy right after the batch arrived.
 */
function feedDisplay(messages: SpiceMessage[]): { display: DisplayChannel; busyAfterFeed: boolean; closed: () => Error | undefined } {
  let closedWith: Error | undefined;
  const connection = {
    onMessage: (_message: SpiceMessage) => {},
    isClosed: false,
    send() {},
    pause() {},
    resume() {},
    close(error?: Error) {
      closedWith = error;
      this.isClosed = true;
    },
  };
  const logger = createLogger('t', { level: 'silent' });
  const events = { primaryCreated: () => {}, damage: () => {}, mark: () => {} };
  const options = { channelId: 0, logger, serverCaps: [], cacheSizePixels: 1 << 20, glzWindowPixels: 1 << 20 };
  const display = new DisplayChannel(connection as unknown as ChannelConnection, options, events);
  const PUT = 8;
  connection.onMessage({ type: 314 /* SURFACE_CREATE */, body: m.surfaceCreate(0, WIDTH, HEIGHT) });
  connection.onMessage({ type: 302 /* DRAW_FILL */, body: m.drawFill([0, 0, WIDTH, HEIGHT], 0xff0000, PUT) });
  for (const message of messages) connection.onMessage(message);
  return { display, busyAfterFeed: display.busy, closed: () => closedWith };
}

function frames(prefix: string): Buffer[] {
  return [0, 1, 2, 3, 4, 5].map((n) => readFileSync(join(FIXTURES, `${prefix}-0${n}.bin`)));
}

function asSurface(image: DecodedImage) {
  const pixels = Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.width * image.height * 4);
  return { width: image.width, height: image.height, stride: image.width * 4, format: 'bgra8' as const, pixels };
}

/** Decodes a whole sequence; the last picture, copied (the decoder's buffer is reused). */
async function decodeAll(decoder: StreamVideoDecoder, data: Buffer[], bottomUp = false): Promise<DecodedImage> {
  let last: DecodedImage | undefined;
  for (const frame of data) last = (await decoder.decode(frame, WIDTH, HEIGHT, bottomUp)) ?? last;
  assert.ok(last, 'a picture was decoded');
  return { ...last, pixels: last.pixels.slice() };
}

describe('SPICE H.264 and VP8 stream decoders (native addon)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'screencap-video-decoders-'));
  let plasma: Buffer;

  before(async () => {
    // The picture the captured stream shows: ImageMagick's seeded plasma, as the capture made it.
    const file = join(dir, 'plasma.png');
    await run('convert', ['-size', `${WIDTH}x${HEIGHT}`, '-seed', '3', 'plasma:fractal', file]);
    plasma = await sharp(file).ensureAlpha().raw().toBuffer();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('offers MJPEG, H.264 and VP8 with MULTI_CODEC when the addon decodes them', () => {
    assert.deepEqual(decodableVideoCodecs(), [VideoCodec.MJPEG, VideoCodec.H264, VideoCodec.VP8]);
    const bits = (words: number[]) => [...Array(32).keys()].filter((bit) => (words[0] >>> bit) & 1);
    assert.deepEqual(bits(displayChannelCaps()), [0, 1, 5, 6, 8, 9, 10, 11]);
    assert.deepEqual(bits(displayChannelCaps([VideoCodec.MJPEG])), [
      DisplayCap.SIZED_STREAM,
      DisplayCap.MONITORS_CONFIG,
      DisplayCap.LZ4,
      DisplayCap.PREF_COMPRESSION,
      DisplayCap.MULTI_CODEC,
      DisplayCap.CODEC_MJPEG,
    ]);
  });

  for (const { name, codec, prefix } of codecs) {
    describe(name, () => {
      it(`decodes the captured frames to within ${MIN_DB} dB of the picture, opaque`, async () => {
        const decoder = new StreamVideoDecoder(codec, `${name} test`);
        const image = await decodeAll(decoder, frames(prefix));
        decoder.close();
        const db = psnr(asSurface(image), plasma, WIDTH, HEIGHT);
        assert.ok(db >= MIN_DB, `PSNR ${db.toFixed(1)} dB against the plasma picture`);
        assert.ok(
          image.pixels.every((pixel) => pixel >>> 24 === 0xff),
          'every pixel is opaque',
        );
      });

      it('writes bottom-up rows for a stream without TOP_DOWN: the same picture, rows reversed', async () => {
        const topDown = await decodeAll(new StreamVideoDecoder(codec, name), frames(prefix));
        const bottomUp = await decodeAll(new StreamVideoDecoder(codec, name), frames(prefix), true);
        for (let y = 0; y < HEIGHT; y++) {
          const row = topDown.pixels.subarray(y * WIDTH, (y + 1) * WIDTH);
          const flipped = bottomUp.pixels.subarray((HEIGHT - 1 - y) * WIDTH, (HEIGHT - y) * WIDTH);
          assert.deepEqual(flipped, row, `row ${y}`);
        }
      });

      it('reuses one pixel buffer from frame to frame', async () => {
        const decoder = new StreamVideoDecoder(codec, name);
        const [data0, data1] = frames(prefix);
        const first = await decoder.decode(data0, WIDTH, HEIGHT, false);
        const second = await decoder.decode(data1, WIDTH, HEIGHT, false);
        assert.ok(first && second);
        assert.equal(first.pixels.buffer, second.pixels.buffer);
        assert.equal(second.transient, true);
      });

      it('draws into the display channel inside the stream clip, in message order, off the event loop', async () => {
        // The stream covers the surface; its clip is the left half. A fill after the frames must
        // land on top of them: the channel is busy while they decode and applies the fill after.
        const clip: m.RectTuple[] = [[0, 0, WIDTH / 2, HEIGHT]];
        const { display, busyAfterFeed, closed } = feedDisplay([
          { type: 122 /* STREAM_CREATE */, body: m.streamCreate(5, [0, 0, WIDTH, HEIGHT], WIDTH, HEIGHT, true, clip, codec) },
          ...frames(prefix).map((frame) => ({ type: 123 /* STREAM_DATA */, body: m.streamData(5, frame) })),
          { type: 302 /* DRAW_FILL */, body: m.drawFill([0, 0, 2, 2], 0x00ff00, 8) },
        ]);
        assert.equal(busyAfterFeed, true, 'the channel is busy while the frames decode');
        await waitFor(() => (display.busy ? undefined : true), 10_000, 'the decodes', 5);
        assert.equal(closed(), undefined);
        const primary = display.primary()!;
        const surface = { width: WIDTH, height: HEIGHT, stride: WIDTH * 4, format: 'bgra8' as const, pixels: primary.buffer };
        const left = psnr(surface, plasma, WIDTH, HEIGHT, 4, { x: 2, y: 2, width: WIDTH / 2 - 2, height: HEIGHT - 2 });
        assert.ok(left >= MIN_DB, `inside the clip: ${left.toFixed(1)} dB against the picture`);
        const pixel = (x: number, y: number) => primary.buffer.readUInt32LE((y * WIDTH + x) * 4);
        for (const [x, y] of [
          [WIDTH / 2, 0],
          [WIDTH - 1, HEIGHT - 1],
          [WIDTH / 2 + 40, 100],
        ]) {
          assert.equal(pixel(x, y), 0xffff0000, `outside the clip (${x},${y}) keeps the red fill`);
        }
        assert.equal(pixel(0, 0), 0xff00ff00, 'the fill that followed the frames is on top');
      });

      it('rejects a frame of another size than the stream says, naming both', async () => {
        const decoder = new StreamVideoDecoder(codec, `stream 7 ${name} frame`);
        await assert.rejects(
          decoder.decode(frames(prefix)[0], 320, 240, false),
          (error: Error) =>
            error instanceof SpiceProtocolError && /stream 7 .* frame: the frame is 256x192, the stream says 320x240/.test(error.message),
        );
      });

      it('rejects a stream that starts without a keyframe with a protocol error', async () => {
        const decoder = new StreamVideoDecoder(codec, `stream 9 ${name} frame`);
        await assert.rejects(
          async () => {
            for (const frame of frames(prefix).slice(1)) await decoder.decode(frame, WIDTH, HEIGHT, false);
          },
          (error: Error) => error instanceof SpiceProtocolError && error.message.startsWith(`stream 9 ${name} frame: corrupt`),
        );
      });

      it('survives 300 mutated or truncated frames (seeded): a picture or a protocol error, never a crash', async () => {
        const random = prng(20261207 + codec);
        const originals = frames(prefix);
        let errors = 0;
        let pictures = 0;
        for (let round = 0; round < 300; round++) {
          const decoder = new StreamVideoDecoder(codec, name);
          const sequence = originals.map((frame) => Buffer.from(frame));
          const target = sequence[Math.floor(random() * sequence.length)];
          const mutations = 1 + Math.floor(random() * 8);
          for (let m = 0; m < mutations; m++) target[Math.floor(random() * target.length)] = Math.floor(random() * 256);
          if (random() < 0.25) sequence[0] = sequence[0].subarray(0, Math.floor(random() * sequence[0].length));
          try {
            for (const frame of sequence) if (await decoder.decode(frame, WIDTH, HEIGHT, random() < 0.5)) pictures++;
          } catch (error) {
            assert.ok(error instanceof SpiceProtocolError, `round ${round}: ${String(error)}`);
            errors++;
          }
          decoder.close();
        }
        assert.ok(errors > 0 && pictures > 0, `${errors} sequences rejected, ${pictures} pictures decoded`);
      });
    });
  }

  it('H.264 4:2:0 from x264 (ffmpeg): the colour matrix and range are the ones the VUI states', async () => {
    // spice-server's streams are 4:4:4 BT.601 studio range; other encoders write 4:2:0 and other
    // matrices. One 1280x720 picture, converted with BT.709 (studio, then full range), tagged
    // right, and once tagged BT.601: the decoder is told 'bt601' as its fallback every time, so
    // only the VUI can make it choose BT.709. Measured: 34.5 and 35.0 dB tagged right, 31.0 dB
    // tagged wrong; the 3 dB margin is the matrix's, the encoder is deterministic.
    const [width, height] = [1280, 720];
    const png = join(dir, 'plasma-720.png');
    await run('convert', ['-size', `${width}x${height}`, '-seed', '5', 'plasma:fractal', png]);
    const reference = await sharp(png).ensureAlpha().raw().toBuffer();
    const measure = async (range: 'tv' | 'pc', tag: 'bt709' | 'smpte170m') => {
      const file = join(dir, `${range}-${tag}.h264`);
      const filter = `scale=out_color_matrix=bt709:out_range=${range},format=yuv420p`;
      await run('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-i',
        png,
        '-frames:v',
        '1',
        '-vf',
        filter,
        '-c:v',
        'libx264',
        '-tune',
        'zerolatency',
        '-qp',
        '10',
        '-colorspace',
        tag,
        '-color_range',
        range,
        '-f',
        'h264',
        file,
      ]);
      const decoder = new StreamVideoDecoder(VideoCodec.H264, 'x264 frame');
      const image = await decoder.decode(readFileSync(file), width, height, false);
      decoder.close();
      assert.ok(image, 'a picture was decoded');
      return psnr(asSurface(image), reference, width, height);
    };
    const studio = await measure('tv', 'bt709');
    const full = await measure('pc', 'bt709');
    const mistagged = await measure('tv', 'smpte170m');
    assert.ok(studio >= 33, `BT.709 studio range: ${studio.toFixed(1)} dB`);
    assert.ok(full >= 33, `BT.709 full range: ${full.toFixed(1)} dB`);
    assert.ok(mistagged <= studio - 3, `tagged BT.601: ${mistagged.toFixed(1)} dB, against ${studio.toFixed(1)} dB tagged right`);
  });

  it('checks its arguments, naming the field, and takes one frame at a time', async () => {
    const { VideoDecoder } = loadNativeAddon();
    assert.ok(VideoDecoder);
    assert.throws(() => new VideoDecoder('vp9' as 'vp8'), /codec must be 'h264' or 'vp8'/);
    const decoder = new VideoDecoder('vp8');
    const frame = frames('vp8')[0];
    assert.throws(
      () => decoder.decode(frame, WIDTH, HEIGHT, new Uint32Array(10), false, 'bt601'),
      /pixels must hold 196608 bytes for a 256x192 frame; got 40/,
    );
    assert.throws(
      () => decoder.decode(frame, 0, HEIGHT, new Uint32Array(WIDTH * HEIGHT), false, 'bt601'),
      /width must be an integer from 1 to 16384/,
    );
    assert.throws(
      () => decoder.decode(frame, WIDTH, HEIGHT, new Uint32Array(WIDTH * HEIGHT), false, 'srgb' as 'bt601'),
      /matrix must be 'bt601' or 'bt709'/,
    );
    const pixels = new Uint32Array(WIDTH * HEIGHT);
    const first = decoder.decode(frame, WIDTH, HEIGHT, pixels, false, 'bt601');
    assert.throws(
      () => decoder.decode(frame, WIDTH, HEIGHT, pixels, false, 'bt601'),
      /decode\(\) is already running on this decoder; await it first/,
    );
    assert.equal(await first, true);
    // Closed while a frame decodes: the frame completes, the codec is freed after it.
    const last = decoder.decode(frames('vp8')[1], WIDTH, HEIGHT, pixels, false, 'bt601');
    decoder.close();
    assert.equal(await last, true);
    assert.throws(() => decoder.decode(frame, WIDTH, HEIGHT, pixels, false, 'bt601'), /the video decoder is closed/);
  });
});
