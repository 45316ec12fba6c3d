import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import {
  annexB,
  avccSample,
  avcCodecString,
  avcDecoderConfigurationRecord,
  H264Encoder,
  NalUnitType,
  nalUnitType,
  readSpsFormat,
} from '../../src/codec';
import { avcCPayload, splitAnnexB, temporaryDirectory, testsrc2Frames } from '../support/media-tools';

const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const aud = Buffer.from([0x09, 0xf0]);
const idr = Buffer.from([0x65, 0x88, 0x84, 0x00, 0x33]);
const sei = Buffer.from([0x06, 0x05, 0x01, 0x80]);

/** Remuxes an Annex-B file into MP4 with ffmpeg and returns its avcC payload. */
function ffmpegAvcC(annexBFile: string): Buffer {
  const mp4 = annexBFile.replace(/\.h264$/, '.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', annexBFile, '-c', 'copy', mp4]);
  return avcCPayload(fs.readFileSync(mp4));
}

describe('AVC packaging', function () {
  const tmp = temporaryDirectory();
  after(() => tmp.remove());

  it('reads nal_unit_type from the header byte', function () {
    assert.deepEqual(
      [sps, pps, aud, idr, sei].map((nal) => nalUnitType(nal)),
      [7, 8, 9, 5, 6],
    );
    assert.throws(() => nalUnitType(Buffer.alloc(0)), { name: 'TypeError', message: /^nal: must hold/ });
  });

  it('writes AVCC samples with 4-byte lengths, leaving out SPS, PPS and access unit delimiters', function () {
    assert.deepEqual(
      avccSample([aud, sps, pps, sei, idr]),
      Buffer.from([0, 0, 0, 4, 0x06, 0x05, 0x01, 0x80, 0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x33]),
    );
    assert.deepEqual(avccSample([sps, pps]), Buffer.alloc(0));
  });

  it('writes Annex-B with 4-byte start codes', function () {
    assert.deepEqual(annexB([sps, idr]), Buffer.from([0, 0, 0, 1, ...sps, 0, 0, 0, 1, ...idr]));
  });

  it('builds the Baseline avcC byte for byte as the ISO layout says', function () {
    assert.deepEqual(
      avcDecoderConfigurationRecord(sps, pps),
      Buffer.from([1, 0x42, 0xc0, 0x1f, 0xff, 0xe1, 0, 6, ...sps, 1, 0, 4, ...pps]),
    );
    assert.equal(avcCodecString(sps), 'avc1.42c01f');
  });

  it("builds the same avcC as ffmpeg's MP4 muxer for an openh264 stream", async function () {
    const encoder = new H264Encoder({ width: 320, height: 240 });
    const frames = testsrc2Frames(320, 240, 3);
    const nalUnits: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      nalUnits.push(...(await encoder.encode(frames.subarray(i * 320 * 240 * 4), { format: 'rgba8' })).nalUnits);
    }
    const sets = encoder.parameterSets();
    encoder.close();
    assert.ok(sets);
    const file = path.join(tmp.dir, 'openh264.h264');
    // 3-byte start codes: ffmpeg's raw H.264 demuxer cuts its extradata just before the next
    // 00 00 01, so with 4-byte codes its PPS would keep the next code's leading zero byte.
    fs.writeFileSync(file, Buffer.concat(nalUnits.flatMap((nal) => [Buffer.from([0, 0, 1]), nal])));
    const expected = ffmpegAvcC(file);
    assert.deepEqual(avcDecoderConfigurationRecord(sets.sps, sets.pps), expected);
    assert.equal(avcCodecString(sets.sps), `avc1.${expected.subarray(1, 4).toString('hex')}`);
  });

  for (const [pixFmt, profileIdc, chromaFormatIdc, bitDepth] of [
    ['yuv420p', 100, 1, 8],
    ['yuv444p', 244, 3, 8],
    ['yuv420p10le', 110, 1, 10],
  ] as const) {
    it(`builds the same avcC as ffmpeg for x264 ${pixFmt} (profile ${profileIdc}, with chroma format and bit depth)`, function () {
      const file = path.join(tmp.dir, `x264-${pixFmt}.h264`);
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=64x48:rate=10',
        '-frames:v',
        '2',
        '-pix_fmt',
        pixFmt,
        '-c:v',
        'libx264',
        file,
      ]);
      const nalUnits = splitAnnexB(fs.readFileSync(file));
      const spsUnit = nalUnits.find((nal) => nalUnitType(nal) === NalUnitType.sequenceParameterSet);
      const ppsUnit = nalUnits.find((nal) => nalUnitType(nal) === NalUnitType.pictureParameterSet);
      assert.ok(spsUnit && ppsUnit);
      const format = readSpsFormat(spsUnit);
      assert.equal(format.profileIdc, profileIdc);
      assert.equal(format.chromaFormatIdc, chromaFormatIdc);
      assert.equal(format.bitDepthLuma, bitDepth);
      assert.equal(format.bitDepthChroma, bitDepth);
      assert.deepEqual(avcDecoderConfigurationRecord(spsUnit, ppsUnit), ffmpegAvcC(file));
    });
  }

  it('rejects parameter sets that are not raw NAL units of the right type', function () {
    assert.throws(() => avcDecoderConfigurationRecord(Buffer.from([0, 0, 0, 1, ...sps]), pps), {
      name: 'TypeError',
      message: /^sps: must be a NAL unit of type 7 without start code/,
    });
    assert.throws(() => avcDecoderConfigurationRecord(sps, idr), { name: 'TypeError', message: /^pps: must be a NAL unit of type 8/ });
    assert.throws(() => avcDecoderConfigurationRecord(sps.subarray(0, 3), pps), { name: 'TypeError', message: /^sps: must be from 4/ });
    assert.throws(() => avcDecoderConfigurationRecord('sps' as never, pps), { name: 'TypeError', message: /^sps: must be a Uint8Array/ });
    assert.throws(() => avcCodecString(pps), { name: 'TypeError', message: /^sps: must be a NAL unit of type 7/ });
  });
});
