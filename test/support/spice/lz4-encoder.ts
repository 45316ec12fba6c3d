/**
 * A small LZ4 block encoder for tests: greedy, one hash table of 4-byte sequences, matches up to
 * 65535 back, the input cut into blocks compressed as one stream (a block's matches may reach
 * into earlier blocks' bytes), as spice-server's LZ4 images are. Not fast and not tight: it makes
 * realistic streams (long literal runs, long and overlapping matches, matches across blocks) for
 * the decoders to agree on.
 */

/** `input` as SPICE's LZ4 blocks, each behind its big-endian size, about `blockSize` input bytes each. */
export function lz4Blocks(input: Uint8Array, blockSize: number): Buffer {
  const table = new Map<number, number>();
  const out: number[] = [];
  for (let start = 0; start < input.length; start += blockSize) {
    const block = encodeBlock(input, start, Math.min(input.length, start + blockSize), table);
    out.push((block.length >>> 24) & 255, (block.length >>> 16) & 255, (block.length >>> 8) & 255, block.length & 255, ...block);
  }
  return Buffer.from(out);
}

function length(out: number[], n: number): void {
  for (; n >= 255; n -= 255) out.push(255);
  out.push(n);
}

function sequence(
  out: number[],
  input: Uint8Array,
  literalStart: number,
  literalEnd: number,
  match?: { offset: number; length: number },
): void {
  const literals = literalEnd - literalStart;
  const matchCode = match ? match.length - 4 : 0;
  out.push((Math.min(literals, 15) << 4) | Math.min(matchCode, 15));
  if (literals >= 15) length(out, literals - 15);
  for (let i = literalStart; i < literalEnd; i++) out.push(input[i]!);
  if (!match) return;
  out.push(match.offset & 255, match.offset >>> 8);
  if (matchCode >= 15) length(out, matchCode - 15);
}

function encodeBlock(input: Uint8Array, start: number, end: number, table: Map<number, number>): number[] {
  const out: number[] = [];
  let literalStart = start;
  let i = start;
  while (i + 4 <= end) {
    const key = input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24);
    const candidate = table.get(key);
    table.set(key, i);
    if (candidate !== undefined && i - candidate <= 65535) {
      let n = 0;
      while (i + n < end && input[candidate + n] === input[i + n]) n++;
      if (n >= 4) {
        sequence(out, input, literalStart, i, { offset: i - candidate, length: n });
        i += n;
        literalStart = i;
        continue;
      }
    }
    i++;
  }
  sequence(out, input, literalStart, end);
  return out;
}
