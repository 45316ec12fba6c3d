import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { H264Encoder, NalUnitType, nalUnitType, readSpsColour, type SpsColour } from '../../src/codec';
import { splitAnnexB, temporaryDirectory, testsrc2Frames } from './media-tools';

/**
 * The VUI colour description read from real SPSs: the encoder's own, and x264's with the SPS
 * features that come before the VUI (High profiles, cropping, an extended sample aspect ratio)
 * and with each colour field given or left out.
 */

describe('SPS colour description', function () {
  this.timeout(30_000);
  const tmp = temporaryDirectory();
  after(() => tmp.remove());

  /** The SPS of a two-frame x264 stream made with these extra ffmpeg arguments. */
  function x264Sps(name: string, size: string, args: string[]): Buffer {
    const file = path.join(tmp.dir, `${name}.h264`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=10`, '-frames:v', '2', ...args, '-c:v', 'libx264', file]);
    const sps = splitAnnexB(fs.readFileSync(file)).find((nal) => nalUnitType(nal) === NalUnitType.sequenceParameterSet);
    assert.ok(sps, 'x264 wrote an SPS');
    return sps;
  }

  it("gives the encoder's own: BT.601 matrix at full range, BT.709 primaries, sRGB transfer", async function () {
    const encoder = new H264Encoder({ width: 320, height: 240 });
    await encoder.encode(testsrc2Frames(320, 240, 1), { format: 'rgba8' });
    const sets = encoder.parameterSets();
    encoder.close();
    assert.ok(sets);
    assert.deepEqual(readSpsColour(sets.sps), { fullRange: true, colourPrimaries: 1, transferCharacteristics: 13, matrixCoefficients: 6 });
  });

  const described: Array<[string, string[], SpsColour]> = [
    [
      'High 4:2:0, limited range, BT.470BG/SMPTE 170M, cropped, SAR 5:7',
      ['-pix_fmt', 'yuv420p', '-vf', 'setsar=5/7', '-color_range', 'tv', '-color_primaries', 'bt470bg', '-color_trc', 'smpte170m', '-colorspace', 'bt470bg'],
      { fullRange: false, colourPrimaries: 5, transferCharacteristics: 6, matrixCoefficients: 5 },
    ],
    [
      'High 4:4:4, full range, BT.709',
      ['-pix_fmt', 'yuv444p', '-color_range', 'pc', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'],
      { fullRange: true, colourPrimaries: 1, transferCharacteristics: 1, matrixCoefficients: 1 },
    ],
    [
      'full range and no colour description: the colours are unspecified (2)',
      ['-pix_fmt', 'yuv420p', '-color_range', 'pc'],
      { fullRange: true, colourPrimaries: 2, transferCharacteristics: 2, matrixCoefficients: 2 },
    ],
  ];
  for (const [what, args, expected] of described) {
    it(`reads x264's ${what}`, function () {
      assert.deepEqual(readSpsColour(x264Sps(what.split(',')[0].replace(/\W+/g, '-'), '66x50', args)), expected);
    });
  }

  it('gives undefined for an SPS whose VUI has no video signal type', function () {
    assert.equal(readSpsColour(x264Sps('untagged', '64x48', ['-pix_fmt', 'yuv420p'])), undefined);
  });

  it('says what is missing when the SPS is cut short', async function () {
    const encoder = new H264Encoder({ width: 320, height: 240 });
    await encoder.encode(testsrc2Frames(320, 240, 1), { format: 'rgba8' });
    const sets = encoder.parameterSets();
    encoder.close();
    assert.ok(sets);
    assert.throws(() => readSpsColour(sets.sps.subarray(0, 8)), { name: 'TypeError', message: 'sps ends before its VUI colour description.' });
  });
});
