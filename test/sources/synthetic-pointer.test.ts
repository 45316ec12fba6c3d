/** The built-in desktop's pointer: reported beside the surface, moving, changing shape with what it is over. */
import assert from 'node:assert/strict';
import { FrameRenderer } from '../../src/render/frame-renderer';
import { FrameScheduler } from '../../src/scheduler/frame-scheduler';
import { pointerArea } from '../../src/scheduler/pointer-area';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { SyntheticDesktop, type DisplaySink, type PointerState } from '../../src/sources';
import { layoutFor } from '../../src/sources/synthetic/desktop-art';
import { pointerSide } from '../../src/sources/synthetic/pointer-art';
import { quietLogger, settle } from '../support/fixture';

const WIDTH = 320;
const HEIGHT = 240;

function recordingSink(): DisplaySink & { pointers: PointerState[] } {
  const pointers: PointerState[] = [];
  return { pointers, damage: () => {}, requestFrame: () => {}, pointer: (state) => state && pointers.push(state) };
}

describe('synthetic desktop pointer', function () {
  this.timeout(20_000);

  it('moves along its path, an I-beam over the terminal and an arrow or hand elsewhere, off the taskbar', async () => {
    const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT });
    const sink = recordingSink();
    await desktop.start(sink);
    await settle(3000);
    await desktop.stop();
    const { pointers } = sink;
    const layout = layoutFor(WIDTH, HEIGHT);
    assert.ok(pointers.length >= 10, `the pointer moved (${pointers.length} reports)`);
    const side = pointerSide(HEIGHT);
    const shapeIds = new Set<number>();
    for (const [i, state] of pointers.entries()) {
      assert.equal(state.visible, true);
      const shape = state.shape!;
      shapeIds.add(shape.id);
      assert.deepEqual([shape.width, shape.height, shape.rgba.length], [side, side, side * side * 4]);
      const { terminal } = layout;
      const overTerminal =
        state.x >= terminal.x && state.x < terminal.x + terminal.width && state.y >= terminal.y && state.y < terminal.y + terminal.height;
      assert.equal(
        overTerminal,
        shape.hotX === Math.round(side / 2),
        `report ${i} at (${state.x}, ${state.y}): the I-beam (centred hot spot) exactly over the terminal`,
      );
      assert.ok(state.y + side < layout.taskbar.y, `report ${i}: above the taskbar`);
      if (i > 0) {
        const before = pointers[i - 1]!;
        assert.ok(before.x !== state.x || before.y !== state.y || before.shape !== state.shape, `report ${i} changes something`);
      }
    }
    assert.ok(shapeIds.size >= 2, `the shape changes (${shapeIds.size} shapes seen)`);
  });

  it('pointer: false reports none', async () => {
    const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT, pointer: false });
    const sink = recordingSink();
    await desktop.start(sink);
    await settle(300);
    await desktop.stop();
    assert.deepEqual(sink.pointers, []);
  });

  it('is not in the surface: an EMBEDDED render differs from the frame only under the pointer', async () => {
    const desktop = new SyntheticDesktop({ width: WIDTH, height: HEIGHT });
    const clock = new ManualVsyncClock();
    const scheduler = new FrameScheduler(desktop, clock, { logger: quietLogger });
    await scheduler.start();
    try {
      clock.tick();
      const frame = scheduler.latest()!;
      const area = pointerArea(frame.pointer)!;
      assert.ok(area, 'the frame has the pointer');
      const renderer = new FrameRenderer();
      const target = { width: WIDTH, height: HEIGHT, rotation: 0, format: 'rgba8', scaleMode: 'fit' } as const;
      const embedded = await renderer.render(frame, { ...target, cursor: 'embedded' });
      const hidden = await renderer.render(frame, { ...target, cursor: 'hidden' });
      assert.equal(hidden, frame.pixels, 'HIDDEN at the display size is the frame itself');
      let changed = 0;
      for (let p = 0; p < WIDTH * HEIGHT; p++) {
        if (embedded.readUInt32LE(p * 4) === hidden.readUInt32LE(p * 4)) continue;
        changed++;
        const x = p % WIDTH;
        const y = Math.floor(p / WIDTH);
        assert.ok(x >= area.x && x < area.x + area.width && y >= area.y && y < area.y + area.height, `(${x}, ${y}) is outside the pointer`);
      }
      assert.ok(changed > area.width, `the pointer is drawn (${changed} pixels)`);
    } finally {
      await scheduler.stop();
    }
  });
});
