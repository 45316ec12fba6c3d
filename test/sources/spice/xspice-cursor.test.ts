import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointerState } from '../../../src/core/pointer';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import {
  BLEND_TOLERANCE,
  compositePointer,
  grabWithPointer,
  largestDifference,
  surfaceToRgba,
  type RgbaImage,
} from '../../support/spice/pointer-images';
import { delay, OwnedProcess, run, waitFor } from '../../support/spice/processes';
import { makeCertificates } from '../../support/spice/certificates';
import { RecordingSink } from '../../support/spice/recording-sink';
import { setRoot } from '../../support/spice/scene';
import { grabRoot } from '../../support/spice/xwd';
import { ADWAITA_ARROW as ARROW, ADWAITA_HAND as HAND, xPointerPosition } from '../../support/spice/x-cursor';
import { Xspice } from '../../support/spice/xspice';

/** Waits until the source has reported something new and then nothing for 400 ms. */
async function settledPointer(sink: RecordingSink, before: number): Promise<PointerState> {
  let count = -1;
  await waitFor(
    async () => {
      const now = sink.pointers.length;
      if (now > before && now === count) return true;
      count = now;
      await delay(400);
      return sink.pointers.length === now && now > before ? true : undefined;
    },
    20000,
    'the reported pointer to settle',
  );
  return sink.pointers.at(-1)!;
}

async function movePointer(sink: RecordingSink, env: NodeJS.ProcessEnv, x: number, y: number): Promise<PointerState> {
  const before = sink.pointers.length;
  await run('xdotool', ['mousemove', String(x), String(y)], { env });
  return settledPointer(sink, before);
}

async function setArgbRootCursor(sink: RecordingSink, env: NodeJS.ProcessEnv, file: string): Promise<PointerState> {
  const before = sink.pointers.length;
  await run('xsetroot', ['-xcf', file, '32'], { env });
  return settledPointer(sink, before);
}

