import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureClient } from '../../../src/clients';
import { CaptureServer } from '../../../src/server';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { countDifferences } from '../../support/spice/compare';
import { delay, waitFor } from '../../support/spice/processes';
import { Scene } from '../../support/spice/scene';
import { grabRoot } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

describe('SPICE end to end: a frame grabbed through the gRPC API', function () {
  this.timeout(120000);
  let xspice: Xspice | undefined;
  let server: CaptureServer | undefined;
  let client: CaptureClient | undefined;
  let scene: Scene | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-e2e-'));

  after(async () => {
    client?.close();
    await server?.stop();
    await scene?.stop();
    await xspice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('equals xwd -root of the Xspice display, pixel for pixel', async () => {
    xspice = await Xspice.start({ compression: 'auto_glz' });
    const logger = createLogger('e2e', { level: 'silent' });
    const source = new SpiceDisplaySource({ host: '127.0.0.1', port: xspice.port, logger });
    server = await CaptureServer.start({ source, listen: '127.0.0.1:0', logger });
    await waitFor(() => source.surface(), 20000, 'the SPICE surface');
    scene = new Scene(xspice.env, dir);
    await scene.draw();
    // Let X finish drawing: the source must settle on what xwd sees before a frame is taken.
    await waitFor(
      async () => {
        const root = await grabRoot(xspice!.env);
        if (source.isLatchable() && countDifferences(source.surface()!, root.rgba, root.width, root.height) === 0) return true;
        await delay(200);
        return undefined;
      },
      20000,
      'the source to match xwd',
      100,
    );
    client = new CaptureClient({ address: server.address });
    const info = await client.displayInfo();
    assert.deepEqual([info.width, info.height], [1024, 768]);
    assert.match(info.source, /spice:\/\/127\.0\.0\.1:/);
    assert.equal(info.pixelFormat, 'bgra8', "a SPICE guest's pixels are BGRA");
    const session = await client.openSession({ clientName: 'spice-e2e' });
    await session.configure({ width: 1024, height: 768, pixelFormat: 'rgba8', bufferCount: 1 });
    const frame = await session.nextFrame({ signal: AbortSignal.timeout(20000) });
    const root = await grabRoot(xspice.env);
    assert.equal(frame.width, 1024);
    let diff = 0;
    for (let y = 0; y < 768; y++) {
      for (let x = 0; x < 1024; x++) {
        const f = y * frame.stride + x * 4;
        const r = (y * 1024 + x) * 4;
        if (
          frame.pixels[f] !== root.rgba[r] ||
          frame.pixels[f + 1] !== root.rgba[r + 1] ||
          frame.pixels[f + 2] !== root.rgba[r + 2] ||
          frame.pixels[f + 3] !== 255
        )
          diff++;
      }
    }
    assert.equal(diff, 0, `${diff} pixels of the gRPC frame differ from xwd -root`);
    await frame.release();
    await session.close();
  });
});
