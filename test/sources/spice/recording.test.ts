/**
 * The "the recorder records a VM session at real speed": real `screencap serve --source
 * spice://...` and `screencap record` processes against a real Xspice, with an xterm moved by
 * xdotool at times this test measures, and against QEMU booting SeaBIOS. The file is H.264,
 * lasts as long as the recording ran, its timestamps rise, each move shows up at the time it was
 * made, and its frames match the server's own picture (`xwd -root`, QEMU's `screendump`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureClient } from '../../../src/clients';
import { decodeI420, probe, psnr, rgbaToI420 } from '../../support/recorder';
import { CLI, ServeProcess } from '../../support/cli-process';
import { delay, freePort, run, waitFor } from '../../support/spice/processes';
import { Qemu } from '../../support/spice/qemu';
import { Scene } from '../../support/spice/scene';
import { dumpRoot, waitForStillRoot, xwdToRgba } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const WIDTH = 1024;
const HEIGHT = 768;
/** How long the recorder is asked to record. */
const RECORD_MS = 10000;
/** Where the xterm goes, and the pause before each move: uneven, so a fixed frame rate would show. */
const MOVES: { x: number; y: number; pauseMs: number }[] = [
  { x: 100, y: 300, pauseMs: 600 },
  { x: 500, y: 120, pauseMs: 1300 },
  { x: 200, y: 500, pauseMs: 500 },
  { x: 600, y: 450, pauseMs: 1700 },
  { x: 60, y: 60, pauseMs: 900 },
];
/**
 * A change reaches the file at the server's next vsync latch after SPICE delivers it: one 60 Hz
 * period plus the delivery through Xspice's worker and our client.
 */
const LATCH_SLACK_S = 0.05;
/** H.264 at the recorder's default 5 Mb/s on a mostly flat desktop with text, measured on I420. */
const MIN_PSNR_DB = 40;

const nowS = (): number => Number(process.hrtime.bigint()) / 1e9;

interface Move {
  /** Monotonic seconds just before xdotool started and once it reported the window moved. */
  beforeS: number;
  afterS: number;
  /** The server's picture after the move (xwd), then as I420. */
  dump: Buffer;
  picture?: Buffer;
}

describe('Recording a SPICE display with screencap record (real time)', function () {
  this.timeout(180000);
  let xspice: Xspice | undefined;
  let scene: Scene | undefined;
  let serve: ServeProcess | undefined;
  let client: CaptureClient | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-record-'));

  after(async () => {
    client?.close();
    await serve?.stop();
    await scene?.stop();
    await xspice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let recorded: Recording & { before: Buffer; moves: Move[] };

  before(async () => {
    xspice = await Xspice.start({ width: WIDTH, height: HEIGHT });
    scene = new Scene(xspice.env, dir);
    await scene.draw({ photo: false });
    await scene.moveXterm(MOVES[MOVES.length - 1].x, MOVES[MOVES.length - 1].y);

    serve = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `spice://127.0.0.1:${xspice.port}`]);
    client = new CaptureClient({ address: serve.address });
    await waitFor(
      async () => ((await client!.displayInfo()).width === WIDTH ? true : undefined),
      30000,
      'the SPICE display behind screencap serve',
    );

    let beforeDump: Buffer | undefined;
    const moves: Move[] = [];
    const recording = await record(serve, join(dir, 'out'), ['--duration', `${RECORD_MS}ms`], async (finished) => {
      beforeDump = await dumpRoot(xspice!.env);
      for (const { x, y, pauseMs } of MOVES) {
        await delay(pauseMs);
        const beforeS = nowS();
        await run('xdotool', ['search', '--sync', '--class', 'xterm', 'windowmove', '--sync', String(x), String(y)], { env: xspice!.env });
        const afterS = nowS();
        moves.push({ beforeS, afterS, dump: await dumpRoot(xspice!.env) });
      }
      assert.ok(!finished(), `the moves outlasted the ${RECORD_MS} ms recording`);
    });
    const before = await picture(beforeDump!);
    for (const move of moves) move.picture = await picture(move.dump);
    recorded = { ...recording, before, moves };
  });

  it('writes H.264 at the display size with strictly rising timestamps, every frame decodable', () => {
    const { video, frames, framesWritten, framesAgain } = recorded;
    assert.equal(video.codec, 'h264');
    assert.deepEqual([video.width, video.height], [WIDTH, HEIGHT]);
    assert.equal(video.ptsS.length, framesWritten + framesAgain);
    assert.ok(video.ptsS.length > MOVES.length, `${video.ptsS.length} frames for ${MOVES.length} moves`);
    for (let i = 1; i < video.ptsS.length; i++) assert.ok(video.ptsS[i] > video.ptsS[i - 1], `timestamps rise: ${video.ptsS.join(', ')}`);
    assert.equal(frames.length, video.ptsS.length);
  });

  it('shows each move at the time it was made, and its picture matches xwd -root', () => {
    const { video, frames, before, moves } = recorded;
    // Each move shows first in the first frame closer to the picture after it than to the one before.
    const shown: number[] = [];
    let previous = before;
    for (const [i, move] of moves.entries()) {
      const from = i === 0 ? 0 : shown[i - 1] + 1;
      const index = frames.findIndex((frame, k) => k >= from && psnr(frame, move.picture!) > psnr(frame, previous));
      assert.ok(index >= 0, `move ${i + 1} (to ${MOVES[i].x},${MOVES[i].y}) is in the recording`);
      shown.push(index);
      previous = move.picture!;
    }
    // Intervals between the moves in the file are the intervals this test measured, within the
    // uncertainty of when each move happened (xdotool's run) and one latch.
    const report: string[] = [];
    for (let i = 1; i < moves.length; i++) {
      const inFileS = video.ptsS[shown[i]] - video.ptsS[shown[0]];
      const earliest = moves[i].beforeS - moves[0].afterS - LATCH_SLACK_S;
      const latest = moves[i].afterS - moves[0].beforeS + LATCH_SLACK_S;
      report.push(`move ${i + 1}: ${inFileS.toFixed(3)} s in the file, ${earliest.toFixed(3)}..${latest.toFixed(3)} s measured`);
      assert.ok(inFileS >= earliest && inFileS <= latest, report.join('; '));
    }
    // The last frame before the next move (or the end) holds the move complete: it matches the
    // server's own picture.
    for (const [i, move] of moves.entries()) {
      const settled = i + 1 < moves.length ? shown[i + 1] - 1 : frames.length - 1;
      const db = psnr(frames[settled], move.picture!);
      assert.ok(db >= MIN_PSNR_DB, `frame ${settled} (after move ${i + 1}) vs xwd -root: ${db.toFixed(1)} dB`);
    }
  });

  it("lasts as long as the recording ran (the recorder's wall clock, within 2%), never longer than --duration", () => {
    assertRealLength(recorded);
    // The --duration timer starts before the first frame: nothing recorded can outlast it.
    assert.ok(
      recorded.video.durationS <= RECORD_MS / 1000,
      `the file lasts ${recorded.video.durationS} s of a ${RECORD_MS / 1000} s recording`,
    );
  });
});