describe('SPICE cursor channel against Xspice', function () {
  this.timeout(120000);
  let server: Xspice;
  let source: SpiceDisplaySource;
  const sink = new RecordingSink();
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-cursor-'));
  const width = 640;
  const height = 480;

  before(async () => {
    server = await Xspice.start({ width, height });
    // A mid-grey root shows both the dark outline and the white fill of a pointer; setRoot also
    // gives the root a blank core cursor, drawn by the X server (so: no pointer on the channel).
    await setRoot(server.env, dir, '#808080');
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger: createLogger('t', { level: 'silent' }) });
    await source.start(sink);
    await waitFor(() => source.surface(), 20000, 'the primary surface');
  });

  after(async () => {
    await source?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const latest = (): PointerState | undefined => sink.pointers.at(-1);

  const settled = (before: number) => settledPointer(sink, before);
  const moveTo = (x: number, y: number) => movePointer(sink, server.env, x, y);
  const setArgbCursor = (file: string) => setArgbRootCursor(sink, server.env, file);

  const xPointer = () => xPointerPosition(server.env);

  /** The SPICE surface, once its picture around (x, y) equals `expected` there (else the difference). */
  async function surfaceMatching(expected: RgbaImage, x: number, y: number, what: string): Promise<RgbaImage> {
    let last = { value: 0, at: '' };
    try {
      return await waitFor(
        () => {
          const surface = surfaceToRgba(source.surface()!);
          last = largestDifference(surface, expected, x, y, 48);
          return last.value === 0 ? surface : undefined;
        },
        10000,
        what,
      );
    } catch {
      assert.fail(`${what}: largest difference ${last.value} at ${last.at}`);
    }
  }

  /** The reported pointer, drawn onto the pointer-free root, looks like X's own pointer on screen. */
  async function assertLooksLikeX(pointer: PointerState): Promise<void> {
    const root = await grabRoot(server.env);
    const onScreen = await grabWithPointer(server.env, server.displayName, width, height);
    // xwd leaves ARGB (hardware) cursors out, x11grab draws them: the two differ at the pointer.
    assert.ok(largestDifference(root, onScreen, pointer.x, pointer.y, 48).value > 64, 'x11grab shows a pointer that xwd does not');
    // Xspice did not draw this pointer into its frame buffer: the SPICE picture is the bare root.
    await surfaceMatching(
      root,
      pointer.x,
      pointer.y,
      'the SPICE surface around an ARGB pointer equals xwd (no pointer in the frame buffer)',
    );
    const drawn = compositePointer(root, pointer);
    const difference = largestDifference(drawn, onScreen, pointer.x, pointer.y, 48);
    assert.ok(difference.value <= BLEND_TOLERANCE, `reported pointer vs x11grab: ${difference.value} at ${difference.at}`);
  }

  it('reports an ARGB root cursor at the X pointer position, with the X server cursor image', async () => {
    await setArgbCursor(ARROW);
    const pointer = await moveTo(301, 203);
    const x = await xPointer();
    assert.deepEqual(x, { x: 301, y: 203 });
    assert.ok(Math.abs(pointer.x - x.x) <= 1 && Math.abs(pointer.y - x.y) <= 1, `reported ${pointer.x},${pointer.y}, X says ${x.x},${x.y}`);
    assert.equal(pointer.visible, true);
    assert.ok(pointer.shape, 'a shape');
    assert.equal(pointer.shape.rgba.length, pointer.shape.width * pointer.shape.height * 4);
    assert.ok(Object.isFrozen(pointer), 'the state is immutable');
    await assertLooksLikeX(pointer);

    const moved = await moveTo(120, 330);
    assert.ok(Math.abs(moved.x - 120) <= 1 && Math.abs(moved.y - 330) <= 1, `reported ${moved.x},${moved.y}`);
    assert.equal(moved.shape, pointer.shape, 'a move keeps the shape object');
    assert.notEqual(moved, pointer, 'each change is a new state');
    await assertLooksLikeX(moved);
  });

  it('follows a change of cursor file, and gives a shape seen before its old id', async () => {
    const arrow = await setArgbCursor(ARROW);
    await moveTo(250, 250);
    const hand = await setArgbCursor(HAND);
    assert.ok(hand.shape && arrow.shape);
    assert.notEqual(hand.shape.id, arrow.shape.id);
    assert.ok(!hand.shape.rgba.equals(arrow.shape.rgba) || hand.shape.hotX !== arrow.shape.hotX, 'a different image');
    assert.equal(hand.visible, true);
    await assertLooksLikeX(hand);
    const back = await setArgbCursor(ARROW);
    assert.equal(back.shape!.id, arrow.shape.id, 'the same image, the same id');
    await assertLooksLikeX(back);
  });

  it("xterm's I-beam is a core cursor too: the channel hides the pointer and Xspice draws it, as X does", async () => {
    await setArgbCursor(ARROW);
    await moveTo(500, 400);
    const xterm = new OwnedProcess('xterm', ['-geometry', '30x6+20+300', '-e', 'sleep 600'], { env: server.env });
    try {
      await run('xdotool', ['search', '--sync', '--onlyvisible', '--class', 'xterm'], { env: server.env });
      const before = sink.pointers.length;
      await run('xdotool', ['mousemove', '90', '340'], { env: server.env });
      const over = await settled(before);
      assert.equal(over.visible, false, 'hidden on the channel over xterm');
      await delay(500); // xterm redraws its text cursor when the pointer's focus arrives
      const onScreen = await grabWithPointer(server.env, server.displayName, width, height);
      const root = await grabRoot(server.env);
      assert.ok(largestDifference(root, onScreen, 90, 340, 24).value > 64, 'the I-beam is on screen, not in xwd');
      await surfaceMatching(onScreen, 90, 340, 'the SPICE surface around the I-beam equals x11grab (Xspice drew it)');
    } finally {
      await xterm.stop();
    }
  });

  it('a core cursor: hidden on the channel, drawn by Xspice into its frame buffer (never twice); an ARGB one shows again', async () => {
    await setArgbCursor(ARROW);
    await moveTo(400, 150);
    // A 16x16 two-colour bitmap cursor: the X server draws it in software, Xspice's driver refuses
    // it as a hardware cursor and hides the channel's pointer.
    const bits = join(dir, 'box.xbm');
    const rows = Array.from({ length: 16 }, (_, y) => (y % 4 < 2 ? '0x0f, 0xf0' : '0xf0, 0x0f')).join(', ');
    writeFileSync(
      bits,
      `#define box_width 16\n#define box_height 16\n#define box_x_hot 8\n#define box_y_hot 8\nstatic unsigned char box_bits[] = {\n${rows} };\n`,
    );
    const full = join(dir, 'full.xbm');
    writeFileSync(
      full,
      `#define full_width 16\n#define full_height 16\nstatic unsigned char full_bits[] = {\n${Array(32).fill('0xff').join(', ')} };\n`,
    );
    const before = sink.pointers.length;
    await run('xsetroot', ['-cursor', bits, full], { env: server.env });
    const hidden = await settled(before);
    assert.equal(hidden.visible, false, 'the channel hides the pointer');
    const root = await grabRoot(server.env);
    const onScreen = await grabWithPointer(server.env, server.displayName, width, height);
    assert.ok(largestDifference(root, onScreen, 400, 150, 48).value > 64, 'the core cursor is on screen, not in xwd');
    // The SPICE picture already holds the pointer, exactly as X draws it.
    await surfaceMatching(onScreen, 400, 150, 'the SPICE surface around a core pointer equals x11grab (Xspice drew it)');
    // Moving a core cursor sends nothing on the channel (spice-server hears of no hardware cursor
    // move); the picture follows, and the pointer stays hidden.
    const count = sink.pointers.length;
    await run('xdotool', ['mousemove', '420', '170'], { env: server.env });
    const movedOnScreen = await grabWithPointer(server.env, server.displayName, width, height);
    await surfaceMatching(movedOnScreen, 420, 170, 'the SPICE surface follows the moved core pointer');
    assert.equal(sink.pointers.length, count, 'no pointer report while a core cursor moves');
    assert.equal(latest()!.visible, false);

    const shown = await setArgbCursor(ARROW);
    assert.equal(shown.visible, true);
    assert.ok(Math.abs(shown.x - 420) <= 1 && Math.abs(shown.y - 170) <= 1, `shown at ${shown.x},${shown.y}`);
    await assertLooksLikeX(shown);
  });
});

