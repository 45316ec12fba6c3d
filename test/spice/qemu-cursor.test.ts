import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointerState } from '../../src/sources/display-source';
import { SpiceDisplaySource } from '../../src/sources/spice';
import { createLogger } from '../../src/util/logger';
import { buildCursorInitramfs, hostKernel } from './helpers/guest-initramfs';
import { waitFor } from './helpers/processes';
import { Qemu } from './helpers/qemu';
import { RecordingSink } from './helpers/recording-sink';

/**
 * libdrm's modetest fills its 64x64 ARGB8888 cursor with white at alpha 0x77 (straight alpha,
 * although DRM planes are premultiplied by default) and moves it across the mode it set.
 */
const CURSOR_SIDE = 64;
const MODETEST_PIXEL = [255, 255, 255, 0x77];

describe('SPICE cursor channel against a QEMU guest with a hardware cursor (Linux qxl, modetest -C)', function () {
  this.timeout(240000);
  let qemu: Qemu | undefined;
  let source: SpiceDisplaySource | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-qemu-cursor-'));

  after(async () => {
    await source?.stop();
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the guest cursor: its ALPHA shape and its moves', async () => {
    const kernel = hostKernel();
    const initrd = await buildCursorInitramfs(dir, kernel.modules);
    qemu = await Qemu.start({ boot: { kernel: kernel.vmlinuz, initrd, append: 'console=ttyS0 quiet' } });
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: qemu.port, logger: createLogger('t', { level: 'silent' }) });
    await source.start(sink);
    // Booting under TCG on a busy machine: allow minutes, not seconds.
    const withShape = await waitFor(
      () => {
        const moving = sink.pointers.filter((p): p is PointerState => p?.shape !== undefined && p.visible);
        return new Set(moving.map((p) => `${p.x},${p.y}`)).size >= 20 ? moving : undefined;
      },
      200000,
      'the guest cursor set and moved 20 times',
    );
    const shape = withShape[0].shape!;
    assert.deepEqual([shape.width, shape.height, shape.hotX, shape.hotY], [CURSOR_SIDE, CURSOR_SIDE, 0, 0]);
    for (let i = 0; i < shape.rgba.length; i += 4) {
      assert.deepEqual([...shape.rgba.subarray(i, i + 4)], MODETEST_PIXEL, `pixel ${i / 4} of the cursor`);
    }
    assert.ok(withShape.every((p) => p.shape === shape), 'one shape, kept across the moves');
    const surface = source.surface()!;
    assert.deepEqual([surface.width, surface.height], [1024, 768], 'the mode modetest set');
    for (const p of withShape) assert.ok(p.x >= 0 && p.y >= 0 && p.x < 1024 && p.y < 768, `position ${p.x},${p.y} on the screen`);
  });
});
