import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointerState } from '../../../src/core/pointer';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { nextFrameSurface, SpiceCaptureStack } from '../../support/spice/capture-stack';
import { buildCursorInitramfs, hostKernel } from '../../support/spice/guest-initramfs';
import { compositePointer, largestDifference, surfaceToRgba } from '../../support/spice/pointer-images';
import { waitFor } from '../../support/spice/processes';
import { Qemu } from '../../support/spice/qemu';
import { RecordingSink } from '../../support/spice/recording-sink';

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
  let stack: SpiceCaptureStack | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-qemu-cursor-'));

  // One boot for the file: the source first, then (after it has gone) the gRPC API.
  before(async () => {
    const kernel = hostKernel();
    const initrd = await buildCursorInitramfs(dir, kernel.modules);
    qemu = await Qemu.start({ boot: { kernel: kernel.vmlinuz, initrd, append: 'console=ttyS0 quiet' } });
  });

  after(async () => {
    await source?.stop();
    await stack?.stop();
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the guest cursor: its ALPHA shape and its moves', async () => {
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: qemu!.port, logger: createLogger('t', { level: 'silent' }) });
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
    assert.ok(
      withShape.every((p) => p.shape === shape),
      'one shape, kept across the moves',
    );
    const surface = source.surface()!;
    assert.deepEqual([surface.width, surface.height], [1024, 768], 'the mode modetest set');
    for (const p of withShape) assert.ok(p.x >= 0 && p.y >= 0 && p.x < 1024 && p.y < 768, `position ${p.x},${p.y} on the screen`);
    await source.stop();
    source = undefined;
  });

  it('through the gRPC API: EMBEDDED shows the cursor blended at the position METADATA reports, HIDDEN and METADATA do not', async () => {
    stack = await SpiceCaptureStack.start({ port: qemu!.port });
    await waitFor(() => stack!.source.surface(), 60000, 'the SPICE surface');
    const [width, height] = [1024, 768];
    const embedded = await stack.openSession('embedded', width, height, { cursorMode: 'embedded' });
    const metadata = await stack.openSession('metadata', width, height, { cursorMode: 'metadata' });
    const hidden = await stack.openSession('hidden', width, height, { cursorMode: 'hidden' });
    // The cursor keeps moving: asked together, both sessions are answered by the same latched
    // frame, whose pointer METADATA describes and EMBEDDED draws.
    // What each attempt got, for the message if none will do.
    const attempts: string[] = [];
    const [drawn, described] = await waitFor(
      async () => {
        const pair = await Promise.all([nextFrameSurface(embedded, 5000), nextFrameSurface(metadata, 5000)]);
        const [e, m] = pair;
        const p = m?.pointer;
        const onScreen = p?.visible && p.shape && p.displayX + CURSOR_SIDE <= width && p.displayY + CURSOR_SIDE <= height;
        attempts.push(
          `${e?.frameNumber ?? 'none'}/${m?.frameNumber ?? 'none'}${p ? ` at ${p.displayX},${p.displayY}${p.visible ? '' : ' hidden'}${p.shape ? '' : ' no shape'}` : ''}`,
        );
        return e && m && e.frameNumber === m.frameNumber && onScreen ? ([e, m] as const) : undefined;
      },
      60000,
      'an EMBEDDED and a METADATA frame of the same latch, with the whole cursor on the screen',
      0,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}; EMBEDDED/METADATA frame numbers and pointer, the last 10 of ${attempts.length} tries: ${attempts.slice(-10).join('; ')}`,
      );
    });
    const pointer = described.pointer!;
    assert.deepEqual([pointer.x, pointer.y], [pointer.displayX, pointer.displayY], 'at 1:1 image and display coordinates agree');
    const shape = pointer.shape!;
    assert.deepEqual([shape.width, shape.height, shape.hotX, shape.hotY], [CURSOR_SIDE, CURSOR_SIDE, 0, 0]);
    assert.deepEqual([...shape.rgba.subarray(0, 4)], MODETEST_PIXEL, "the guest's cursor image");
    // The guest draws its cursor on the cursor plane, not into the frame buffer: METADATA's picture
    // is the bare screen, and HIDDEN's (the picture does not change) is the same.
    const bare = surfaceToRgba(described);
    const plain = surfaceToRgba((await nextFrameSurface(hidden, 5000))!);
    assert.equal(largestDifference(plain, bare, width / 2, height / 2, width).value, 0, 'HIDDEN: the picture without the cursor');
    // EMBEDDED: that picture with the cursor blended at the reported position, exactly: the
    // server's rounding, (s * a + d * (255 - a) + 127) / 255 rounded down, is rounding to nearest.
    const picture = surfaceToRgba(drawn);
    const expected = compositePointer(bare, { x: pointer.displayX, y: pointer.displayY, visible: true, shape });
    const difference = largestDifference(picture, expected, width / 2, height / 2, width);
    assert.equal(
      difference.value,
      0,
      `EMBEDDED vs the cursor blended at ${pointer.x},${pointer.y}: ${difference.value} at ${difference.at}`,
    );
    // The cursor is really in EMBEDDED's picture: white at alpha 0x77 moves a channel below 220 by more than 16.
    const centre = { x: pointer.displayX + CURSOR_SIDE / 2, y: pointer.displayY + CURSOR_SIDE / 2 };
    assert.ok(largestDifference(picture, bare, centre.x, centre.y, CURSOR_SIDE / 2).value > 16, 'the cursor shows in EMBEDDED');
  });
});
