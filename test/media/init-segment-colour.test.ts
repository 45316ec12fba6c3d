import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { avcDecoderConfigurationRecord, H264Encoder } from '../../src/codec';
import { buildInitSegment } from '../../src/media/mp4/mp4-init-segment';
import { encodeTestVideo } from '../support/media/h264-fixture';
import { parseMp4 } from '../support/media/mp4-structure';

/**
 * The init segment's colr box repeats the SPS's colour description, which is what the recording
 * and the live stream's MSE path carry; a stream that says nothing about colour gets none.
 */

interface ColrFields {
  colour_type: string;
  colour_primaries: number;
  transfer_characteristics: number;
  matrix_coefficients: number;
  full_range_flag: number;
}

function sampleEntryBoxes(sps: Uint8Array, pps: Uint8Array, width: number, height: number): Array<{ type: string; size: number }> {
  const init = buildInitSegment({
    width,
    height,
    timescale: 90_000,
    trackId: 1,
    avcDecoderConfig: avcDecoderConfigurationRecord(sps, pps),
    durationTicks: 0,
  });
  const entry = parseMp4(init).getTrackById(1).mdia.minf.stbl.stsd.entries[0];
  return (entry.boxes ?? []) as Array<{ type: string; size: number }>;
}

describe('Init segment colour', function () {
  this.timeout(30_000);
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'screencap-init-colour-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("writes a 19-byte nclx colr box after the avcC, from the encoder's SPS", async () => {
    const encoder = new H264Encoder({ width: 64, height: 48 });
    await encoder.encode(Buffer.alloc(64 * 48 * 4, 0x80), { format: 'rgba8' });
    const sets = encoder.parameterSets();
    encoder.close();
    assert.ok(sets);
    const boxes = sampleEntryBoxes(sets.sps, sets.pps, 64, 48);
    assert.deepEqual(
      boxes.map((box) => box.type),
      ['avcC', 'colr'],
    );
    const colr = boxes[1] as unknown as ColrFields & { size: number };
    assert.equal(colr.size, 19);
    assert.deepEqual(
      [colr.colour_type, colr.colour_primaries, colr.transfer_characteristics, colr.matrix_coefficients, colr.full_range_flag],
      ['nclx', 1, 13, 6, 1],
    );
  });

  it('writes no colr box for a stream whose SPS has no colour description', async () => {
    const fixture = await encodeTestVideo(directory, { width: 64, height: 48, frames: 1, gop: 1 });
    assert.deepEqual(
      sampleEntryBoxes(fixture.sps, fixture.pps, 64, 48).map((box) => box.type),
      ['avcC'],
    );
  });
});
