/**
 * Monitor heads as displays, against Xspice with two heads laid out with xrandr: GetDisplayInfo
 * lists them as X has them, each head's frames equal its region of `xwd -root`, and a head
 * switched off leaves the list and comes back when switched on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { DisplayDescription } from '../../../src/clients';
import sharp from 'sharp';
import { runCli } from '../../support/cli-process';
import { SpiceCaptureStack, settleApiAgainstXwd } from '../../support/spice/capture-stack';
import { countDifferences, cropRgba, describeDifferences } from '../../support/spice/compare';
import { delay, run, waitFor } from '../../support/spice/processes';
import { Scene } from '../../support/spice/scene';
import { grabRoot } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const HEAD_0: DisplayDescription = { id: 0, name: 'head 0', x: 0, y: 0, width: 1024, height: 768, primary: true };
const HEAD_1: DisplayDescription = { id: 1, name: 'head 1', x: 1024, y: 0, width: 800, height: 600, primary: false };

describe('SPICE source against Xspice with two heads: every head a display', function () {
  this.timeout(120_000);
  let server: Xspice | undefined;
  let stack: SpiceCaptureStack | undefined;
  let scene: Scene | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-heads-'));

  before(async () => {
    server = await Xspice.start({ heads: 2 });
    stack = await SpiceCaptureStack.start({ port: server.port });
    await waitFor(() => stack!.source.surface(), 20000, 'the first complete picture (MARK)');
    // Xspice's second output starts disconnected and without modes: give it one and place it.
    await run('xrandr', ['--addmode', 'qxl-1', '800x600'], { env: server.env });
    await switchOnHead1();
    scene = new Scene(server.env, dir);
    await scene.draw();
    await delay(1500);
    // The photo stays on head 0, the xterm goes to head 1.
    await scene.moveXterm(1200, 200);
  });

  after(async () => {
    await stack?.stop();
    await scene?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function switchOnHead1(): Promise<Buffer> {
    return run('xrandr', ['--output', 'qxl-1', '--mode', '800x600', '--pos', '1024x0'], { env: server!.env });
  }

  /** Waits until GetDisplayInfo lists exactly these heads. */
  async function displaysBecome(expected: DisplayDescription[], what: string): Promise<void> {
    let listed: DisplayDescription[] = [];
    await waitFor(
      async () => {
        listed = (await stack!.client.displayInfo()).displays;
        return isDeepStrictEqual(listed, expected) || undefined;
      },
      20000,
      `${what} (listed: ${JSON.stringify(listed)})`,
      100,
    ).catch(() => assert.deepEqual(listed, expected, what));
  }

  /** A session of `head` whose frames come to equal the head's region of `xwd -root`. */
  async function assertHeadMatchesXwd(head: DisplayDescription): Promise<void> {
    const session = await stack!.openSession(`head-${head.id}`, head.width, head.height, { displayId: head.id });
    try {
      const { frame, diff, root } = await settleApiAgainstXwd(session, server!.env, 20000, undefined, head);
      assert.deepEqual([frame.width, frame.height], [head.width, head.height]);
      assert.equal(
        diff,
        0,
        `${diff} pixels of head ${head.id}'s frame ${frame.frameNumber} differ from its region of xwd -root: ${describeDifferences(frame, root.rgba, root.width, root.height)}`,
      );
    } finally {
      await session.close();
    }
  }

  it('lists the heads as X lays them out', async () => {
    await displaysBecome([HEAD_0, HEAD_1], 'both heads listed');
    const info = await stack!.client.displayInfo();
    assert.deepEqual([info.width, info.height], [1824, 768], 'the desktop spans both heads');
  });

  it("gives each head's session its region of xwd -root, pixel for pixel", async () => {
    await assertHeadMatchesXwd(HEAD_0);
    await assertHeadMatchesXwd(HEAD_1);
  });

  it('lists them with screencap displays, and grab --display takes one head', async () => {
    const listed = await runCli(['displays', '--server', stack!.server.address]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, '0  1024x768+0+0    primary  head 0\n1  800x600+1024+0           head 1\n');
    const out = join(dir, 'head-1.png');
    const grabbed = await runCli(['grab', '--server', stack!.server.address, '--display', '1', '--cursor', 'hidden', '--out', out]);
    assert.equal(grabbed.code, 0, grabbed.stderr);
    // The screen is still by now (the sessions above matched xwd): the PNG must equal it too.
    const root = await grabRoot(server!.env);
    const png = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([png.info.width, png.info.height, png.info.channels], [800, 600, 4]);
    // countDifferences reads a bgra8 surface: swap the PNG's RGBA into one.
    const bgra = Buffer.from(png.data);
    for (let i = 0; i < bgra.length; i += 4) [bgra[i], bgra[i + 2]] = [png.data[i + 2]!, png.data[i]!];
    const surface = { width: 800, height: 600, stride: 3200, format: 'bgra8' as const, pixels: bgra };
    assert.equal(
      countDifferences(surface, cropRgba(root.rgba, root.width, HEAD_1), 800, 600),
      0,
      "the PNG is head 1's region of xwd -root",
    );
  });

  it('drops a head switched off from the list and brings it back when switched on', async () => {
    await run('xrandr', ['--output', 'qxl-1', '--off'], { env: server!.env });
    await displaysBecome([HEAD_0], 'head 1 gone');
    await assertHeadMatchesXwd(HEAD_0);
    await switchOnHead1();
    await displaysBecome([HEAD_0, HEAD_1], 'head 1 back');
    await assertHeadMatchesXwd(HEAD_1);
  });
});
