/** The frame scheduler with the real vsync clock: frames only on damage, on the vsync grid. */
import assert from 'node:assert/strict';
import { FrameScheduler } from '../../src/scheduler/frame-scheduler';
import type { Frame } from '../../src/scheduler/frame';
import { ManualVsyncClock, TimerVsyncClock } from '../../src/scheduler/vsync-clock';
import { ImageSource, SyntheticDesktop } from '../../src/sources';
import { solidImage } from '../support/images';
import { quietLogger, settle } from '../support/fixture';

describe('frame scheduler', () => {
  it('a static screen produces no frames', async () => {
    const source = ImageSource.fromPixels(solidImage(32, 32, [1, 2, 3]));
    const scheduler = new FrameScheduler(source, new TimerVsyncClock(60), { logger: quietLogger });
    const frames: Frame[] = [];
    scheduler.onFrame((f) => frames.push(f));
    await scheduler.start();
    await settle(400); // ~24 vsyncs
    await scheduler.stop();
    assert.equal(frames.length, 1, 'one frame for the first picture, none after');
  });

  it('latches at vsync ticks, at most one frame per vsync, on the vsync grid', async () => {
    const desktop = new SyntheticDesktop({ width: 320, height: 240, animationFps: 240 });
    const scheduler = new FrameScheduler(desktop, new TimerVsyncClock(30), { logger: quietLogger });
    const frames: Frame[] = [];
    scheduler.onFrame((f) => frames.push(f));
    await scheduler.start();
    await settle(1000);
    await scheduler.stop();
    // Damage arrives at 240 Hz but frames come at the 30 Hz vsync: about 30, never 240.
    assert.ok(frames.length >= 15 && frames.length <= 32, `frames in 1 s at 30 Hz: ${frames.length}`);
    // At most one frame per vsync: over any stretch, no more frames than ticks. (Two frames can
    // come closer than a period when one tick's timer fired late and the next on time, so the
    // count over the run says it, not the gap between two frames.)
    const periodNs = 1e9 / 30;
    const spanNs = Number(frames[frames.length - 1].captureMonotonicNs - frames[0].captureMonotonicNs);
    assert.ok(frames.length - 1 <= Math.ceil(spanNs / periodNs), `${frames.length} frames in ${(spanNs / 1e6).toFixed(0)} ms at 30 Hz`);
    for (let i = 1; i < frames.length; i++) {
      assert.ok(frames[i].captureMonotonicNs > frames[i - 1].captureMonotonicNs, `frame ${i} after frame ${i - 1}`);
      assert.equal(frames[i].number, frames[i - 1].number + 1);
    }
  });

  it('the synthetic desktop damages only what changes', async () => {
    const desktop = new SyntheticDesktop({ width: 640, height: 360 });
    const clock = new ManualVsyncClock();
    const scheduler = new FrameScheduler(desktop, clock, { logger: quietLogger });
    await scheduler.start();
    clock.tick();
    const first = scheduler.latest()!;
    const releaseFirst = first.hold(); // read below, after the next latch
    assert.deepEqual(first.damage, [{ x: 0, y: 0, width: 640, height: 360 }]);
    await settle(100);
    clock.tick();
    const second = scheduler.latest()!;
    await scheduler.stop();
    assert.equal(second.number, 2);
    const damagedArea = second.damage.reduce((sum, r) => sum + r.width * r.height, 0);
    assert.ok(damagedArea > 0 && damagedArea < 640 * 360 * 0.5, `a partial update: ${damagedArea} px of ${640 * 360}`);
    // Outside the damage, the two frames are identical.
    const inDamage = (x: number, y: number) => second.damage.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height);
    for (let y = 0; y < 360; y += 7) {
      for (let x = 0; x < 640; x += 7) {
        if (inDamage(x, y)) continue;
        const i = (y * 640 + x) * 4;
        assert.equal(first.pixels.readUInt32LE(i), second.pixels.readUInt32LE(i), `pixel (${x}, ${y}) changed outside the damage`);
      }
    }
    releaseFirst();
  });

  it('a frame request latches at once, without waiting for a vsync', async () => {
    const source = ImageSource.fromPixels(solidImage(8, 8, [9, 9, 9]));
    let sink: { requestFrame(): void } | undefined;
    const original = source.start.bind(source);
    source.start = async (s) => {
      sink = s;
      await original(s);
    };
    const scheduler = new FrameScheduler(source, new ManualVsyncClock(), { logger: quietLogger });
    await scheduler.start();
    assert.equal(scheduler.latest(), undefined);
    sink!.requestFrame();
    await settle(10);
    await scheduler.stop();
    assert.equal(scheduler.latest()?.number, 1);
  });

  it('damageBetween unions the damage of the frames in between', async () => {
    const source = ImageSource.fromPixels(solidImage(100, 100, [0, 0, 0]));
    const clock = new ManualVsyncClock();
    const scheduler = new FrameScheduler(source, clock, { logger: quietLogger });
    await scheduler.start();
    clock.tick(); // frame 1: whole
    source.setImage(solidImage(100, 100, [1, 1, 1]), [{ x: 0, y: 0, width: 10, height: 10 }]);
    clock.tick(); // frame 2
    source.setImage(solidImage(100, 100, [2, 2, 2]), [{ x: 50, y: 50, width: 5, height: 5 }]);
    clock.tick(); // frame 3
    await scheduler.stop();
    assert.deepEqual(scheduler.damageBetween(1, 3), [
      { x: 0, y: 0, width: 10, height: 10 },
      { x: 50, y: 50, width: 5, height: 5 },
    ]);
    assert.deepEqual(scheduler.damageBetween(2, 3), [{ x: 50, y: 50, width: 5, height: 5 }]);
  });
});
