import assert from 'node:assert/strict';
import { boundingBox, intersects, MAX_DAMAGE_RECTS, type Rect, unionDamage } from '../../src/core/rect';

/** The rule unionDamage follows, written plainly: merge with whatever overlaps until nothing does. */
function unionByDefinition(existing: readonly Rect[], added: readonly Rect[]): Rect[] {
  let result = existing.slice();
  for (const rect of added) {
    if (rect.width <= 0 || rect.height <= 0) continue;
    let merged = rect;
    for (;;) {
      const overlapping = result.filter((r) => intersects(r, merged));
      if (overlapping.length === 0) break;
      merged = boundingBox([merged, ...overlapping])!;
      result = result.filter((r) => !overlapping.includes(r));
    }
    result.push(merged);
  }
  return result.length > MAX_DAMAGE_RECTS ? [boundingBox(result)!] : result;
}

/** Rects up to 40 pixels wide in an area of `area` x `area`: a small area makes merges, a large one long lists. */
function randomRects(next: () => number, count: number, area: number): Rect[] {
  return Array.from({ length: count }, () => ({
    x: Math.floor(next() * area),
    y: Math.floor(next() * area),
    width: Math.floor(next() * 40) - 2,
    height: Math.floor(next() * 40) - 2,
  }));
}

describe('damage rect lists (unionDamage)', () => {
  it('merges exactly as the definition does, in the same order, on 2000 seeded lists', () => {
    let state = 7;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    let merges = 0;
    let collapses = 0;
    for (let round = 0; round < 2000; round++) {
      const area = round % 2 === 0 ? 200 : 4000;
      const existing = unionByDefinition([], randomRects(next, Math.floor(next() * 16), area));
      const added = randomRects(next, Math.floor(next() * 8), area);
      const expected = unionByDefinition(existing, added);
      const before = JSON.stringify(existing);
      assert.deepEqual(unionDamage(existing, added), expected, `round ${round}`);
      assert.equal(JSON.stringify(existing), before, 'the existing list is left as it was');
      if (expected.length < existing.length + added.length) merges++;
      if (expected.length === 1 && existing.length + added.length > MAX_DAMAGE_RECTS) collapses++;
    }
    // The seeded lists exercise both merging and the collapse to one box.
    assert.ok(merges > 500 && collapses > 0, `${merges} rounds merged, ${collapses} collapsed`);
  });

  it('merges chains: a rect that joins two apart makes one box of all three', () => {
    const left = { x: 0, y: 0, width: 10, height: 10 };
    const right = { x: 20, y: 0, width: 10, height: 10 };
    const far = { x: 100, y: 100, width: 5, height: 5 };
    assert.deepEqual(unionDamage([left, far, right], [{ x: 5, y: 2, width: 20, height: 2 }]), [far, { x: 0, y: 0, width: 30, height: 10 }]);
  });

  it("keeps an added rect that overlaps nothing as the caller's object, and skips empty ones", () => {
    const rect = { x: 1, y: 2, width: 3, height: 4 };
    const result = unionDamage([{ x: 50, y: 50, width: 1, height: 1 }], [rect, { x: 0, y: 0, width: 0, height: 9 }]);
    assert.equal(result.length, 2);
    assert.equal(result[1], rect);
  });
});
