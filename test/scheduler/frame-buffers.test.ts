/** Latch buffers are reused, but never while a frame is held. */
import assert from 'node:assert/strict';
import { FrameScheduler } from '../../src/scheduler/frame-scheduler';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { PixelPool } from '../../src/scheduler/pixel-pool';
import { ImageSource } from '../../src/sources';
import { solidImage } from '../support/images';
import { quietLogger } from '../support/fixture';

describe('frame buffers', () => {
  it('a held frame keeps its pixels while later frames are latched; released, its buffer is reused', async () => {
    const source = ImageSource.fromPixels(solidImage(16, 16, [0, 0, 0]));
    const clock = new ManualVsyncClock();
    const scheduler = new FrameScheduler(source, clock, { logger: quietLogger });
    await scheduler.start();
    clock.tick();
    const first = scheduler.latest()!;
    const release = first.hold();
    const seen = new Set<ArrayBufferLike>([first.pixels.buffer]);
    for (let shade = 1; shade <= 8; shade++) {
      source.setImage(solidImage(16, 16, [shade, shade, shade]));
      clock.tick();
      const frame = scheduler.latest()!;
      assert.deepEqual([...frame.pixels.subarray(0, 4)], [shade, shade, shade, 255]);
      assert.deepEqual([...first.pixels.subarray(0, 4)], [0, 0, 0, 255], `frame 1 intact after frame ${frame.number}`);
      assert.notEqual(frame.pixels.buffer, first.pixels.buffer);
      seen.add(frame.pixels.buffer);
    }
    assert.ok(seen.size <= 3, `frames take turns in a few buffers (${seen.size})`);
    release();
    source.setImage(solidImage(16, 16, [9, 9, 9]));
    clock.tick();
    source.setImage(solidImage(16, 16, [10, 10, 10]));
    clock.tick();
    const buffersNow = [scheduler.latest()!.pixels.buffer];
    assert.ok(seen.has(buffersNow[0]!), 'no new allocation');
    await scheduler.stop();
  });

  it("runs a frame's disposers when its last hold ends, and refuses holds after that", async () => {
    const source = ImageSource.fromPixels(solidImage(8, 8, [1, 1, 1]));
    const clock = new ManualVsyncClock();
    const scheduler = new FrameScheduler(source, clock, { logger: quietLogger });
    await scheduler.start();
    clock.tick();
    const frame = scheduler.latest()!;
    let disposed = 0;
    frame.onDispose(() => disposed++);
    const release = frame.hold();
    source.setImage(solidImage(8, 8, [2, 2, 2]));
    clock.tick(); // the scheduler lets go of frame 1; the hold above keeps it
    assert.equal(disposed, 0);
    release();
    release(); // a second call does nothing
    assert.equal(disposed, 1);
    assert.throws(() => frame.hold(), /already given back/);
    await scheduler.stop();
  });

  it('the pool refuses a release too many', () => {
    const pool = new PixelPool(2);
    const buffer = pool.acquire(16);
    buffer.retain();
    buffer.release();
    buffer.release();
    assert.equal(pool.freeCount, 1);
    assert.throws(() => buffer.release(), /released more often than retained/);
    assert.equal(pool.acquire(16).data, buffer.data, 'reused');
  });
});
