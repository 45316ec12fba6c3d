import assert from 'node:assert/strict';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { allOpaque, psnr } from '../../support/spice/compare';
import { waitFor } from '../../support/spice/processes';
import { Qemu } from '../../support/spice/qemu';
import { RecordingSink } from '../../support/spice/recording-sink';

/** SeaBIOS's text ("SeaBIOS (version ...)", boot attempts) lights well over this many pixels. */
const MIN_TEXT_PIXELS = 1000;

describe('SPICE source against QEMU (SeaBIOS, QXL)', function () {
  this.timeout(150000);
  let qemu: Qemu | undefined;
  let source: SpiceDisplaySource | undefined;

  after(async () => {
    await source?.stop();
    await qemu?.stop();
  });

  it('captures the SeaBIOS screen; it matches QEMU monitor screendump within 40 dB', async () => {
    qemu = await Qemu.start();
    const sink = new RecordingSink();
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: qemu.port, logger: createLogger('t', { level: 'silent' }) });
    await source.start(sink);
    await waitFor(() => source!.surface(), 30000, 'the primary surface');
    // Compare only once the BIOS has drawn its text (a black screen against a black screen proves
    // nothing), each time against a screendump taken just before reading our surface. TCG under
    // load can take a while to get there.
    let best = 0;
    let size = '';
    let lit = 0;
    await waitFor(
      async () => {
        const dump = await qemu!.screendump();
        lit = 0;
        for (let i = 0; i < dump.rgb.length; i += 3) if (dump.rgb[i] || dump.rgb[i + 1] || dump.rgb[i + 2]) lit++;
        const surface = source!.surface()!;
        size = `${surface.width}x${surface.height} vs screendump ${dump.width}x${dump.height}`;
        if (lit < MIN_TEXT_PIXELS || !source!.isLatchable()) return undefined;
        best = Math.max(best, psnr(surface, dump.rgb, dump.width, dump.height, 3));
        return best >= 40 ? true : undefined;
      },
      120000,
      'the SeaBIOS text and a matching SPICE picture',
      300,
    ).catch(() => undefined);
    assert.ok(lit >= MIN_TEXT_PIXELS, `SeaBIOS text is on screen (${lit} lit pixels)`);
    assert.ok(best >= 40, `PSNR ${best.toFixed(1)} dB (${size})`);
    assert.ok(allOpaque(source.surface()!));
    assert.ok(sink.frameRequests >= 1, 'MARK asked for a frame');
    // The cursor channel linked too: its INIT was reported. SeaBIOS sets no hardware cursor.
    assert.ok(sink.pointers.length >= 1, 'the cursor channel reported its INIT');
    assert.ok(
      sink.pointers.every((p) => p !== undefined && p.shape === undefined),
      'no pointer shape from SeaBIOS',
    );
  });
});
