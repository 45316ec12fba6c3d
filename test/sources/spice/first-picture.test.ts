import assert from 'node:assert/strict';
import { FirstPictureHold } from '../../../src/sources/spice/display/first-picture';
import { delay, waitFor } from '../../support/spice/processes';

describe("a session's first picture, held until every display channel has one", () => {
  function hold(expected: readonly number[] | undefined, waitMs = 200) {
    const shown: number[][] = [];
    return {
      shown,
      hold: new FirstPictureHold(
        () => expected,
        waitMs,
        (ids) => shown.push(ids),
      ),
    };
  }

  it('shows the channels together once the last one marks, then leaves later marks to the caller', () => {
    const { shown, hold: first } = hold([0, 1]);
    first.linked(0);
    assert.equal(first.mark(0), true);
    first.linked(1);
    assert.equal(first.mark(0), true, 'a channel marking twice is still held');
    assert.deepEqual(shown, []);
    assert.equal(first.mark(1), true);
    assert.deepEqual(shown, [[0, 1]]);
    assert.equal(first.mark(0), false, 'after the first picture, the caller shows a MARK itself');
  });

  it('waits for channels that have not linked yet however long they take, then its limit for their MARK', async () => {
    const { shown, hold: first } = hold([0, 1], 100);
    first.linked(0);
    first.mark(0);
    await delay(300);
    assert.deepEqual(shown, [], 'channel 1 has not linked: still held');
    first.linked(1);
    await waitFor(() => (shown.length > 0 ? true : undefined), 5000, 'the first picture after the limit');
    assert.deepEqual(shown, [[0]]);
    assert.equal(first.mark(1), false, 'the late channel shows at its own MARK');
  });

  it('shows nothing once cancelled (the session ended or was handed over)', async () => {
    const { shown, hold: cancelled } = hold([0, 1], 50);
    cancelled.linked(0);
    cancelled.linked(1);
    cancelled.mark(0);
    cancelled.cancel();
    await delay(200);
    assert.deepEqual(shown, []);
    assert.equal(cancelled.mark(1), false);
  });
});
