/** Rotation, scaling and pixel formats, checked pixel by pixel through the API. */
import assert from 'node:assert/strict';
import { PixelFormat, Rotation } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { patternImage, pixelAt, quadrantImage, rotateReference, swapRedBlue } from '../support/images';
import { Fixture } from '../support/fixture';

const ROTATIONS = [
  [0, Rotation.ROTATION_CW_0_DEGREES],
  [90, Rotation.ROTATION_CW_90_DEGREES],
  [180, Rotation.ROTATION_CW_180_DEGREES],
  [270, Rotation.ROTATION_CW_270_DEGREES],
] as const;

describe('rotation and scaling', () => {
  describe('rotation without scaling is exact', () => {
    const image = patternImage(40, 24);
    let fx: Fixture;
    before(async () => {
      fx = await Fixture.start({ image });
      fx.clock.tick();
    });
    after(() => fx.stop());

    for (const [degrees, rotation] of ROTATIONS) {
      for (const [formatName, format] of [
        ['RGBA8', PixelFormat.PIXEL_FORMAT_RGBA8],
        ['BGRA8', PixelFormat.PIXEL_FORMAT_BGRA8],
      ] as const) {
        it(`${degrees} degrees clockwise, ${formatName}`, async () => {
          const quarterTurn = degrees === 90 || degrees === 270;
          const size = quarterTurn ? { width: 24, height: 40 } : { width: 40, height: 24 };
          const { sessionId } = await fx.configuredSession(1, { ...size, rotation, format });
          const frame = await fx.getNextFrame(sessionId);
          assert.deepEqual(frame.imageSize, size);
          assert.equal(frame.pixelFormat, format);
          let expected = rotateReference(image, degrees);
          if (format === PixelFormat.PIXEL_FORMAT_BGRA8) expected = swapRedBlue(expected);
          assert.equal(Buffer.compare(frame.pixels, expected), 0, 'every pixel matches the reference rotation');
        });
      }
    }
  });

  describe('scaling', () => {
    // 2:1 quadrants: red | green over blue | white.
    const image = quadrantImage(128, 64);
    let fx: Fixture;
    before(async () => {
      fx = await Fixture.start({ image });
      fx.clock.tick();
    });
    after(() => fx.stop());

    it('FIT letterboxes: centred content, opaque black bars', async () => {
      const { sessionId } = await fx.configuredSession(1, { width: 64, height: 64 });
      const frame = await fx.getNextFrame(sessionId);
      // 128x64 into 64x64: content 64x32 at y 16..47; bars above and below.
      for (const y of [0, 15, 48, 63]) assert.deepEqual(pixelAt(frame.pixels, 64, 32, y), [0, 0, 0, 255], `bar at y=${y}`);
      // Quadrant centres, away from the edges where the filter blends colours.
      assert.deepEqual(pixelAt(frame.pixels, 64, 16, 24), [255, 0, 0, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 64, 48, 24), [0, 255, 0, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 64, 16, 40), [0, 0, 255, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 64, 48, 40), [255, 255, 255, 255]);
    });

    it('FIT with rotation: the rotated display fills the height, bars left and right', async () => {
      const { sessionId } = await fx.configuredSession(1, { width: 64, height: 64, rotation: Rotation.ROTATION_CW_90_DEGREES });
      const frame = await fx.getNextFrame(sessionId);
      // Rotated 90 CW the display is 64x128 (blue/red on the top half, white/green below),
      // scaled to 32x64 at x 16..47.
      for (const x of [0, 15, 48, 63]) assert.deepEqual(pixelAt(frame.pixels, 64, x, 32), [0, 0, 0, 255], `bar at x=${x}`);
      assert.deepEqual(pixelAt(frame.pixels, 64, 24, 16), [0, 0, 255, 255], 'blue top-left');
      assert.deepEqual(pixelAt(frame.pixels, 64, 40, 16), [255, 0, 0, 255], 'red top-right');
      assert.deepEqual(pixelAt(frame.pixels, 64, 24, 48), [255, 255, 255, 255], 'white bottom-left');
      assert.deepEqual(pixelAt(frame.pixels, 64, 40, 48), [0, 255, 0, 255], 'green bottom-right');
    });

    it('STRETCH fills the image, distorting the aspect', async () => {
      const sessionId = await fx.openSession();
      const importToken = await fx.register(sessionId, 1);
      await fx.call(fx.capture, fx.capture.configure, {
        sessionId,
        importToken,
        imageSize: { width: 64, height: 64 },
        rotation: 0,
        pixelFormat: PixelFormat.PIXEL_FORMAT_RGBA8,
        scaleMode: 2,
      });
      const frame = await fx.getNextFrame(sessionId);
      assert.deepEqual(pixelAt(frame.pixels, 64, 8, 8), [255, 0, 0, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 64, 56, 8), [0, 255, 0, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 64, 8, 56), [0, 0, 255, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 64, 56, 56), [255, 255, 255, 255]);
    });

    it('upscaling keeps the quadrants where they belong', async () => {
      const { sessionId } = await fx.configuredSession(1, { width: 256, height: 128 });
      const frame = await fx.getNextFrame(sessionId);
      assert.deepEqual(pixelAt(frame.pixels, 256, 60, 30), [255, 0, 0, 255]);
      assert.deepEqual(pixelAt(frame.pixels, 256, 200, 100), [255, 255, 255, 255]);
    });
  });
});
