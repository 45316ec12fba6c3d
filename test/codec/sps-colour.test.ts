import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { H264Encoder, NalUnitType, nalUnitType, readSpsColour, type SpsColour } from '../../src/codec';
import { splitAnnexB, temporaryDirectory, testsrc2Frames } from '../support/media-tools';

/** Writes an SPS field by field (tests only): u(n), ue(v), se(v), then RBSP trailing bits and emulation prevention. */
class SpsWriter {
  private readonly bits: number[] = [];

  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const length = Math.floor(Math.log2(value + 1));
    return this.u(length, 0).u(length + 1, value + 1);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** The NAL unit: header byte 0x67, the payload, a stop bit, and 03 after any 00 00 before a byte <= 3. */
  nalUnit(): Buffer {
    const bits = [...this.bits, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const out = [0x67];
    let zeros = 0;
    for (let i = 0; i < bits.length; i += 8) {
      const byte = bits.slice(i, i + 8).reduce((value, bit) => value * 2 + bit, 0);
      if (zeros >= 2 && byte <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(byte);
      zeros = byte === 0 ? zeros + 1 : 0;
    }
    return Buffer.from(out);
  }
}

/** What ffmpeg's own SPS parser (the trace_headers filter) reads from a lone SPS: field name -> value. */
function ffmpegSpsFields(sps: Buffer, dir: string): Map<string, number> {
  const file = path.join(dir, 'hand-made-sps.h264');
  fs.writeFileSync(file, Buffer.concat([Buffer.from([0, 0, 0, 1]), sps]));
  const result = spawnSync(
    'ffmpeg',
    ['-v', 'trace', '-f', 'h264', '-i', file, '-c', 'copy', '-bsf:v', 'trace_headers', '-f', 'null', '-'],
    { encoding: 'utf8' },
  );
  const fields = new Map<string, number>();
  for (const match of result.stderr.matchAll(/\[trace_headers @ [^\]]+\] \d+\s+(\w+)(?:\[\d+\])?\s+[01]+ = (-?\d+)/g))
    fields.set(match[1], Number(match[2]));
  return fields;
}

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
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=10`,
      '-frames:v',
      '2',
      ...args,
      '-c:v',
      'libx264',
      file,
    ]);
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
      [
        '-pix_fmt',
        'yuv420p',
        '-vf',
        'setsar=5/7',
        '-color_range',
        'tv',
        '-color_primaries',
        'bt470bg',
        '-color_trc',
        'smpte170m',
        '-colorspace',
        'bt470bg',
      ],
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

  it('reads past SPS scaling lists, picture order count type 1, field coding and cropping, as ffmpeg does', function () {
    const sps = new SpsWriter()
      .u(8, 100)
      .u(8, 0)
      .u(8, 30) // High profile, no constraints, level 3
      .ue(0)
      .ue(1)
      .ue(0)
      .ue(0)
      .u(1, 0) // sps id, 4:2:0, 8-bit luma and chroma, no transform bypass
      .u(1, 1); // seq_scaling_matrix_present_flag
    // Eight scaling lists: a 4x4 one coded in full, one that says "use the default" at once
    // (next scale 0), a 64-entry 8x8 one, the rest absent.
    sps.u(1, 1);
    for (let j = 0; j < 16; j++) sps.se(1);
    sps.u(1, 1).se(-8);
    for (let i = 2; i < 6; i++) sps.u(1, 0);
    sps.u(1, 1);
    for (let j = 0; j < 64; j++) sps.se(j % 2 === 0 ? 3 : -2);
    sps.u(1, 0);
    sps
      .ue(0) // log2_max_frame_num_minus4
      .ue(1)
      .u(1, 0)
      .se(-1)
      .se(2)
      .ue(2)
      .se(3)
      .se(-(2 ** 23)) // picture order count type 1; the long last offset makes 00 00 0x, so an emulation prevention byte
      .ue(1)
      .u(1, 0) // max_num_ref_frames, no gaps
      .ue(4)
      .ue(3) // 80 x 64 (in field pairs)
      .u(1, 0)
      .u(1, 1)
      .u(1, 1) // fields, MBAFF, direct 8x8 inference
      .u(1, 1)
      .ue(0)
      .ue(1)
      .ue(0)
      .ue(2) // cropping
      .u(1, 1) // vui_parameters_present_flag
      .u(1, 1)
      .u(8, 255)
      .u(16, 5)
      .u(16, 7) // extended sample aspect ratio 5:7
      .u(1, 1)
      .u(1, 0) // overscan info
      .u(1, 1)
      .u(3, 5)
      .u(1, 1)
      .u(1, 1)
      .u(8, 9)
      .u(8, 14)
      .u(8, 9) // full range, BT.2020 primaries and matrix, BT.2020 10-bit transfer
      .u(1, 0)
      .u(1, 0)
      .u(1, 0)
      .u(1, 0)
      .u(1, 0)
      .u(1, 0); // no chroma location, timing, HRD, pic_struct, restrictions
    const nal = sps.nalUnit();
    assert.ok(nal.includes(Buffer.from([0, 0, 3])), 'the SPS holds an emulation prevention byte');
    // ffmpeg agrees on what this SPS says, so the hand-made bits are a valid SPS.
    const fields = ffmpegSpsFields(nal, tmp.dir);
    assert.deepEqual(
      [
        'seq_scaling_matrix_present_flag',
        'pic_order_cnt_type',
        'frame_cropping_flag',
        'sar_width',
        'video_full_range_flag',
        'colour_primaries',
        'transfer_characteristics',
        'matrix_coefficients',
      ].map((name) => fields.get(name)),
      [1, 1, 1, 5, 1, 9, 14, 9],
    );
    assert.deepEqual(readSpsColour(nal), { fullRange: true, colourPrimaries: 9, transferCharacteristics: 14, matrixCoefficients: 9 });
  });

  it('gives undefined for an SPS whose VUI has no video signal type', function () {
    assert.equal(readSpsColour(x264Sps('untagged', '64x48', ['-pix_fmt', 'yuv420p'])), undefined);
  });

  it('says what is missing when the SPS is cut short', async function () {
    const encoder = new H264Encoder({ width: 320, height: 240 });
    await encoder.encode(testsrc2Frames(320, 240, 1), { format: 'rgba8' });
    const sets = encoder.parameterSets();
    encoder.close();
    assert.ok(sets);
    assert.throws(() => readSpsColour(sets.sps.subarray(0, 8)), {
      name: 'TypeError',
      message: 'sps ends before its VUI colour description.',
    });
  });
});
