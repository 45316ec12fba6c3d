/** The recorder records the pointer as asked: embedded by default, left out with cursorMode 'hidden'. */
import assert from 'node:assert/strict';
import { CaptureClient, Recorder, type CursorMode } from '../../../src/clients';
import { Fixture, settle } from '../../support/fixture';
import { patternImage } from '../../support/images';
import { PointerImageSource, pointerShape } from '../../support/pointer-source';
import { temporaryDirectory } from '../../support/recorder';

describe('recorder cursor mode', function () {
  this.timeout(20_000);
  const image = patternImage(64, 48);

  async function firstRecordedFrame(cursorMode: CursorMode | undefined): Promise<Buffer> {
    const source = new PointerImageSource(image);
    const fx = await Fixture.start({ source });
    const out = await temporaryDirectory();
    const client = new CaptureClient({ address: fx.server.address });
    try {
      source.setPointer({ x: 20, y: 10, visible: true, shape: await pointerShape('arrow', 1) });
      fx.clock.tick();
      let first: Buffer | undefined;
      const recorder = new Recorder(client, {
        outDir: out.path,
        format: 'png',
        cursorMode,
        onFrame: ({ index, frame }) => {
          if (index === 0) first = Buffer.from(frame.pixels);
        },
      });
      await recorder.run({ durationMs: 200 });
      await settle(10);
      assert.ok(first, 'a frame was recorded');
      return first;
    } finally {
      client.close();
      await fx.stop();
      await out.remove();
    }
  }

  it('embedded by default; hidden records the picture alone', async () => {
    const embedded = await firstRecordedFrame(undefined);
    const hidden = await firstRecordedFrame('hidden');
    assert.ok(hidden.equals(image.pixels), 'hidden: the source exactly');
    let changed = 0;
    for (let p = 0; p < 64 * 48; p++) {
      if (embedded.readUInt32LE(p * 4) === image.pixels.readUInt32LE(p * 4)) continue;
      changed++;
      const x = p % 64;
      const y = Math.floor(p / 64);
      // The arrow: 12x16 with its hot spot (1, 1) at (20, 10).
      assert.ok(x >= 19 && x < 31 && y >= 9 && y < 25, `(${x}, ${y}) changed outside the pointer`);
    }
    assert.ok(changed > 20, `embedded: the pointer is in the recording (${changed} pixels)`);
  });
});
