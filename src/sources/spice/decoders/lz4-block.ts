/**
 * Decodes one raw LZ4 block (the block format, no frame) from src[sp, send) into dst at dp, where
 * earlier bytes of dst may serve as the dictionary (SPICE compresses its blocks as one stream).
 * Returns the new dp, or why the block is malformed and where ("literals overflow the image at
 * input offset 1234"). Every read and write is bounds-checked.
 */
export function decodeLz4Block(src: Uint8Array, sp: number, send: number, dst: Uint8Array, dp: number): number | string {
  const dend = dst.length;
  const bad = (why: string) => `${why} at input offset ${sp}`;
  while (sp < send) {
    const token = src[sp++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b;
      do {
        if (sp >= send) return bad('literal length runs past the block');
        b = src[sp++];
        literals += b;
      } while (b === 255);
    }
    if (sp + literals > send) return bad('literals run past the block');
    if (dp + literals > dend) return bad('literals overflow the image');
    if (literals > 16) dst.set(src.subarray(sp, sp + literals), dp);
    else for (let i = 0; i < literals; i++) dst[dp + i] = src[sp + i];
    sp += literals;
    dp += literals;
    // The last sequence of a block has literals only.
    if (sp >= send) break;
    if (sp + 2 > send) return bad('match offset runs past the block');
    const offset = src[sp] | (src[sp + 1] << 8);
    sp += 2;
    if (offset === 0 || offset > dp) return bad(`match offset ${offset} reaches before the output`);
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b;
      do {
        if (sp >= send) return bad('match length runs past the block');
        b = src[sp++];
        length += b;
      } while (b === 255);
    }
    if (dp + length > dend) return bad('match overflows the image');
    const ref = dp - offset;
    if (offset >= length) dst.copyWithin(dp, ref, ref + length);
    else for (let i = 0; i < length; i++) dst[dp + i] = dst[ref + i]; // overlap repeats the pattern
    dp += length;
  }
  return dp;
}