describe('Recording a QEMU VM (SeaBIOS) with screencap record', function () {
  this.timeout(240000);
  let qemu: Qemu | undefined;
  let serve: ServeProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-qemu-record-'));

  after(async () => {
    await serve?.stop();
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the boot at real speed: H.264, rising timestamps, the wall-clock length, the last frame matches screendump', async () => {
    qemu = await Qemu.start();
    serve = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `spice://127.0.0.1:${qemu.port}`]);
    let screen: Awaited<ReturnType<Qemu['screendump']>> | undefined;
    const recording = await record(serve, join(dir, 'out'), [], async () => {
      const startedS = nowS();
      // Until SeaBIOS has written its text and the screen has stayed the same for a second.
      let previous: Buffer | undefined;
      screen = await waitFor(
        async () => {
          const dump = await qemu!.screendump();
          const settled = previous !== undefined && dump.rgb.equals(previous) && litPixels(dump.rgb) >= MIN_TEXT_PIXELS;
          previous = Buffer.from(dump.rgb);
          return settled ? dump : undefined;
        },
        180000,
        'SeaBIOS text that stays',
        1000,
      );
      // Long enough for the 0.1 s of the recorder's summary to be well within 2%.
      await delay(Math.max(0, MIN_QEMU_RECORDING_S - (nowS() - startedS)) * 1000);
    });
    const { video, frames } = recording;
    assert.equal(video.codec, 'h264');
    assert.deepEqual([video.width, video.height], [screen!.width, screen!.height]);
    assert.ok(video.ptsS.length >= 2, `${video.ptsS.length} frames of a booting BIOS`);
    for (let i = 1; i < video.ptsS.length; i++) assert.ok(video.ptsS[i] > video.ptsS[i - 1], `timestamps rise: ${video.ptsS.join(', ')}`);
    assertRealLength(recording);
    const rgba = Buffer.alloc(screen!.width * screen!.height * 4, 255);
    for (let i = 0; i < screen!.width * screen!.height; i++) screen!.rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
    const db = psnr(frames[frames.length - 1], await rgbaToI420(rgba, screen!.width, screen!.height));
    assert.ok(db >= MIN_PSNR_DB, `last frame vs screendump: ${db.toFixed(1)} dB`);
  });
});

