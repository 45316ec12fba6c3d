import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureSession } from '../../../src/clients';
import type { Surface } from '../../../src/sources/display-source';
import type { SpiceSourceState } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { nextFrameSurface, settleApiAgainstXwd, SpiceCaptureStack } from '../../support/spice/capture-stack';
import { describeDifferences } from '../../support/spice/compare';
import { OwnedProcess, run, waitFor } from '../../support/spice/processes';
import { setRoot } from '../../support/spice/scene';
import { Spicy } from '../../support/spice/spicy';
import { Xspice } from '../../support/spice/xspice';

const PASSWORD = 'share and share alike';
const STAY_MS = 60_000;

/** The colour at (x, y) of a bgra8 surface, as hex RGB. */
function rgbAt(surface: Surface, x: number, y: number): string {
  const i = y * surface.stride + x * 4;
  return Buffer.from([surface.pixels[i + 2], surface.pixels[i + 1], surface.pixels[i]]).toString('hex');
}

describe("SPICE share port: the user's own viewer (spicy) through screencap, which keeps capturing", function () {
  this.timeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-share-'));
  const logLines: string[] = [];
  const states: SpiceSourceState[] = [];
  let server: Xspice;
  let stack: SpiceCaptureStack;
  let session: CaptureSession;
  let spicy: Spicy | undefined;
  let xterm: OwnedProcess | undefined;
  /** The latest frame taken from `session`. */
  let latest: (Surface & { frameNumber: number }) | undefined;

  before(async () => {
    server = await Xspice.start({ password: PASSWORD, stippledRoot: true });
    stack = await SpiceCaptureStack.start({
      port: server.port,
      password: PASSWORD,
      share: { host: '127.0.0.1', port: 0 },
      logger: createLogger('share-test', { level: 'info', sink: (line) => logLines.push(line) }),
    });
    stack.source.on('state', (state: SpiceSourceState) => states.push(state));
    await waitFor(() => stack.source.surface(), 20000, 'the first picture');
    session = await stack.openSession('share', 1024, 768);
  });

  afterEach(async () => {
    await spicy?.stop();
    await xterm?.stop();
    spicy = undefined;
    xterm = undefined;
    // The next test starts from screencap's own session.
    await waitFor(() => (stack.source.state === 'connected' ? true : undefined), 20000, "screencap's own session after the viewer left");
  });

  after(async () => {
    await session?.close();
    await stack?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Frames through the API until the pixel at (10, 10) has `colour`; returns that frame. */
  async function frameShowing(colour: string, seen: string[]): Promise<Surface & { frameNumber: number }> {
    return waitFor(
      async () => {
        const frame = await nextFrameSurface(session, 1000);
        if (!frame) return undefined;
        latest = frame;
        if (seen.at(-1) !== rgbAt(frame, 10, 10)) seen.push(rgbAt(frame, 10, 10));
        return rgbAt(frame, 10, 10) === colour ? frame : undefined;
      },
      20000,
      `a frame showing #${colour}`,
    );
  }

  async function framesMatchXwd(what: string): Promise<void> {
    const { frame, diff, root } = await settleApiAgainstXwd(session, server.env, 20000, latest);
    latest = frame;
    assert.equal(
      diff,
      0,
      `${what}: ${diff} pixels differ from xwd -root: ${describeDifferences(frame, root.rgba, root.width, root.height)}`,
    );
  }

  it('the viewer stays connected for a minute, its keystrokes reach an xterm on the VM, and the frames match xwd -root throughout', async () => {
    const typed = join(dir, 'typed.txt');
    // Focus follows the pointer (no window manager): the click in the middle of spicy's window
    // puts the pointer, and so the keyboard, into the xterm. Then the pointer moves out over the
    // root, whose cursor is blank: Xspice draws the pointer into the picture, xwd leaves it out.
    await setRoot(server.env, dir, '#336699');
    await run('xdotool', ['mousemove', '1023', '767'], { env: server.env });
    xterm = new OwnedProcess('xterm', ['-geometry', '100x30+300+250', '-e', 'sh', '-c', `cat > '${typed}'`], { env: server.env });
    await waitFor(() => (existsSync(typed) ? true : undefined), 20000, 'the xterm');
    await framesMatchXwd('before the viewer');
    const ownSessions = stack.source.connections;

    spicy = await Spicy.start(stack.source.sharePort!, PASSWORD);
    const joined = Date.now();
    await waitFor(() => (stack.source.state === 'shared' ? true : undefined), 20000, 'the viewer to hold the session');
    await framesMatchXwd('once the viewer holds the session');

    const lines: string[] = [];
    for (let n = 1; lines.length === 0 || Date.now() - joined < STAY_MS; n++) {
      const line = `typed through the share port ${n}`;
      await spicy.clickAndTypeLine(line);
      lines.push(line);
      await run('xdotool', ['mousemove', '1023', '767'], { env: server.env });
      await waitFor(
        () => (readFileSync(typed, 'utf8') === lines.map((l) => `${l}\n`).join('') ? true : undefined),
        20000,
        `line ${n} in the xterm`,
      );
      await framesMatchXwd(`after line ${n}`);
      assert.ok(spicy.running, 'spicy is still running');
      assert.equal(stack.source.state, 'shared', 'the viewer still holds the session');
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    assert.ok(lines.length >= 3, `${lines.length} lines typed over a minute`);
    assert.equal(
      stack.source.connections,
      ownSessions,
      'screencap never linked a session of its own meanwhile (which would have thrown the viewer off)',
    );
    assert.equal(
      logLines.filter((l) => /a viewer holds the session/.test(l)).length,
      1,
      'the viewer linked once: it was never thrown off and back',
    );
    assert.deepEqual(stack.blackFrames, [], 'no all-black frame');
  });

  it("the viewer leaves and joins twice: frames keep coming, never black, and after each new session's MARK they show the screen as it is", async () => {
    // Each phase paints the root its own colour once its session holds the display: a frame of
    // an earlier colour after a later one would be a stale picture served past the new MARK.
    const phases = ['c03020', '2060c0', 'c0a020', '20a060'];
    const seen: string[] = [];
    const blackBefore = stack.blackFrames.length;
    for (let round = 0; round < 2; round++) {
      const ownSessions = stack.source.connections;
      spicy = await Spicy.start(stack.source.sharePort!, PASSWORD);
      await waitFor(
        () => (stack.source.state === 'shared' ? true : undefined),
        20000,
        `the viewer to hold the session (round ${round + 1})`,
      );
      await setRoot(server.env, dir, `#${phases[2 * round]}`);
      await frameShowing(phases[2 * round], seen);
      await framesMatchXwd(`viewer's session, round ${round + 1}`);

      await spicy.stop();
      spicy = undefined;
      await waitFor(
        () => (stack.source.state === 'connected' && stack.source.connections === ownSessions + 1 ? true : undefined),
        20000,
        `screencap's own session again (round ${round + 1}; ${stack.source.state}, ${stack.source.connections - ownSessions} new; ${logLines.slice(-6).join(' / ')})`,
      );
      await setRoot(server.env, dir, `#${phases[2 * round + 1]}`);
      await frameShowing(phases[2 * round + 1], seen);
      await framesMatchXwd(`own session, round ${round + 1}`);
    }
    const order = seen.filter((colour) => phases.includes(colour)).map((colour) => phases.indexOf(colour));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `colours in the order they were painted, none coming back (${seen.join(' ')})`,
    );
    assert.deepEqual(
      seen.filter((colour) => colour === '000000'),
      [],
      'no black picture at (10, 10)',
    );
    assert.deepEqual(stack.blackFrames.slice(blackBefore), [], 'no all-black frame latched');
  });

  it('a viewer with the wrong password is refused by the VM, and screencap keeps its own session and its frames', async () => {
    const ownSessions = stack.source.connections;
    const statesBefore = states.length;
    const linesBefore = logLines.length;
    await setRoot(server.env, dir, '#804080');
    const seen: string[] = [];
    await frameShowing('804080', seen);
    spicy = await Spicy.start(stack.source.sharePort!, 'not the password');
    await waitFor(
      () => (logLines.slice(linesBefore).some((l) => /no viewer on the share port any more/.test(l)) ? true : undefined),
      20000,
      'the refused viewer to be gone',
    );
    await setRoot(server.env, dir, '#40a0a0');
    await frameShowing('40a0a0', seen);
    await framesMatchXwd('after the refused viewer');
    assert.ok(
      logLines.slice(linesBefore).some((l) => /a viewer is linking/.test(l)),
      'the viewer did reach the share port',
    );
    assert.ok(!logLines.slice(linesBefore).some((l) => /a viewer holds the session/.test(l)), 'the VM did not give it the session');
    assert.equal(stack.source.connections, ownSessions, "screencap's session was never interrupted");
    assert.deepEqual(states.slice(statesBefore), [], 'the source stayed connected');
  });
});
