/**
 * Every display channel a display: a QEMU guest with two QXL cards (a Linux kernel whose qxl
 * driver drives both, libdrm's modetest setting a mode on each) has two SPICE display channels.
 * screencap shows them side by side as one desktop, lists each as a display, and gives a client
 * of one exactly what QEMU's own screendump of that card shows; the pointer of the card whose
 * hardware cursor moves is placed where that card lies on the desktop. With spicy holding the
 * session through the share port, both displays are followed from the relayed traffic.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureSession } from '../../../src/clients';
import { WHOLE_DESKTOP_DISPLAY_ID } from '../../../src/core/display';
import type { CursorMode } from '../../../src/core/pointer';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { nextFrameSurface, SpiceCaptureStack } from '../../support/spice/capture-stack';
import { countDifferences } from '../../support/spice/compare';
import { RecordingSink } from '../../support/spice/recording-sink';
import { buildQxlInitramfs, hostKernel } from '../../support/spice/guest-initramfs';
import { waitFor } from '../../support/spice/processes';
import { Qemu } from '../../support/spice/qemu';
import { Spicy } from '../../support/spice/spicy';

/** The modes modetest sets: its SMPTE bars on the first card, its tiles on the second. */
const FIRST = { width: 1024, height: 768 };
const SECOND = { width: 800, height: 600 };