describe('SPICE cursor channel: ticket, TLS and reconnects as the display channel', function () {
  this.timeout(120000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-cursor-link-'));

  afterEach(async () => {
    await source?.stop();
    await server?.stop();
    source = undefined;
    server = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('links over TLS with the ticket and reports the pointer', async () => {
    const { ca } = await makeCertificates(dir);
    server = await Xspice.start({ tlsDir: dir, password: 'cursor ticket', width: 640, height: 480 });
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server.tlsPort!,
      tls: { ca },
      password: 'cursor ticket',
      logger: createLogger('t', { level: 'silent' }),
    });
    await source.start(sink);
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    await setArgbRootCursor(sink, server.env, ARROW);
    const pointer = await movePointer(sink, server.env, 222, 111);
    assert.deepEqual([pointer.x, pointer.y, pointer.visible], [222, 111, true]);
    assert.equal(source.lastError, undefined);
  });

  it('after the server is killed and restarted, the new session reports the new pointer', async () => {
    server = await Xspice.start({ width: 640, height: 480 });
    const { port, display } = server;
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port,
      logger: createLogger('t', { level: 'silent' }),
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    await source.start(sink);
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    const arrow = await setArgbRootCursor(sink, server.env, ARROW);
    await movePointer(sink, server.env, 300, 200);
    await server.stop({ signal: 'SIGKILL' });
    server = await Xspice.start({ width: 640, height: 480, port, display });
    await waitFor(() => (source!.connections >= 2 ? true : undefined), 30000, 'the reconnect');
    const hand = await setArgbRootCursor(sink, server.env, HAND);
    const moved = await movePointer(sink, server.env, 50, 60);
    assert.deepEqual([moved.x, moved.y, moved.visible], [50, 60, true]);
    assert.notEqual(hand.shape!.id, arrow.shape!.id);
    assert.equal(moved.shape, hand.shape);
  });
});
