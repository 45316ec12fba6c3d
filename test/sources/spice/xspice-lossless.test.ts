import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceCaptureStack, settleApiAgainstXwd } from '../../support/spice/capture-stack';
import { allOpaque, describeDifferences } from '../../support/spice/compare';
import { delay, waitFor } from '../../support/spice/processes';
import { Scene } from '../../support/spice/scene';
import { Xspice } from '../../support/spice/xspice';

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
      let stack: SpiceCaptureStack | undefined;
      let scene: Scene | undefined;
      const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-test-'));

      before(async () => {
        // Debian's Xspice option parser predates LZ4 ("invalid image compression: lz4"), though its
        // spice-server supports it: there the client's PREFERRED_COMPRESSION selects LZ4.
        server = await Xspice.start({ compression: compression === 'lz4' ? 'auto_glz' : compression });
      });

      after(async () => {
        await stack?.stop();
        await scene?.stop();
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      it('a frame grabbed through the gRPC API matches xwd -root exactly after drawing with X clients', async () => {
        // Ask for the same compression the server is set to: a server that accepts preferences
        // then uses exactly that decoder path.
        stack = await SpiceCaptureStack.start({ port: server!.port, preferredCompression: compression });
        const { source } = stack;
        await waitFor(() => source.surface(), 20000, 'the first complete picture (MARK)');
        scene = new Scene(server!.env, dir);
        await scene.draw();
        await delay(1500);
        await scene.moveXterm(450, 380);
        const session = await stack.openSession(`lossless-${compression}`, 1024, 768);
        const { frame, diff, root } = await settleApiAgainstXwd(session, server!.env);
        await session.close();
        assert.deepEqual([frame.width, frame.height], [1024, 768]);
        assert.equal(
          diff,
          0,
          `${diff} pixels of frame ${frame.frameNumber} differ from xwd -root: ${describeDifferences(frame, root.rgba, root.width, root.height)}`,
        );
        assert.ok(allOpaque(frame), 'every alpha byte is 255');
        assert.ok(frame.frameNumber > 1, 'the drawing arrived as frames after the first picture');
        const counts = source.displayChannels()[0].images.counts;
        const [type, name] = EXPECTED_TYPE[compression];
        assert.ok((counts[type] ?? 0) > 0, `the server sent ${name} images (decoded by type: ${JSON.stringify(counts)})`);
      });
    });
  }
});
