/** The mailbox between frame puller and encoder: the latest frame wins, replaced ones are counted. */
import assert from 'node:assert/strict';
import { LatestFrameSlot } from '../../../src/clients/recorder/latest-frame-slot';

describe('LatestFrameSlot', () => {
  it('keeps only the newest frame put while the taker was busy, counting the replaced ones', async () => {
    const slot = new LatestFrameSlot<number>();
    slot.put(1);
    assert.equal(await slot.take(), 1);
    slot.put(2);
    slot.put(3);
    slot.put(4);
    assert.equal(await slot.take(), 4);
    assert.equal(slot.replaced, 2);
  });

  it('wakes a waiting taker on put, and ends with undefined once closed and empty', async () => {
    const slot = new LatestFrameSlot<string>();
    const waiting = slot.take();
    slot.put('a');
    assert.equal(await waiting, 'a');
    slot.put('b');
    slot.close();
    assert.equal(await slot.take(), 'b');
    assert.equal(await slot.take(), undefined);
    const afterClose = slot.take();
    assert.equal(await afterClose, undefined);
  });

  it('hands each replaced frame to onReplaced, and never the ones taken', async () => {
    const dropped: number[] = [];
    const slot = new LatestFrameSlot<number>((frame) => dropped.push(frame));
    slot.put(1);
    slot.put(2);
    assert.equal(await slot.take(), 2);
    slot.put(3);
    assert.equal(await slot.take(), 3);
    assert.deepEqual(dropped, [1]);
  });

  it('vacated() resolves once the waiting frame is taken, at once when none waits, and on close or abort', async () => {
    const slot = new LatestFrameSlot<number>();
    await slot.vacated();
    slot.put(1);
    let vacated = false;
    const waiting = slot.vacated().then(() => (vacated = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(vacated, false, 'a frame still waits');
    assert.equal(slot.takeNow(), 1);
    await waiting;
    assert.equal(vacated, true);

    slot.put(2);
    const closing = slot.vacated();
    slot.close();
    await closing;

    const other = new LatestFrameSlot<number>();
    other.put(3);
    const controller = new AbortController();
    const aborted = other.vacated(controller.signal);
    controller.abort();
    await aborted;
    assert.equal(await other.take(), 3, 'an abort leaves the frame where it was');
  });
});
