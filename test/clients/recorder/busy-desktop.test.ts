/** The synthetic desktop's busy mode, the load of the recording benchmark: most pixels change at every step. */
import assert from 'node:assert/strict';
import { SyntheticDesktop } from '../../../src/sources';

/** Share of pixels that differ between two RGBA buffers. */
function changedShare(a: Buffer, b: Buffer): number {
  let changed = 0;
  for (let i = 0; i < a.length; i += 4) if (a.readUInt32LE(i) !== b.readUInt32LE(i)) changed++;
  return changed / (a.length / 4);
}

/** The surface after each of the desktop's next `steps` damage reports, copied. */
async function snapshots(options: { busy?: boolean }, steps: number): Promise<Buffer[]> {
  const desktop = new SyntheticDesktop({ width: 320, height: 240, ...options });
  const shots: Buffer[] = [];
  await new Promise<void>((resolve) => {
    void desktop.start({
      damage: () => {
        if (shots.length < steps) shots.push(Buffer.from(desktop.surface()!.pixels));
        if (shots.length === steps) resolve();
      },
      requestFrame: () => undefined,
      pointer: () => undefined,
    });
  });
  await desktop.stop();
  return shots;
}

describe('SyntheticDesktop busy mode', function () {
  this.timeout(20_000);

  it('changes most of the screen at every step, where the default desktop changes a little', async () => {
    const busy = await snapshots({ busy: true }, 6);
    for (let i = 2; i < busy.length; i++) {
      assert.ok(
        changedShare(busy[i - 1], busy[i]) > 0.5,
        `busy step ${i}: ${changedShare(busy[i - 1], busy[i]).toFixed(2)} of the pixels changed`,
      );
    }
    const normal = await snapshots({}, 6);
    for (let i = 2; i < normal.length; i++) {
      assert.ok(
        changedShare(normal[i - 1], normal[i]) < 0.2,
        `default step ${i}: ${changedShare(normal[i - 1], normal[i]).toFixed(2)} changed`,
      );
    }
  });
});
