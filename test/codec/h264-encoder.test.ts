import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { annexB, H264Encoder, isH264Available, nativeAddonStatus, NalUnitType, nalUnitType, type EncodedFrame } from '../../src/codec';
import { convertRaw, decodeRaw, probe, psnr, swapRedBlue, temporaryDirectory, testsrc2Frames } from '../support/media-tools';

const WIDTH = 320;
const HEIGHT = 240;
const FRAME_BYTES = WIDTH * HEIGHT * 4;

function frameAt(frames: Buffer, index: number, bytes = FRAME_BYTES): Buffer {
  return frames.subarray(index * bytes, (index + 1) * bytes);
}

async function encodeAll(
  encoder: H264Encoder,
  frames: Buffer,
  count: number,
  format: 'rgba8' | 'bgra8',
  forceAt: readonly number[] = [],
): Promise<EncodedFrame[]> {
  const out: EncodedFrame[] = [];
  for (let i = 0; i < count; i++) {
    out.push(await encoder.encode(frameAt(frames, i), { format, forceKeyframe: forceAt.includes(i) }));
  }
  return out;
}

function writeAnnexB(file: string, encoded: readonly EncodedFrame[]): void {
  fs.writeFileSync(file, Buffer.concat(encoded.map((frame) => annexB(frame.nalUnits))));
}

