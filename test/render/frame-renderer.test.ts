/** The renderer's two transforms, and its reuse of render buffers. */
import assert from 'node:assert/strict';
import { isImageTransformAvailable } from '../../src/codec/image-transform';
import { FrameRenderer } from '../../src/render/frame-renderer';
import { nativeTransform } from '../../src/render/native-transform';
import type { RenderTarget } from '../../src/render/render-target';
import { sharpTransform } from '../../src/render/sharp-transform';
import { FrameScheduler } from '../../src/scheduler/frame-scheduler';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { ImageSource } from '../../src/sources';
import { patternImage, rotateReference, swapRedBlue } from '../support/images';
import { quietLogger } from '../support/fixture';

describe('frame renderer', () => {
  const image = patternImage(40, 24);
  const rotated: RenderTarget = { width: 24, height: 40, rotation: 90, format: 'bgra8', scaleMode: 'fit' };
  let scheduler: FrameScheduler;
  let clock: ManualVsyncClock;
  let source: ImageSource;
  beforeEach(async () => {
    source = ImageSource.fromPixels(image);
    clock = new ManualVsyncClock();
    scheduler = new FrameScheduler(source, clock, { logger: quietLogger });
    await scheduler.start();
    clock.tick();
  });
  afterEach(() => scheduler.stop());

  it('sharp (the fallback) and the native transform both rotate and swap exactly', async function () {
    const expected = swapRedBlue(rotateReference(image, 90));
    const frame = scheduler.latest()!;
    const release = frame.hold();
    assert.equal(Buffer.compare(await new FrameRenderer(sharpTransform).render(frame, rotated), expected), 0, 'sharp');
    if (!isImageTransformAvailable()) {
      release();
      this.skip(); // the native addon is optional
    }
    assert.equal(Buffer.compare(await new FrameRenderer(nativeTransform, true).render(frame, rotated), expected), 0, 'native');
    release();
  });

  it('renders once per frame and target, into a buffer reused once the frame is given back', async function () {
    if (!isImageTransformAvailable()) this.skip();
    const renderer = new FrameRenderer(nativeTransform, true);
    const first = scheduler.latest()!;
    const releaseFirst = first.hold();
    const a = await renderer.render(first, rotated);
    assert.equal(await renderer.render(first, rotated), a, 'the same render for a second client');
    source.setImage(patternImage(40, 24));
    clock.tick();
    const second = scheduler.latest()!;
    const releaseSecond = second.hold();
    const b = await renderer.render(second, rotated);
    assert.notEqual(b.buffer, a.buffer, 'frame 1 is still held: its render is not reused');
    releaseFirst();
    releaseSecond();
    source.setImage(patternImage(40, 24));
    clock.tick();
    const third = scheduler.latest()!;
    const releaseThird = third.hold();
    const c = await renderer.render(third, rotated);
    assert.ok(c.buffer === a.buffer || c.buffer === b.buffer, 'a given-back render buffer is reused');
    releaseThird();
  });
});
