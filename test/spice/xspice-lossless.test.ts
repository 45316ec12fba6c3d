import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../src/sources/spice';
import { createLogger } from '../../src/util/logger';
import { allOpaque, countDifferences, describeDifferences } from './helpers/compare';
import { delay, waitFor } from './helpers/processes';
import { RecordingSink } from './helpers/recording-sink';
import { Scene } from './helpers/scene';
import { grabRoot } from './helpers/xwd';
import { Xspice } from './helpers/xspice';

const logger = createLogger('spice-test', { level: process.env.SCREENCAP_LOG === 'debug' ? 'debug' : 'silent' });

/** Waits until the source's surface equals `xwd -root`; returns the final difference count. */
export async function settleAgainstXwd(source: SpiceDisplaySource, server: Xspice, timeoutMs = 20000): Promise<number> {
  let last = -1;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const surface = source.surface();
    if (surface && source.isLatchable()) {
      const root = await grabRoot(server.env);
      last = countDifferences(surface, root.rgba, root.width, root.height);
      if (last === 0) return 0;
    }
    await delay(300);
  }
  return last;
}

const LOSSLESS = ['off', 'auto_glz', 'auto_lz', 'quic', 'glz', 'lz', 'lz4'] as const;

/** The image type each setting must make the server use at least once (spice.proto numbers). */
const EXPECTED_TYPE: Record<(typeof LOSSLESS)[number], [number, string]> = {
  off: [0, 'BITMAP'],
  auto_glz: [102, 'GLZ_RGB'],
  auto_lz: [101, 'LZ_RGB'],
  quic: [1, 'QUIC'],
  glz: [102, 'GLZ_RGB'],
  lz: [101, 'LZ_RGB'],
  lz4: [109, 'LZ4'],
};

describe('SPICE source against Xspice: pixel-exact for every lossless compression', function () {
  this.timeout(120000);

  for (const compression of LOSSLESS) {
    describe(`SpiceImageCompression ${compression}`, () => {
      let server: Xspice | undefined;
      let source: SpiceDisplaySource | undefined;
      let scene: Scene | undefined;
      const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-test-'));

      before(async () => {
        // Debian's Xspice option parser predates LZ4 ("invalid image compression: lz4"), though its
        // spice-server supports it: there the client's PREFERRED_COMPRESSION selects LZ4.
        server = await Xspice.start({ compression: compression === 'lz4' ? 'auto_glz' : compression });
      });

      after(async () => {
        await source?.stop();
        await scene?.stop();
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      it('matches xwd -root exactly after drawing with X clients', async () => {
        const sink = new RecordingSink();
        // Ask for the same compression the server is set to: a server that accepts preferences
        // then uses exactly that decoder path.
        source = new SpiceDisplaySource({ host: '127.0.0.1', port: server!.port, preferredCompression: compression, logger });
        await source.start(sink);
        await waitFor(() => source!.surface(), 20000, 'the primary surface');
        await waitFor(() => (sink.frameRequests > 0 ? true : undefined), 20000, 'MARK');
        scene = new Scene(server!.env, dir);
        await scene.draw();
        await delay(1500);
        await scene.moveXterm(450, 380);
        const diff = await settleAgainstXwd(source, server!);
        const surface = source.surface()!;
        assert.equal(surface.width, 1024);
        assert.equal(surface.height, 768);
        if (diff !== 0) {
          const root = await grabRoot(server!.env);
          assert.fail(`${diff} pixels differ from xwd -root: ${describeDifferences(surface, root.rgba, root.width, root.height)}`);
        }
        assert.ok(allOpaque(surface), 'every alpha byte is 255');
        assert.ok(sink.damages.length > 1, 'damage was reported');
        const counts = source.displayChannels()[0].images.counts;
        const [type, name] = EXPECTED_TYPE[compression];
        assert.ok((counts[type] ?? 0) > 0, `the server sent ${name} images (decoded by type: ${JSON.stringify(counts)})`);
      });
    });
  }
});
