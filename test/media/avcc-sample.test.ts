import assert from 'node:assert/strict';
import { checkAvccSample } from '../../src/media/mp4/avcc-sample';

/** Builds an AVCC sample from NAL units given as (header byte, payload length). */
function avcc(...nals: Array<[header: number, payloadLength: number]>): Uint8Array {
  const parts = nals.flatMap(([header, payloadLength]) => {
    const nal = new Uint8Array(1 + payloadLength).fill(0x5a);
    nal[0] = header;
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, nal.length);
    return [length, nal];
  });
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

describe('checkAvccSample', () => {
  it('counts NAL units and spots the IDR slice', () => {
    assert.deepEqual(checkAvccSample(avcc([0x06, 20], [0x65, 300]), 'data'), { nalUnitCount: 2, hasIdrSlice: true });
    assert.deepEqual(checkAvccSample(avcc([0x41, 10]), 'data'), { nalUnitCount: 1, hasIdrSlice: false });
  });

  it('accepts a NAL unit whose length prefix looks like a start code (00 00 01 xx)', () => {
    const sample = avcc([0x65, 299]);
    assert.deepEqual([...sample.subarray(0, 4)], [0, 0, 1, 0x2c]);
    assert.equal(checkAvccSample(sample, 'data').hasIdrSlice, true);
  });

  it('names the field and the problem', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /^data: must not be empty/],
      [Uint8Array.of(0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0x21), /^data: must be AVCC .* not Annex-B/],
      [avcc([0x65, 10]).subarray(0, 8), /^data: has a NAL unit length of 11 at byte 0/],
      [Uint8Array.of(...avcc([0x65, 3]), 0, 0), /^data: ends with a truncated NAL unit length at byte 8/],
      [avcc([0x67, 10], [0x65, 10]), /^data: must not contain SPS or PPS .*type 7/],
      [avcc([0x65, 10], [0x68, 3]), /^data: must not contain SPS or PPS .*type 8/],
      [avcc([0xe5, 10]), /^data: has a NAL unit with the forbidden_zero_bit set at byte 4/],
      [Uint8Array.of(0, 0, 0, 0), /^data: has a NAL unit length of 0/],
    ];
    for (const [sample, message] of cases) {
      assert.throws(
        () => checkAvccSample(sample, 'data'),
        (error: Error) => error instanceof TypeError && message.test(error.message),
      );
    }
  });
});