describe('screencap serve --record started before its SPICE display exists', function () {
  this.timeout(180000);
  let xspice: Xspice | undefined;
  let scene: Scene | undefined;
  let serve: ServeProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-serve-record-'));

  after(async () => {
    await serve?.stop();
    await scene?.stop();
    await xspice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the first picture, records at its size, and ends a burst of motion sharp', async () => {
    const port = await freePort();
    const out = join(dir, 'out');
    // The recorder starts with the server, while nothing listens on the SPICE port yet.
    // A low bitrate, so that the burst's last frames are visibly soft.
    serve = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--source',
      `spice://127.0.0.1:${port}`,
      '--record',
      join(out, 'display.mp4'),
      '--record-bitrate',
      '1M',
    ]);
    await delay(1500);
    assert.doesNotMatch(serve.output.stderr, /recording failed/);
    xspice = await Xspice.start({ port, width: WIDTH, height: HEIGHT });
    scene = new Scene(xspice.env, dir);
    await scene.draw({ photo: false, xterm: false });
    scene.scrollTerminal();
    // Then long enough for the sharp pass.
    const still = await waitForStillRoot(xspice.env, 'the terminal to stop scrolling');
    await delay(1500);
    assert.equal(await serve.stop(), 0, serve.output.stderr);
    serve = undefined;

    const video = await probe(join(out, 'display.mp4'));
    assert.deepEqual([video.width, video.height], [WIDTH, HEIGHT]);
    const frames = await decodeI420(join(out, 'display.mp4'), WIDTH, HEIGHT);
    const screen = await picture(still);
    const last = psnr(frames[frames.length - 1], screen);
    // The last frame from the server (before the sharp pass) for comparison, in the message.
    const soft = frames.length > 1 ? psnr(frames[frames.length - 2], screen) : 0;
    assert.ok(
      last >= SHARP_PSNR_DB,
      `the still screen in the file vs xwd -root: ${last.toFixed(1)} dB (the sample before: ${soft.toFixed(1)} dB)`,
    );
  });
});

/** What a still screen's picture must reach in the file once the recorder has sharpened it. */
const SHARP_PSNR_DB = 42;

/** SeaBIOS's text ("SeaBIOS (version ...)", boot attempts) lights well over this many pixels. */
const MIN_TEXT_PIXELS = 1000;
const MIN_QEMU_RECORDING_S = 5;

function litPixels(rgb: Buffer): number {
  let lit = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] || rgb[i + 1] || rgb[i + 2]) lit++;
  return lit;
}

interface Recording {
  /** The recorder's own elapsed time (first frame to stop) from its summary line, to 0.1 s. */
  elapsedS: number;
  framesWritten: number;
  /** Samples coding a still picture again (sharp passes). */
  framesAgain: number;
  video: Awaited<ReturnType<typeof probe>>;
  /** Every frame, decoded to I420. */
  frames: Buffer[];
}

/**
 * Runs `screencap record` against `serve` into `out` while `during` runs (once the recorder's
 * session is open); then stops it with Ctrl-C unless `args` gave it a --duration. `during` can
 * ask whether the recorder has already finished.
 */
async function record(
  serve: ServeProcess,
  out: string,
  args: string[],
  during: (finished: () => boolean) => Promise<void>,
): Promise<Recording> {
  const child = spawn(process.execPath, [CLI, 'record', '--server', serve.address, '--out', join(out, 'display.mp4'), ...args]);
  let stderr = '';
  child.stderr.on('data', (data) => (stderr += data));
  const closed = once(child, 'close');
  let finished = false;
  void closed.then(() => (finished = true));
  try {
    await waitFor(
      () => (/session opened \S+ client=recorder/.test(serve.output.stderr) ? true : finished ? false : undefined),
      30000,
      'the recorder session',
    );
    await during(() => finished);
    if (!args.includes('--duration')) child.kill('SIGINT');
    const [code] = await closed;
    assert.equal(code, 0, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const summary = /display\.mp4: (\d+)x(\d+), ([\d.]+) s: (\d+) frames written, \d+ skipped(?:, (\d+) re-encoded)?/.exec(stderr);
  assert.ok(summary, stderr);
  const video = await probe(join(out, 'display.mp4'));
  const frames = await decodeI420(join(out, 'display.mp4'), video.width, video.height);
  return { elapsedS: Number(summary[3]), framesWritten: Number(summary[4]), framesAgain: Number(summary[5] ?? 0), video, frames };
}

/** The file lasts as long as the recorder ran, by its own wall clock, within 2% (and the summary's rounding). */
function assertRealLength({ video, elapsedS }: Recording): void {
  assert.ok(
    Math.abs(video.durationS - elapsedS) <= 0.02 * elapsedS + 0.05,
    `the file lasts ${video.durationS} s; the recorder ran ${elapsedS} s`,
  );
}

/** The X server's own picture of the display, as I420 (what the recording holds). */
async function picture(xwd: Buffer): Promise<Buffer> {
  const root = await xwdToRgba(xwd);
  assert.deepEqual([root.width, root.height], [WIDTH, HEIGHT]);
  return rgbaToI420(root.rgba, WIDTH, HEIGHT);
}
