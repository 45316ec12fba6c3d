/**
 * Display channels as one desktop (display/channel-desktop.ts): one channel's surface is exposed
 * as is; several lie side by side in a surface of the desktop's own, which holds exactly what the
 * channels hold once read, whatever they drew; every head of every channel is a display.
 */
import assert from 'node:assert/strict';
import { CanvasSurface } from '../../../src/sources/spice/canvas/canvas-surface';
import { ChannelDesktop } from '../../../src/sources/spice/display/channel-desktop';
import { SurfaceFormat } from '../../../src/sources/spice/wire/constants';

function surface(id: number, width: number, height: number, seed: number): CanvasSurface {
  const canvas = new CanvasSurface(id, width, height, SurfaceFormat.XRGB32);
  for (let i = 0; i < canvas.pixels.length; i++) canvas.pixels[i] = (0xff000000 | ((i * 2654435761 + seed) & 0xffffff)) >>> 0;
  return canvas;
}

/** The desktop's pixel at (x, y) as a 32-bit value. */
function pixelAt(desktop: ChannelDesktop, x: number, y: number): number {
  const shown = desktop.surface()!;
  return shown.pixels.readUInt32LE(y * shown.stride + x * 4);
}

/** Every pixel of `canvas` is on the desktop at (left, 0) onwards. */
function assertShown(desktop: ChannelDesktop, canvas: CanvasSurface, left: number): void {
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      if (pixelAt(desktop, left + x, y) !== canvas.pixels[y * canvas.width + x]) assert.fail(`pixel ${x},${y} of surface ${canvas.id}`);
    }
  }
}

describe('SPICE display channels as one desktop', () => {
  it("exposes one channel's surface itself, its heads as the displays", () => {
    const desktop = new ChannelDesktop();
    const canvas = surface(0, 8, 6, 1);
    assert.deepEqual(desktop.show(0, canvas), [{ x: 0, y: 0, width: 8, height: 6 }]);
    assert.equal(desktop.surface()!.pixels, canvas.buffer, 'no copy');
    assert.deepEqual(desktop.damage(0, [{ x: 1, y: 1, width: 2, height: 2 }]), [{ x: 1, y: 1, width: 2, height: 2 }]);
    assert.deepEqual(desktop.displays(), [], 'no heads reported: the whole surface');
    desktop.setHeads(0, [
      { id: 0, surfaceId: 0, x: 0, y: 0, width: 4, height: 6 },
      { id: 1, surfaceId: 0, x: 4, y: 0, width: 4, height: 6 },
    ]);
    assert.deepEqual(
      desktop.displays().map((d) => [d.id, d.name, d.x, d.width, d.primary]),
      [
        [0, 'head 0', 0, 4, true],
        [1, 'head 1', 4, 4, false],
      ],
    );
  });

  it('lays several side by side, copies what each draws, and numbers their heads per channel', () => {
    const desktop = new ChannelDesktop();
    const first = surface(0, 8, 6, 1);
    const second = surface(0, 5, 4, 2);
    desktop.show(0, first);
    assert.deepEqual(desktop.show(1, second), [{ x: 0, y: 0, width: 13, height: 6 }], 'a new layout: all of it');
    const shown = desktop.surface()!;
    assert.deepEqual([shown.width, shown.height], [13, 6]);
    assertShown(desktop, first, 0);
    assertShown(desktop, second, 8);
    assert.equal(pixelAt(desktop, 10, 5) >>> 0, 0xff000000, 'below the shorter channel: opaque black');

    second.pixels[1 * 5 + 2] = 0xff123456;
    second.pixels[3 * 5 + 4] = 0xff654321;
    first.pixels[0] = 0xffabcdef;
    assert.deepEqual(desktop.damage(1, [{ x: 2, y: 1, width: 3, height: 3 }]), [{ x: 10, y: 1, width: 3, height: 3 }]);
    assert.deepEqual(desktop.damage(0, [{ x: 0, y: 0, width: 1, height: 1 }]), [{ x: 0, y: 0, width: 1, height: 1 }]);
    assertShown(desktop, second, 8);
    assertShown(desktop, first, 0);

    desktop.setHeads(1, [{ id: 0, surfaceId: 0, x: 0, y: 0, width: 5, height: 4 }]);
    assert.deepEqual(desktop.displays(), [
      { id: 0, name: 'display 0 head 0', x: 0, y: 0, width: 8, height: 6, primary: true },
      { id: 100, name: 'display 1 head 0', x: 8, y: 0, width: 5, height: 4, primary: false },
    ]);
    assert.equal(desktop.left(1), 8);
  });

  it('a channel shown again at its size is its region; at another size, a new layout', () => {
    const desktop = new ChannelDesktop();
    desktop.show(0, surface(0, 8, 6, 1));
    desktop.show(1, surface(0, 5, 4, 2));
    const again = surface(0, 5, 4, 3);
    assert.deepEqual(desktop.show(1, again), [{ x: 8, y: 0, width: 5, height: 4 }]);
    assertShown(desktop, again, 8);
    const wider = surface(0, 9, 7, 4);
    assert.deepEqual(desktop.show(0, wider), [{ x: 0, y: 0, width: 14, height: 7 }]);
    assertShown(desktop, wider, 0);
    assertShown(desktop, again, 9);
  });
});
