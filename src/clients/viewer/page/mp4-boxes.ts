/**
 * Just enough ISO BMFF reading for the stream's one-frame fragments: the decode time (tfdt) and
 * the sample bytes (the mdat payload). The layout is the server's own (src/media/mp4), so only
 * the boxes it writes are looked for; anything else is a TypeError naming what is missing.
 */

const HEADER_SIZE = 8;

interface BoxRange {
  start: number;
  end: number;
}

/** The payload range of the first box of `type` among the boxes in bytes[start, end). */
function findBox(bytes: Uint8Array, type: string, start: number, end: number): BoxRange | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  while (offset + HEADER_SIZE <= end) {
    const size = view.getUint32(offset);
    const name = String.fromCharCode(bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7]);
    if (size < HEADER_SIZE || offset + size > end) throw new TypeError(`box ${name} at byte ${offset} claims ${size} bytes`);
    if (name === type) return { start: offset + HEADER_SIZE, end: offset + size };
    offset += size;
  }
  return undefined;
}

function requireBox(bytes: Uint8Array, path: string): BoxRange {
  let range: BoxRange = { start: 0, end: bytes.length };
  for (const type of path.split('/')) {
    const found = findBox(bytes, type, range.start, range.end);
    if (!found) throw new TypeError(`fragment has no ${path}`);
    range = found;
  }
  return range;
}

export interface FragmentContents {
  /** baseMediaDecodeTime, in the track's ticks. */
  decodeTicks: number;
  /** The one sample: AVCC (length-prefixed NAL units). */
  sample: Uint8Array;
}

export function readFragment(bytes: Uint8Array): FragmentContents {
  const tfdt = requireBox(bytes, 'moof/traf/tfdt');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[tfdt.start];
  const decodeTicks =
    version === 1 ? view.getUint32(tfdt.start + 4) * 2 ** 32 + view.getUint32(tfdt.start + 8) : view.getUint32(tfdt.start + 4);
  const mdat = requireBox(bytes, 'mdat');
  return { decodeTicks, sample: bytes.subarray(mdat.start, mdat.end) };
}
