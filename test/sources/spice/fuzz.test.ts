import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CursorMsg } from '../../../src/sources/spice/wire/constants';
import { run } from '../../support/spice/processes';
import {
  CURSOR_SEED,
  DISPLAY_SEED,
  fuzzCursor,
  fuzzDisplay,
  type RecordedSession,
  recordSession,
  replay,
  replayCursor,
} from '../../support/spice/tools/fuzz-sessions';

/**
 * Mutations per channel in CI. The tool (test/support/spice/tools/fuzz-sessions.ts, `npm run fuzz:spice`)
 * runs the same with any count and seed; docs/spice.md has the figures of a 10,000-mutation run.
 */
const CI_MUTATIONS = 300;

describe('SPICE display channel fuzzing with a real session', function () {
  this.timeout(180000);
  let session: RecordedSession;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-fuzz-'));

  before(async () => {
    session = await recordSession(dir);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the dump replays to the very picture the live session showed', async () => {
    assert.ok(session.display.length > 5, `${session.display.length} display messages recorded`);
    const { connection, display } = await replay(session.display);
    assert.equal(connection.closedWith, undefined);
    assert.ok(display.primary());
    assert.ok(Buffer.from(display.primary()!.buffer).equals(session.livePixels), 'replayed pixels equal the live surface');
  });

  it("Wireshark's SPICE dissector reads the dump (tshark, installed by scripts/setup.sh)", async () => {
    const text = (await run('tshark', ['-r', session.pcapPath, '-d', `tcp.port==${session.serverPort},spice`])).toString();
    for (const expected of [
      'Client link message',
      'Client ticket',
      'Server INIT',
      'Client ATTACH_CHANNELS',
      'Client INIT',
      'Server SURFACE_CREATE',
      'Server DRAW_COPY',
      'Server MARK',
    ]) {
      assert.ok(text.includes(expected), `tshark shows "${expected}"`);
    }
    for (const message of ['INIT', 'SET', 'MOVE', 'HIDE']) {
      assert.match(text, new RegExp(`Spice CURSOR .*Server ${message}(,|$)`, 'm'), `tshark shows the cursor channel's ${message}`);
    }
    assert.ok(!/malformed/i.test(text), 'no malformed packets');
  });

  it(`survives ${CI_MUTATIONS} mutated or truncated messages (seeded), closing the channel with a protocol error`, async () => {
    // Findings: a close with anything but a SpiceProtocolError, a truncated drawing not detected,
    // an exception or unhandled rejection, or a clean replay that no longer matches afterwards.
    const report = await fuzzDisplay(session, { count: CI_MUTATIONS, seed: DISPLAY_SEED });
    assert.deepEqual(report.findings, []);
    assert.ok(report.closed > 30, `${report.closed} of ${CI_MUTATIONS} mutations were detected and closed the channel`);
  });

  it(`the cursor channel replays to the live pointer, and survives ${CI_MUTATIONS} mutated cursor messages (seeded)`, () => {
    const types = new Set(session.cursor.map((m) => m.type));
    for (const t of [CursorMsg.INIT, CursorMsg.SET, CursorMsg.MOVE, CursorMsg.HIDE])
      assert.ok(types.has(t), `the dump holds cursor message ${t}`);
    const clean = replayCursor(session.cursor);
    assert.equal(clean.connection.closedWith, undefined);
    const livePointer = session.livePointer;
    assert.ok(livePointer?.shape, 'the live session reported a pointer with a shape');
    assert.equal(livePointer.visible, false, 'hidden at the end: the last cursor was a core one');
    const replayed = clean.cursor.pointer!;
    assert.deepEqual([replayed.x, replayed.y, replayed.visible], [livePointer.x, livePointer.y, livePointer.visible]);
    assert.ok(replayed.shape!.rgba.equals(livePointer.shape.rgba), 'the replayed shape is the live one');
    const report = fuzzCursor(session, { count: CI_MUTATIONS, seed: CURSOR_SEED });
    assert.deepEqual(report.findings, []);
    assert.ok(report.closed > 30, `${report.closed} of ${CI_MUTATIONS} mutations were detected and closed the channel`);
  });
});
