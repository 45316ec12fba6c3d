/** The scheduler and a source's pointer: what makes a frame, and the damage kept for each kind of client. */
import assert from 'node:assert/strict';
import { FrameScheduler } from '../../src/scheduler/frame-scheduler';
import type { Frame } from '../../src/scheduler/frame';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import type { PointerShape } from '../../src/core/pointer';
import { quietLogger } from '../support/fixture';
import { solidImage } from '../support/images';
import { PointerImageSource, pointerShape } from '../support/pointer-source';

describe('frame scheduler and the pointer', () => {
  let source: PointerImageSource;
  let clock: ManualVsyncClock;
  let scheduler: FrameScheduler;
  let frames: Frame[];
  let arrow: PointerShape;

  beforeEach(async () => {
    arrow = await pointerShape('arrow', 3);
    source = new PointerImageSource(solidImage(64, 48, [0, 0, 255]));
    clock = new ManualVsyncClock();
    scheduler = new FrameScheduler(source, clock, { logger: quietLogger });
    frames = [];
    scheduler.onFrame((frame) => frames.push(frame));
    await scheduler.start();
    source.setPointer({ x: 10, y: 10, visible: true, shape: arrow });
    clock.tick();
    assert.equal(frames.length, 1);
  });
  afterEach(() => scheduler.stop());

  it('a pointer-only frame has no pixel damage, and pointer damage where it was and is', () => {
    source.setPointer({ x: 12, y: 10, visible: true, shape: arrow });
    source.setPointer({ x: 40, y: 30, visible: true, shape: arrow });
    clock.tick();
    assert.equal(frames.length, 2);
    const frame = frames[1]!;
    assert.deepEqual(frame.damage, []);
    // Where it was in the first frame, and where it is: (40 - 1, 30 - 1) clipped to 64x48.
    assert.deepEqual(frame.pointerDamage, [
      { x: 9, y: 9, width: 12, height: 16 },
      { x: 39, y: 29, width: 12, height: 16 },
    ]);
    assert.deepEqual([frame.pointer!.x, frame.pointer!.y], [40, 30]);
    assert.deepEqual(scheduler.damageBetween(1, 2), []);
    assert.deepEqual(scheduler.damageBetween(1, 2, 'pixels-and-pointer'), frame.pointerDamage);
  });

  it('no frame when the pointer comes back to where the latest frame has it, or moves while hidden', () => {
    source.setPointer({ x: 30, y: 20, visible: true, shape: arrow });
    source.setPointer({ x: 10, y: 10, visible: true, shape: arrow });
    clock.tick();
    assert.equal(frames.length, 1, 'back where it was: nothing to show');

    source.setPointer({ x: 10, y: 10, visible: false, shape: arrow });
    clock.tick();
    assert.equal(frames.length, 2, 'hiding it is a change');
    assert.deepEqual(frames[1]!.pointerDamage, [{ x: 9, y: 9, width: 12, height: 16 }]);
    source.setPointer({ x: 50, y: 40, visible: false, shape: arrow });
    clock.tick();
    assert.equal(frames.length, 2, 'a hidden pointer moving shows nothing new');
  });

  it('a picture change and a pointer change in one vsync: one frame with both damages', () => {
    source.setImage(solidImage(64, 48, [0, 255, 0]), [{ x: 0, y: 0, width: 4, height: 4 }]);
    source.setPointer({ x: 40, y: 30, visible: true, shape: arrow });
    clock.tick();
    assert.equal(frames.length, 2);
    assert.deepEqual(frames[1]!.damage, [{ x: 0, y: 0, width: 4, height: 4 }]);
    assert.deepEqual(frames[1]!.pointerDamage, [
      { x: 9, y: 9, width: 12, height: 16 },
      { x: 39, y: 29, width: 12, height: 16 },
    ]);
  });
});