describe('SPICE source against a QEMU guest with two QXL cards: every display channel a display', function () {
  this.timeout(300_000);
  let qemu: Qemu | undefined;
  let stack: SpiceCaptureStack | undefined;
  let spicy: Spicy | undefined;
  const sessions: CaptureSession[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'screencap-qemu-displays-'));

  before(async () => {
    const kernel = hostKernel();
    const initrd = await buildQxlInitramfs(dir, kernel.modules, [
      // modetest keeps its mode until stdin gives it a line; sleep keeps stdin open.
      `sleep 3600 | /usr/bin/modetest -M qxl -s Virtual-1:${FIRST.width}x${FIRST.height} &`,
      'sleep 1',
      // The second card (PCI 00:03.0) numbers its connectors after the first card's four; -C
      // moves a hardware cursor over it.
      `sleep 3600 | /usr/bin/modetest -D pci:0000:00:03.0 -M qxl -s Virtual-5:${SECOND.width}x${SECOND.height} -F tiles -C`,
    ]);
    qemu = await Qemu.start({ boot: { kernel: kernel.vmlinuz, initrd, append: 'console=ttyS0 quiet' }, secondQxl: true });
    stack = await SpiceCaptureStack.start({ port: qemu.port, share: { host: '127.0.0.1', port: 0 } });
  });

  after(async () => {
    await spicy?.stop();
    for (const session of sessions) await session.close().catch(() => {});
    await stack?.stop();
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openSession(name: string, size: { width: number; height: number }, displayId?: number, cursorMode: CursorMode = 'hidden') {
    const session = await stack!.openSession(name, size.width, size.height, { displayId, cursorMode });
    sessions.push(session);
    return session;
  }

  /** Frames of `session` (display `id`) until one equals QEMU's screendump of `device`; fails after a minute. */
  async function matchesScreendump(session: CaptureSession, id: number, device: string | undefined): Promise<void> {
    let frame = await nextFrameSurface(session, 60_000);
    assert.ok(frame, `a frame of display ${id}`);
    // modetest draws its pattern once; the frame shows it once the card has drawn it.
    await waitFor(
      async () => {
        const dump = await qemu!.screendump(device);
        if (countDifferences(frame!, dump.rgb, dump.width, dump.height, 3) === 0) return true;
        frame = (await nextFrameSurface(session, 1000)) ?? frame;
        return undefined;
      },
      60_000,
      `display ${id} to equal its screendump`,
    );
  }

  /** The next visible pointer of a METADATA session, within a minute. */
  function visiblePointer(session: CaptureSession, what: string) {
    return waitFor(
      async () => {
        const frame = await nextFrameSurface(session, 5000);
        return frame?.pointer?.visible ? frame.pointer : undefined;
      },
      60_000,
      what,
    );
  }

  it('lists both cards as displays, side by side', async () => {
    // Booting under TCG on a busy machine: allow minutes, not seconds.
    const displays = await waitFor(
      async () => {
        const info = await stack!.client.displayInfo();
        return info.displays.length === 2 && info.displays[1]!.width === SECOND.width ? info.displays : undefined;
      },
      200_000,
      'two displays of the modes modetest set',
    );
    assert.deepEqual(displays, [
      { id: 0, name: 'display 0 head 0', x: 0, y: 0, ...FIRST, primary: true },
      { id: 100, name: 'display 1 head 0', x: FIRST.width, y: 0, ...SECOND, primary: false },
    ]);
  });

  for (const [id, device, size] of [
    [0, undefined, FIRST],
    [100, 'second', SECOND],
  ] as const) {
    it(`gives display ${id} the picture of QEMU's screendump of its card, pixel for pixel`, async () => {
      await matchesScreendump(await openSession(`display ${id}`, size, id), id, device);
    });
  }

  it('lays the cards out on one desktop, opaque black where neither reaches', async () => {
    const desktop = { width: FIRST.width + SECOND.width, height: FIRST.height };
    const session = await openSession('desktop', desktop, WHOLE_DESKTOP_DISPLAY_ID);
    const frame = (await nextFrameSurface(session, 60_000))!;
    assert.deepEqual([frame.width, frame.height], [desktop.width, desktop.height]);
    const first = await qemu!.screendump();
    const second = await qemu!.screendump('second');
    const regionOf = (x0: number, y0: number, width: number, height: number) => {
      const rows: Buffer[] = [];
      for (let y = y0; y < y0 + height; y++)
        rows.push(frame.pixels.subarray(y * frame.stride + x0 * 4, y * frame.stride + (x0 + width) * 4));
      return { width, height, stride: width * 4, format: frame.format, pixels: Buffer.concat(rows) };
    };
    assert.equal(countDifferences(regionOf(0, 0, FIRST.width, FIRST.height), first.rgb, FIRST.width, FIRST.height, 3), 0, 'the first card');
    assert.equal(
      countDifferences(regionOf(FIRST.width, 0, SECOND.width, SECOND.height), second.rgb, SECOND.width, SECOND.height, 3),
      0,
      'the second card, right of the first',
    );
    const below = regionOf(FIRST.width, SECOND.height, SECOND.width, FIRST.height - SECOND.height).pixels;
    assert.ok(below.equals(Buffer.alloc(below.length, Buffer.from([0, 0, 0, 255]))), 'below the second card: opaque black');
  });

  it("places the second card's moving pointer on the desktop where that card lies", async () => {
    const desktop = await openSession(
      'pointer on the desktop',
      { width: FIRST.width + SECOND.width, height: FIRST.height },
      WHOLE_DESKTOP_DISPLAY_ID,
      'metadata',
    );
    const seen = await visiblePointer(desktop, 'a visible pointer');
    assert.ok(seen.displayX >= FIRST.width && seen.displayX < FIRST.width + SECOND.width, `x ${seen.displayX} on the second card`);
    assert.ok(seen.displayY >= 0 && seen.displayY < SECOND.height, `y ${seen.displayY} on the second card`);
    const card = await openSession('pointer on display 100', SECOND, 100, 'metadata');
    const onCard = await visiblePointer(card, 'a visible pointer on display 100');
    assert.ok(onCard.displayX >= 0 && onCard.displayX < SECOND.width, `x ${onCard.displayX} in the display's coordinates`);
  });

  it("follows both displays and the second card's pointer from spicy's session through the share port", async () => {
    const ownSessions = stack!.source.connections;
    spicy = await Spicy.start(stack!.source.sharePort!);
    const framesBefore = stack!.frames.length;
    await waitFor(() => (stack!.source.state === 'shared' ? true : undefined), 60_000, 'spicy to hold the session');
    // The second card's picture in spicy's session, at its MARK: its whole region is new.
    await waitFor(
      () =>
        stack!.frames
          .slice(framesBefore)
          .some((frame) =>
            frame.damage.some(
              (rect) =>
                rect.x <= FIRST.width && rect.x + rect.width >= FIRST.width + SECOND.width && rect.y === 0 && rect.height >= SECOND.height,
            ),
          ) || undefined,
      60_000,
      "a frame of the second card's picture from spicy's session",
    );
    // New sessions: their frames come from the displays spicy's session draws.
    await matchesScreendump(await openSession('shared display 0', FIRST, 0), 0, undefined);
    const second = await openSession('shared display 100', SECOND, 100, 'metadata');
    await matchesScreendump(second, 100, 'second');
    const first = await visiblePointer(second, 'the pointer followed from the second cursor channel');
    const moved = await waitFor(
      async () => {
        const pointer = await visiblePointer(second, 'the pointer again');
        return pointer.displayX !== first.displayX || pointer.displayY !== first.displayY ? pointer : undefined;
      },
      60_000,
      'the followed pointer to move',
    );
    assert.ok(moved.displayX >= 0 && moved.displayX < SECOND.width, `x ${moved.displayX} on display 100`);
    assert.equal(stack!.source.state, 'shared', 'spicy still holds the session');
    assert.ok(spicy.running, 'spicy is still running');
    assert.equal(stack!.source.connections, ownSessions, 'screencap linked no session of its own meanwhile');
  });

  it('starts a session with both cards in its first picture, not one card and a resize after', async () => {
    await spicy?.stop();
    spicy = undefined;
    // Both cards have their modes (the guest sets the second a second after the first).
    await waitFor(
      () => (stack!.source.surface()?.width === FIRST.width + SECOND.width ? true : undefined),
      60_000,
      'both cards on the desktop',
    );
    // A source of its own (QEMU takes one client: the stack's is displaced, and stays so by default).
    const source = new SpiceDisplaySource({ host: '127.0.0.1', port: qemu!.port, logger: createLogger('t', { level: 'silent' }) });
    const sink = new RecordingSink();
    const widths: (number | undefined)[] = [];
    const requestFrame = sink.requestFrame.bind(sink);
    sink.requestFrame = () => {
      widths.push(source.surface()?.width);
      requestFrame();
    };
    try {
      await source.start(sink);
      await waitFor(() => (widths.length > 0 ? true : undefined), 60_000, "the session's first picture");
      // The second card's channel links and marks after the first's; the first picture waits for it.
      assert.equal(widths[0], FIRST.width + SECOND.width, `desktop width at each picture: ${widths.join(', ')}`);
      assert.deepEqual(
        source.displays().map((display) => display.id),
        [0, 100],
      );
    } finally {
      await source.stop();
    }
  });
});
