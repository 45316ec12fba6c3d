import { strict as assert } from 'node:assert';
import type { Rect } from '../../src/core/rect';
import { layoutFor } from '../../src/sources/synthetic/desktop-art';
import { SyntheticDesktop } from '../../src/sources/synthetic/synthetic-desktop';

const within = (inner: Rect, outer: Rect): boolean =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;

describe('synthetic desktop: a still scene', () => {
  it('with the window, typing and pointer stopped, reports nothing but the clock', async function () {
    this.timeout(10_000);
    const desktop = new SyntheticDesktop({ width: 640, height: 360, typingRate: 0, windowSpeed: 0, pointer: false, animationFps: 60 });
    const damage: Rect[][] = [];
    await desktop.start({ damage: (rects) => damage.push([...rects]), requestFrame: () => undefined, pointer: () => undefined });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      await desktop.stop();
    }
    const clock = layoutFor(640, 360).clock;
    // Start-up draws the first picture and reports it whole; what counts is what comes after.
    const whole = damage.findIndex((rects) => rects.some((rect) => rect.width === 640 && rect.height === 360));
    assert.ok(whole >= 0 && whole <= 1, 'the first picture, reported whole');
    const later = damage.slice(whole + 1).flat();
    assert.ok(
      later.every((rect) => within(rect, clock)),
      `only the clock changes: ${JSON.stringify(later.filter((rect) => !within(rect, clock)))}`,
    );
    assert.ok(damage.length - whole - 1 <= 2, `${damage.length} reports in 1.5 s (the clock ticks once a second)`);
  });
});