describe('H264Encoder (openh264)', function () {
  const tmp = temporaryDirectory();
  let rgbaFrames: Buffer;

  before(function () {
    rgbaFrames = testsrc2Frames(WIDTH, HEIGHT, 30);
  });
  after(() => tmp.remove());

  it('has its native addon built (setup installs openh264 and libyuv)', function () {
    assert.deepEqual(nativeAddonStatus(), { available: true });
    assert.equal(isH264Available(), true);
  });

  it('encodes 30 testsrc2 frames that ffmpeg decodes at 320x240 with PSNR >= 38 dB', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT, maxFrameRate: 30 });
    const encoded = await encodeAll(encoder, rgbaFrames, 30, 'rgba8');
    encoder.close();
    assert.equal(encoded.filter((frame) => frame.skipped).length, 0, 'no frame skipped at 5 Mbit/s');
    assert.equal(encoded[0].isKeyframe, true);
    assert.deepEqual(
      encoded.slice(1).map((frame) => frame.isKeyframe),
      new Array(29).fill(false),
    );
    for (const frame of encoded) {
      assert.ok(frame.convertMicros >= 0 && frame.encodeMicros > 0, 'timings reported');
      for (const nal of frame.nalUnits) assert.notDeepEqual([...nal.subarray(0, 3)], [0, 0, 1], 'no start code');
    }

    const file = path.join(tmp.dir, 'testsrc2.h264');
    writeAnnexB(file, encoded);
    const stream = probe(file);
    assert.equal(stream.codecName, 'h264');
    assert.equal(stream.width, WIDTH);
    assert.equal(stream.height, HEIGHT);
    assert.equal(stream.frameCount, 30);
    assert.equal(stream.profile, 'Constrained Baseline');

    // Compare in YUV 4:2:0, the colour space the codec works in: the source converted by ffmpeg
    // (BT.601 limited range) against the decoded frames, which ffmpeg brings from the encoder's
    // BT.601 full range to the same.
    const reference = convertRaw(rgbaFrames, WIDTH, HEIGHT, 'rgba', 'yuv420p');
    const decoded = decodeRaw(file, 'yuv420p');
    assert.equal(decoded.length, reference.length);
    const yuvBytes = (WIDTH * HEIGHT * 3) / 2;
    const perFrame = Array.from({ length: 30 }, (_, i) => psnr(frameAt(decoded, i, yuvBytes), frameAt(reference, i, yuvBytes)));
    const worst = Math.min(...perFrame);
    assert.ok(worst >= 38, `worst frame PSNR ${worst.toFixed(2)} dB is under 38 dB`);
  });

  it('gives the same bitstream for RGBA and BGRA input of the same picture', async function () {
    const bgraFrames = swapRedBlue(rgbaFrames.subarray(0, 5 * FRAME_BYTES));
    const fromRgba = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const fromBgra = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const a = await encodeAll(fromRgba, rgbaFrames, 5, 'rgba8');
    const b = await encodeAll(fromBgra, bgraFrames, 5, 'bgra8');
    fromRgba.close();
    fromBgra.close();
    assert.deepEqual(
      b.map((frame) => Buffer.concat(frame.nalUnits)),
      a.map((frame) => Buffer.concat(frame.nalUnits)),
    );
    // And the picture is the source's, not a red/blue swapped one: red stays red after decoding.
    const file = path.join(tmp.dir, 'bgra.h264');
    writeAnnexB(file, b);
    const decoded = decodeRaw(file, 'rgba');
    const swappedPsnr = psnr(frameAt(decoded, 0), swapRedBlue(frameAt(rgbaFrames, 0)));
    const rightPsnr = psnr(frameAt(decoded, 0), frameAt(rgbaFrames, 0));
    assert.ok(rightPsnr > swappedPsnr + 5, `decoded BGRA input matches the RGBA source (${rightPsnr} vs ${swappedPsnr} dB)`);
  });

  it('reads rows with a stride wider than the picture', async function () {
    const stride = WIDTH * 4 + 64;
    const padded = Buffer.alloc(stride * HEIGHT, 0xee);
    const source = frameAt(rgbaFrames, 0);
    for (let y = 0; y < HEIGHT; y++) source.copy(padded, y * stride, y * WIDTH * 4, (y + 1) * WIDTH * 4);
    const packed = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const strided = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const a = await packed.encode(source, { format: 'rgba8' });
    const b = await strided.encode(padded, { format: 'rgba8', stride });
    packed.close();
    strided.close();
    assert.deepEqual(Buffer.concat(b.nalUnits), Buffer.concat(a.nalUnits));
  });

  it('makes forced keyframes IDR, with the same SPS and PPS as the first', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const encoded = await encodeAll(encoder, rgbaFrames, 10, 'rgba8', [4, 7]);
    const sets = encoder.parameterSets();
    encoder.close();
    assert.deepEqual(
      encoded.map((frame) => frame.isKeyframe),
      [true, false, false, false, true, false, false, true, false, false],
    );
    assert.ok(sets, 'parameter sets known after the first keyframe');
    assert.equal(nalUnitType(sets.sps), NalUnitType.sequenceParameterSet);
    assert.equal(nalUnitType(sets.pps), NalUnitType.pictureParameterSet);
    for (const index of [0, 4, 7]) {
      const types = encoded[index].nalUnits.map((nal) => nalUnitType(nal));
      assert.deepEqual(types.slice(0, 2), [NalUnitType.sequenceParameterSet, NalUnitType.pictureParameterSet]);
      assert.ok(types.includes(NalUnitType.idrSlice));
      assert.deepEqual(encoded[index].nalUnits[0], sets.sps, `frame ${index} repeats the first SPS`);
      assert.deepEqual(encoded[index].nalUnits[1], sets.pps, `frame ${index} repeats the first PPS`);
    }
    const file = path.join(tmp.dir, 'forced.h264');
    writeAnnexB(file, encoded);
    const stream = probe(file);
    assert.deepEqual(stream.keyFrames, [true, false, false, false, true, false, false, true, false, false]);
    assert.deepEqual(stream.pictTypes, ['I', 'P', 'P', 'P', 'I', 'P', 'P', 'I', 'P', 'P']);
  });

  it('encodes the last picture again: a tiny P frame, or a sharp IDR with the same SPS and PPS', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT, bitrateBps: 50_000 });
    await assert.rejects(encoder.encodeAgain(), /no frame has been encoded yet/);
    const picture = rgbaFrames.subarray(0, WIDTH * HEIGHT * 4);
    const first = await encoder.encode(picture, { format: 'rgba8', timestampMs: 0 });
    const repeat = await encoder.encodeAgain({ timestampMs: 100 });
    const sharp = await encoder.encodeAgain({ quality: 'sharp', timestampMs: 500 });
    const after = await encoder.encodeAgain({ timestampMs: 600 });
    const sets = encoder.parameterSets()!;
    await assert.rejects(encoder.encodeAgain({ quality: 'blurry' as 'sharp' }), /options\.quality/);
    encoder.close();
    const size = (frame: EncodedFrame) => frame.nalUnits.reduce((total, nal) => total + nal.length, 0);
    // Rate control may skip the repeat (a skip is what an unchanged picture needs anyway).
    assert.equal(repeat.isKeyframe, false);
    assert.ok(size(repeat) < 200, `a repeat of an unchanged picture is ${size(repeat)} bytes`);
    assert.ok(repeat.convertMicros < 1000, 'no colour conversion for a repeat');
    // The sharp pass is an IDR with the stream's own parameter sets (an MP4 track has one avcC).
    assert.equal(sharp.isKeyframe, true);
    assert.deepEqual(sharp.nalUnits[0], sets.sps);
    assert.deepEqual(sharp.nalUnits[1], sets.pps);
    assert.equal(after.isKeyframe, false);
    const stream = [first, repeat, sharp, after].filter((frame) => !frame.skipped);
    const file = path.join(tmp.dir, 'again.h264');
    writeAnnexB(file, stream);
    const decoded = decodeRaw(file, 'yuv420p');
    const frameSize = (WIDTH * HEIGHT * 3) / 2;
    assert.equal(decoded.length, stream.length * frameSize);
    const source = convertRaw(picture, WIDTH, HEIGHT, 'rgba', 'yuv420p');
    const quality = stream.map((_, i) => psnr(decoded.subarray(i * frameSize, (i + 1) * frameSize), source));
    const report = `PSNR ${quality.map((db) => db.toFixed(1)).join(', ')} dB`;
    const sharpAt = stream.indexOf(sharp);
    // At 50 kbit/s the first picture is coarse; the sharp pass is not, and the frame after it keeps it.
    assert.ok(quality[sharpAt] >= 45 && quality[sharpAt] > quality[0] + 3, report);
    if (!after.skipped) assert.ok(quality[sharpAt + 1] >= quality[sharpAt] - 0.5, report);
  });

  it("survives a sharp pass over noise, which overflows openh264's buffer: an IDR under rate control instead, and the stream goes on", async function () {
    // Uniform noise at the sharp quantiser needs more bits than an uncompressed I420 frame, the
    // size of openh264's bitstream buffer: EncodeFrame fails and openh264 tears its encoder down.
    const noise = (seed: number) => {
      const pixels = Buffer.alloc(FRAME_BYTES);
      let state = seed;
      for (let i = 0; i < pixels.length; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        pixels[i] = state >>> 24;
      }
      return pixels;
    };
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT, bitrateBps: 20_000_000 });
    const pictures = [noise(1), noise(2), noise(3)];
    const first = await encoder.encode(pictures[0], { format: 'rgba8', timestampMs: 0 });
    const second = await encoder.encode(pictures[1], { format: 'rgba8', timestampMs: 17 });
    const sharp = await encoder.encodeAgain({ quality: 'sharp', timestampMs: 500 });
    const third = await encoder.encode(pictures[2], { format: 'rgba8', timestampMs: 517 });
    const sets = encoder.parameterSets()!;
    encoder.close();
    assert.equal(sharp.isKeyframe, true);
    assert.equal(sharp.skipped, false);
    assert.deepEqual(sharp.nalUnits[0], sets.sps, 'the encoder started again writes the same SPS');
    assert.deepEqual(sharp.nalUnits[1], sets.pps, 'and the same PPS');
    // (Every noise picture is a scene change, so the frames around it are IDRs as well.)
    // Each frame with the picture it shows: the sharp pass repeats the second.
    const shown = [
      { frame: first, picture: pictures[0] },
      { frame: second, picture: pictures[1] },
      { frame: sharp, picture: pictures[1] },
      { frame: third, picture: pictures[2] },
    ].filter(({ frame }) => !frame.skipped);
    const file = path.join(tmp.dir, 'noise.h264');
    writeAnnexB(
      file,
      shown.map(({ frame }) => frame),
    );
    const decoded = decodeRaw(file, 'yuv420p');
    const frameSize = (WIDTH * HEIGHT * 3) / 2;
    assert.equal(decoded.length, shown.length * frameSize);
    // Noise is far from any other noise, so a good PSNR says each frame shows its own picture.
    const quality = shown.map(({ picture }, i) =>
      psnr(decoded.subarray(i * frameSize, (i + 1) * frameSize), convertRaw(picture, WIDTH, HEIGHT, 'rgba', 'yuv420p')),
    );
    const report = `PSNR ${quality.map((db) => db.toFixed(1)).join(', ')} dB`;
    assert.ok(
      quality.every((db) => db >= 20),
      report,
    );
  });

  it('puts an IDR every keyframeIntervalFrames frames', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT, keyframeIntervalFrames: 4 });
    const encoded = await encodeAll(encoder, rgbaFrames, 9, 'rgba8');
    encoder.close();
    assert.deepEqual(
      encoded.map((frame) => frame.isKeyframe),
      [true, false, false, false, true, false, false, false, true],
    );
  });

  it('encodes in camera usage, with several threads and in quality mode into streams ffmpeg decodes', async function () {
    const variants = [
      { usage: 'camera', threads: 1, rateControl: 'bitrate' },
      { usage: 'screen', threads: 2, rateControl: 'bitrate' },
      { usage: 'screen', threads: 1, rateControl: 'quality' },
    ] as const;
    for (const variant of variants) {
      const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT, ...variant });
      const encoded = await encodeAll(encoder, rgbaFrames, 6, 'rgba8');
      encoder.close();
      const file = path.join(tmp.dir, `${variant.usage}-${variant.threads}-${variant.rateControl}.h264`);
      writeAnnexB(file, encoded);
      const stream = probe(file);
      const written = encoded.filter((frame) => !frame.skipped).length;
      assert.equal(stream.frameCount, written, JSON.stringify(variant));
      assert.ok(written >= 1, JSON.stringify(variant));
      if (variant.threads === 2) {
        const slices = encoded[0].nalUnits.filter((nal) => nalUnitType(nal) === NalUnitType.idrSlice);
        assert.equal(slices.length, 2, 'one slice per thread');
      }
    }
  });

  it('reports frames that rate control skips, and the rest still decode', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT, bitrateBps: 10_000, maxFrameRate: 30 });
    const encoded = await encodeAll(encoder, rgbaFrames, 30, 'rgba8');
    encoder.close();
    const skipped = encoded.filter((frame) => frame.skipped);
    assert.ok(skipped.length > 0, 'at 10 kbit/s openh264 skips frames of busy content');
    for (const frame of skipped) {
      assert.deepEqual(frame.nalUnits, []);
      assert.equal(frame.isKeyframe, false);
    }
    const file = path.join(tmp.dir, 'starved.h264');
    writeAnnexB(file, encoded);
    assert.equal(probe(file).frameCount, encoded.length - skipped.length);
  });

  it('codes every frame with frameSkip false, however far over the bitrate: the quantiser holds it instead', async function () {
    const starved = { width: WIDTH, height: HEIGHT, bitrateBps: 10_000, maxFrameRate: 30 };
    const dropping = new H264Encoder(starved);
    const withSkips = await encodeAll(dropping, rgbaFrames, 30, 'rgba8');
    dropping.close();
    const coding = new H264Encoder({ ...starved, frameSkip: false });
    const everyFrame = await encodeAll(coding, rgbaFrames, 30, 'rgba8');
    coding.close();
    // The same frames and bitrate: the default drops some (the test above), this drops none.
    assert.ok(withSkips.some((frame) => frame.skipped));
    assert.deepEqual(
      everyFrame.map((frame) => frame.skipped),
      everyFrame.map(() => false),
    );
    const file = path.join(tmp.dir, 'no-skip.h264');
    writeAnnexB(file, everyFrame);
    assert.equal(probe(file).frameCount, 30);
  });

  it('rejects bad options with a TypeError naming the field', function () {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ width: 321, height: 240 }, /options\.width/],
      [{ width: 0, height: 240 }, /options\.width/],
      [{ width: 320, height: 24.5 }, /options\.height/],
      [{ width: 8192, height: 8192 }, /options\.width x options\.height/],
      [{ width: 320, height: 240, usage: 'tv' }, /options\.usage/],
      [{ width: 320, height: 240, rateControl: 'cbr' }, /options\.rateControl/],
      [{ width: 320, height: 240, bitrateBps: 5 }, /options\.bitrateBps/],
      [{ width: 320, height: 240, maxFrameRate: Number.NaN }, /options\.maxFrameRate/],
      [{ width: 320, height: 240, keyframeIntervalFrames: -1 }, /options\.keyframeIntervalFrames/],
      [{ width: 320, height: 240, threads: 0 }, /options\.threads/],
      [{ width: 320, height: 240, threads: 5 }, /options\.threads/],
      [{ width: 320, height: 240, frameSkip: 'no' }, /options\.frameSkip/],
    ];
    for (const [options, field] of cases) {
      assert.throws(
        () => new H264Encoder(options as never),
        (error: unknown) => error instanceof TypeError && field.test(error.message),
        JSON.stringify(options),
      );
    }
  });

  it('rejects bad frames with a TypeError naming the field, and misuse with an Error', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const frame = frameAt(rgbaFrames, 0);
    await assert.rejects(encoder.encode(frame, { format: 'argb' as never }), { name: 'TypeError', message: /options\.format/ });
    await assert.rejects(encoder.encode(frame.subarray(1), { format: 'rgba8' }), {
      name: 'TypeError',
      message: /^pixels: must hold at least 307200 bytes/,
    });
    await assert.rejects(encoder.encode(frame, { format: 'rgba8', stride: 100 }), { name: 'TypeError', message: /options\.stride/ });
    await assert.rejects(encoder.encode(frame, { format: 'rgba8', timestampMs: -1 }), {
      name: 'TypeError',
      message: /options\.timestampMs/,
    });
    await assert.rejects(encoder.encode('pixels' as never, { format: 'rgba8' }), {
      name: 'TypeError',
      message: /^pixels: must be a Buffer/,
    });

    const first = encoder.encode(frame, { format: 'rgba8' });
    await assert.rejects(encoder.encode(frame, { format: 'rgba8' }), { name: 'Error', message: /previous encode\(\) has not settled/ });
    assert.equal((await first).isKeyframe, true, 'the first call is unaffected by the refused one');
    encoder.close();
    await assert.rejects(encoder.encode(frame, { format: 'rgba8' }), { name: 'Error', message: /closed/ });
    encoder.close(); // a second close is harmless
  });

  it('frees the encoder only after the frame in flight when closed mid-encode', async function () {
    const encoder = new H264Encoder({ width: WIDTH, height: HEIGHT });
    const pending = encoder.encode(frameAt(rgbaFrames, 0), { format: 'rgba8' });
    encoder.close();
    const frame = await pending;
    assert.equal(frame.isKeyframe, true);
    assert.ok(frame.nalUnits.length >= 3);
  });

  it('keeps the JS thread free while encoding 1080p frames', async function () {
    const frames = testsrc2Frames(1920, 1080, 6);
    const encoder = new H264Encoder({ width: 1920, height: 1080 });
    let inFlight = false;
    let ticksDuringEncode = 0;
    const timer = setInterval(() => {
      if (inFlight) ticksDuringEncode++;
    }, 1);
    try {
      for (let i = 0; i < 6; i++) {
        inFlight = true;
        await encoder.encode(frameAt(frames, i, 1920 * 1080 * 4), { format: 'rgba8' });
        inFlight = false;
      }
    } finally {
      clearInterval(timer);
      encoder.close();
    }
    // If encode() blocked the event loop, no timer could fire while a frame was in flight.
    assert.ok(ticksDuringEncode > 0, 'the interval ticked while frames were being encoded');
  });

  it('reports itself unavailable, with the reason, when the addon is missing', function () {
    const codec = path.resolve(__dirname, '../../src/codec');
    const script = `const c = require(${JSON.stringify(codec)});
      let thrown = '';
      try { new c.H264Encoder({ width: 2, height: 2 }); } catch (error) { thrown = error.message; }
      console.log(JSON.stringify({ available: c.isH264Available(), status: c.nativeAddonStatus(), thrown }));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, SCREENCAP_NATIVE_ADDON: path.join(tmp.dir, 'absent.node') },
    });
    const result = JSON.parse(out.toString()) as { available: boolean; status: { available: boolean; reason: string }; thrown: string };
    assert.equal(result.available, false);
    assert.equal(result.status.available, false);
    assert.match(result.status.reason, /absent\.node is missing; build it with `bash scripts\/build-native\.sh`/);
    assert.equal(result.thrown, result.status.reason);
  });
});
