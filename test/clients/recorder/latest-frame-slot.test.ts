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
});
