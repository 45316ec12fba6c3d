import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { countDifferences, describeDifferences } from '../../support/spice/compare';
import { delay, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { grabRoot } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const SURFACE_CREATE = 314;
const SURFACE_IMAGE = 104;
const FROM_CACHE = 103;

describe('SPICE source against Xspice with offscreen surfaces and the image cache', function () {
  this.timeout(120000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  let scene: Scene | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-surfaces-'));

  after(async () => {
    await source?.stop();
    await scene?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws offscreen surfaces, SURFACE and FROM_CACHE images, and matches xwd -root exactly', async () => {
    server = await Xspice.start({ compression: 'auto_glz', surfaces: true, imageCache: true });
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server.port,
      logger: createLogger('t', { level: process.env.SPICE_TEST_VERBOSE ? 'warn' : 'silent' }),
    });
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    scene = new Scene(server.env, dir);
    await scene.draw();
    await delay(1500);
    await scene.moveXterm(300, 400);
    let diff = -1;
    await waitFor(
      async () => {
        const root = await grabRoot(server!.env);
        diff = countDifferences(source!.surface()!, root.rgba, root.width, root.height);
        return diff === 0 && source!.isLatchable() ? true : undefined;
      },
      20000,
      'the surface to match xwd',
      300,
    ).catch(() => undefined);
    if (diff !== 0) {
      const root = await grabRoot(server.env);
      assert.fail(`${diff} pixels differ: ${describeDifferences(source.surface()!, root.rgba, root.width, root.height)}`);
    }
    const display = source.displayChannels()[0];
    if (process.env.SPICE_TEST_VERBOSE) console.log(display.messageCounts, display.images.counts);
    assert.ok(
      (display.messageCounts[SURFACE_CREATE] ?? 0) > 1,
      `offscreen surfaces were created (${JSON.stringify(display.messageCounts)})`,
    );
    assert.ok((display.images.counts[SURFACE_IMAGE] ?? 0) > 0, `SURFACE images were drawn (${JSON.stringify(display.images.counts)})`);
    assert.ok((display.images.counts[FROM_CACHE] ?? 0) > 0, `FROM_CACHE images were drawn (${JSON.stringify(display.images.counts)})`);
  });
});
