import { Ropd } from '../wire/constants';

/** A raster operation on two 32-bit pixels (colour bits; the caller fixes alpha). */
export type RopFunction = (src: number, dst: number) => number;

/** Plain copy: lets callers take the fast path. */
export const ROP_COPY: RopFunction = (s) => s;

/**
 * Turns a SPICE ROP descriptor into a function. `sourceInvert` is the descriptor bit that inverts
 * this draw's source (INVERS_SRC for images, INVERS_BRUSH for fills); `destInvert` likewise for the
 * destination input (DRAW_OPAQUE combines its brush with the copied image, so there the
 * "destination" is that image and its inversion bit is INVERS_SRC).
 */
export function ropFromDescriptor(ropd: number, sourceInvert: number, destInvert: number = Ropd.INVERS_DEST): RopFunction {
  const invS = (ropd & sourceInvert) !== 0;
  const invD = (ropd & destInvert) !== 0;
  const invR = (ropd & Ropd.INVERS_RES) !== 0;
  // The plain copy of nearly every draw, without making a function for it.
  if (ropd & Ropd.OP_PUT && !invS && !invD && !invR) return ROP_COPY;
  let op: RopFunction;
  if (ropd & Ropd.OP_PUT) op = (s) => s;
  else if (ropd & Ropd.OP_OR) op = (s, d) => s | d;
  else if (ropd & Ropd.OP_AND) op = (s, d) => s & d;
  else if (ropd & Ropd.OP_XOR) op = (s, d) => s ^ d;
  else if (ropd & Ropd.OP_BLACKNESS) op = () => 0;
  else if (ropd & Ropd.OP_WHITENESS) op = () => 0xffffff;
  else if (ropd & Ropd.OP_INVERS) op = (_s, d) => ~d;
  else op = (_s, d) => d; // no operation bit: leave the destination as it is
  if (!invS && !invD && !invR) return op;
  return (s, d) => {
    const r = op(invS ? ~s : s, invD ? ~d : d);
    return invR ? ~r : r;
  };
}

/**
 * A ternary raster operation (Windows ROP3 code): bit (p<<2 | s<<1 | d) of `code` is the result
 * for those input bits, applied to every colour bit at once.
 */
export function rop3Function(code: number): (p: number, s: number, d: number) => number {
  const minterms: number[] = [];
  for (let k = 0; k < 8; k++) if ((code >> k) & 1) minterms.push(k);
  return (p, s, d) => {
    let r = 0;
    for (const k of minterms) r |= (k & 4 ? p : ~p) & (k & 2 ? s : ~s) & (k & 1 ? d : ~d);
    return r;
  };
}
