import { SpiceProtocolError } from '../wire/errors';
import { newImage, type DecodedImage } from './decoded-image';
import { convertRows } from '../../../codec/image-transform';
import { QUIC_HEADER_BYTES, QuicImageType, readQuicHeader } from './quic-header';
import {
  BESTTRIGTAB,
  BPPMASK,
  BUCKETS_5BPC,
  BUCKETS_8BPC,
  DEFEVOL,
  DEFWMIMAX,
  DEFWMINEXT,
  FAMILY_5BPC,
  FAMILY_8BPC,
  J,
  TABRAND_CHAOS,
  type GolombFamily,
} from './quic-tables';

/**
 * SPICE's QUIC (spice-common quic.c): a predictive image codec with adaptive Golomb codes and
 * MELCODE run lengths. Every image type: RGB24, RGB32 and RGBA at 8 bits per channel, RGB16 at 5
 * bits per channel (widened to 8 as the reference client does), and GRAY (one 8-bit channel).
 * The decoder mirrors the encoder's model updates exactly; every table and schedule must match
 * bit for bit. The native addon's decoder (NativeQuicDecoder, native/src/quic-decoder.cc) is its
 * several times faster twin, which the source uses; this one decodes where the addon is not built.
 */

export { QuicImageType };

/** Buckets per channel in the model arrays: the 8 bpc count, which 5 bpc (fewer buckets) fits in. */
const N_BUCKETS = BUCKETS_8BPC.count;

/** What the type's channels hold: 8 or 5 bits each (the Golomb family and bucket map follow). */
interface Depth {
  bpc: number;
  family: GolombFamily;
  bucketOf: Uint8Array;
}
const DEPTH_8: Depth = { bpc: 8, family: FAMILY_8BPC, bucketOf: BUCKETS_8BPC.bucketOf };
const DEPTH_5: Depth = { bpc: 5, family: FAMILY_5BPC, bucketOf: BUCKETS_5BPC.bucketOf };

/** The model-update schedule and run-length coder state (CommonState). */
class QuicState {
  waitcnt = 0;
  tabrandSeed = 0xff;
  wmTrigger = 0;
  wmidx = 0;
  wmileft = DEFWMINEXT;
  melcstate = 0;
  melclen = 0;
  melcorder = 1;

  reset(): void {
    this.waitcnt = 0;
    this.tabrandSeed = 0xff;
    this.wmidx = 0;
    this.wmileft = DEFWMINEXT;
    this.setWmTrigger();
    this.melcstate = 0;
    this.melclen = J[0];
    this.melcorder = 1 << this.melclen;
  }

  setWmTrigger(): void {
    this.wmTrigger = BESTTRIGTAB[DEFEVOL >> 1][Math.min(this.wmidx, 10)];
  }

  tabrand(): number {
    this.tabrandSeed = (this.tabrandSeed + 1) & 0xff;
    return TABRAND_CHAOS[this.tabrandSeed];
  }
}

/** Reusable decoder; not re-entrant (one per display channel). */
export class QuicDecoder {
  private data: Uint8Array = new Uint8Array(0);
  private ioIdx = 0;
  private ioWord = 0;
  private ioNext = 0;
  private ioAvail = 0;
  private overrun = 0;
  private width = 0;
  private out: Uint8Array = new Uint8Array(0);
  private out32: Uint32Array = new Uint32Array(0);
  /** Per channel (0..3): the previous row's decoded residuals, width entries each. */
  private corr: Uint8Array = new Uint8Array(0);
  private readonly zero = new Uint8Array(4);
  private readonly bestcode = new Uint8Array(4 * N_BUCKETS);
  private readonly counters = new Uint32Array(4 * N_BUCKETS * 8);
  private readonly rgbState = new QuicState();
  private readonly alphaState = new QuicState();
  // The current image's depth, copied into fields so the inner loops read them without a hop.
  private bpc = 8;
  private mask = 0xff;
  private bucketOf = DEPTH_8.bucketOf;
  private xlat = FAMILY_8BPC.xlatL2U;
  private ngr = FAMILY_8BPC.nGRcodewords;
  private notGrLen = FAMILY_8BPC.notGRcwlen;
  private notGrMask = FAMILY_8BPC.notGRprefixmask;
  private notGrSuffix = FAMILY_8BPC.notGRsuffixlen;

  decode(data: Uint8Array, expected?: { width: number; height: number }): DecodedImage {
    const { type, width, height } = readQuicHeader(data, expected);
    // Always a plain Uint8Array view, never a Buffer: one receiver shape keeps the reads monomorphic.
    this.data = new Uint8Array(data.buffer, data.byteOffset, data.length);
    this.overrun = 0;
    // The bit window starts on the first word after the header, as if the header's words had
    // been read through it.
    this.ioIdx = QUIC_HEADER_BYTES;
    this.readWord();
    this.ioWord = this.ioNext;
    this.ioAvail = 0;
    const gray = type === QuicImageType.GRAY;
    const hasRgb = !gray;
    // GRAY's one channel is decoded where RGBA keeps alpha (byte 3), with the same one-channel
    // model, then spread into grey pixels; the three colour channels of RGB16 hold 5-bit values
    // until they are widened at the end.
    const hasOneChannel = gray || type === QuicImageType.RGBA;
    this.setDepth(type === QuicImageType.RGB16 ? DEPTH_5 : DEPTH_8);
    const image = newImage(width, height, type === QuicImageType.RGBA);
    this.width = width;
    this.out = new Uint8Array(image.pixels.buffer);
    this.out32 = image.pixels;
    if (this.corr.length < 4 * width) this.corr = new Uint8Array(4 * width);
    this.bestcode.fill(this.bpc - 1);
    this.counters.fill(0);
    this.rgbState.reset();
    this.alphaState.reset();
    const stride = width * 4;
    const rgbChans = [0, 1, 2];
    const rgbOffs = [2, 1, 0];
    const alphaChans = [3];
    const alphaOffs = [3];
    this.zero.fill(0);
    if (hasRgb) this.row0(this.rgbState, rgbChans, rgbOffs, 0);
    if (hasOneChannel) this.row0(this.alphaState, alphaChans, alphaOffs, 0);
    for (let y = 1; y < height; y++) {
      for (let c = 0; c < 4; c++) this.zero[c] = this.corr[c * width];
      if (hasRgb) this.row(this.rgbState, rgbChans, rgbOffs, (y - 1) * stride, y * stride);
      if (hasOneChannel) this.row(this.alphaState, alphaChans, alphaOffs, (y - 1) * stride, y * stride);
    }
    if (this.overrun > 1) throw new SpiceProtocolError('QUIC: compressed data ends before the image does');
    // Images without alpha leave the decoder opaque, so that draws can copy them as they are.
    if (type !== QuicImageType.RGBA) {
      const kind = gray ? 'gray-in-alpha32' : type === QuicImageType.RGB16 ? 'bgrx32-5bit' : 'bgrx32';
      convertRows(kind, image.pixels, 0, stride, image.pixels, 0, stride, width, height);
    }
    this.data = new Uint8Array(0);
    this.out = new Uint8Array(0);
    this.out32 = new Uint32Array(0);
    return image;
  }

  private setDepth(depth: Depth): void {
    this.bpc = depth.bpc;
    this.mask = BPPMASK[depth.bpc];
    this.bucketOf = depth.bucketOf;
    this.xlat = depth.family.xlatL2U;
    this.ngr = depth.family.nGRcodewords;
    this.notGrLen = depth.family.notGRcwlen;
    this.notGrMask = depth.family.notGRprefixmask;
    this.notGrSuffix = depth.family.notGRsuffixlen;
  }

  private codeLen(n: number, l: number): number {
    return n < this.ngr[l] ? (n >>> l) + 1 + l : this.notGrLen[l];
  }

  private readWord(): void {
    const d = this.data;
    const i = this.ioIdx;
    if (i + 4 > d.length) {
      // The reader looks one word ahead; past the end it reads zeros and counts the overrun.
      this.overrun++;
      if (this.overrun > 2) throw new SpiceProtocolError('QUIC: compressed data ends before the image does');
      this.ioNext = 0;
      return;
    }
    this.ioNext = d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24);
    this.ioIdx = i + 4;
  }

  private eat(len: number): void {
    // The bit window lives in int32 fields (| 0, not >>> 0): a field holding values of 2^31 and up
    // would be stored as a boxed double, one allocation per update in the innermost loop.
    let word = this.ioWord << len;
    const delta = this.ioAvail - len;
    if (delta >= 0) {
      this.ioAvail = delta;
      word |= this.ioNext >>> delta;
    } else {
      word |= this.ioNext << -delta;
      this.readWord();
      this.ioAvail = 32 + delta;
      word |= this.ioNext >>> this.ioAvail;
    }
    this.ioWord = word | 0;
  }

  /** The slow half of eat(): the bit window crosses into the next input word. */
  private refill(word: number, delta: number): void {
    word |= this.ioNext << -delta;
    this.readWord();
    this.ioAvail = 32 + delta;
    this.ioWord = word | (this.ioNext >>> this.ioAvail);
  }

  /** Golomb-decodes one residual with code parameter l and consumes its bits. */
  private sym(l: number): number {
    // int32 throughout: a negative word has its top bit set, so it exceeds any prefix mask.
    const bits = this.ioWord;
    let rc: number;
    let len: number;
    if (bits < 0 || bits > this.notGrMask[l]) {
      const zeroprefix = Math.clz32(bits);
      len = zeroprefix + 1 + l;
      rc = (zeroprefix << l) | ((bits >>> (32 - len)) & BPPMASK[l]);
    } else {
      len = this.notGrLen[l];
      rc = this.ngr[l] + ((bits >>> (32 - len)) & BPPMASK[this.notGrSuffix[l]]);
    }
    // eat(len), inlined on its fast path (this is the innermost loop of the decoder); the word
    // refill is out of line so that this method stays small enough for V8 to inline.
    const delta = this.ioAvail - len;
    if (delta >= 0) {
      this.ioAvail = delta;
      this.ioWord = (bits << len) | (this.ioNext >>> delta);
    } else this.refill(bits << len, delta);
    // A corrupt stream could yield values past the channel's bits; keep table lookups in range.
    return rc & this.mask;
  }

  private updateModel(st: QuicState, c: number, bucket: number, curval: number): void {
    const b = c * N_BUCKETS + bucket;
    const base = b * 8;
    const counters = this.counters;
    const bpc = this.bpc;
    let bestcode = bpc - 1;
    let bestlen = (counters[base + bestcode] += this.codeLen(curval, bestcode));
    for (let i = bpc - 2; i >= 0; i--) {
      const len = (counters[base + i] += this.codeLen(curval, i));
      if (len < bestlen) {
        bestcode = i;
        bestlen = len;
      }
    }
    this.bestcode[b] = bestcode;
    if (bestlen > st.wmTrigger) for (let i = 0; i < bpc; i++) counters[base + i] >>>= 1;
  }

  private decodeRun(st: QuicState): number {
    let runlen = 0;
    for (;;) {
      const x = ~(this.ioWord >>> 24) & 0xff;
      const temp = Math.clz32(x) - 24; // leading ones of the top byte
      for (let hits = 1; hits <= temp; hits++) {
        runlen += st.melcorder;
        if (st.melcstate < 32) {
          st.melclen = J[++st.melcstate];
          st.melcorder = 1 << st.melclen;
        }
      }
      if (temp !== 8) {
        this.eat(temp + 1);
        break;
      }
      this.eat(8);
    }
    if (st.melclen) {
      runlen += this.ioWord >>> (32 - st.melclen);
      this.eat(st.melclen);
    }
    if (st.melcstate) {
      st.melclen = J[--st.melcstate];
      st.melcorder = 1 << st.melclen;
    }
    return runlen;
  }

  /** First pixel of a row: predicted from `base` (0 on row 0, the pixel above otherwise). */
  private firstPixel(st: QuicState, chans: number[], offs: number[], cur: number, prev: number, waitmask: number): void {
    const W = this.width;
    const out = this.out;
    const bucketOf = this.bucketOf;
    for (let k = 0; k < chans.length; k++) {
      const c = chans[k];
      const rc = this.sym(this.bestcode[c * N_BUCKETS + bucketOf[this.zero[c]]]);
      this.corr[c * W] = rc;
      const above = prev < 0 ? 0 : out[prev + offs[k]];
      out[cur + offs[k]] = (this.xlat[rc] + above) & this.mask;
    }
    if (st.waitcnt) st.waitcnt--;
    else {
      st.waitcnt = st.tabrand() & waitmask;
      for (let k = 0; k < chans.length; k++) {
        const c = chans[k];
        this.updateModel(st, c, bucketOf[this.zero[c]], this.corr[c * W]);
      }
    }
  }

  /** Pixel i of a row; on row 0 (prev < 0) predicted from the left, else from the mean of left and above. */
  private pixel(chans: number[], cur: number, prev: number, i: number): void {
    if (chans.length === 3) {
      if (prev < 0) this.pixelRgbRow0(cur, i);
      else this.pixelRgb(cur, prev, i);
      return;
    }
    const W = this.width;
    const out = this.out;
    const corr = this.corr;
    const p = cur + i * 4 + 3;
    const ci = 3 * W + i;
    const rc = this.sym(this.bestcode[3 * N_BUCKETS + this.bucketOf[corr[ci - 1]]]);
    corr[ci] = rc;
    const predicted = prev < 0 ? out[p - 4] : (out[p - 4] + out[prev + i * 4 + 3]) >> 1;
    out[p] = (this.xlat[rc] + predicted) & this.mask;
  }

  /** The three colour channels of pixel i on row 0 (R, G, B at byte offsets 2, 1, 0). */
  private pixelRgbRow0(cur: number, i: number): void {
    const W = this.width;
    const out = this.out;
    const corr = this.corr;
    const best = this.bestcode;
    const bucketOf = this.bucketOf;
    const xlat = this.xlat;
    const mask = this.mask;
    const p = cur + i * 4;
    let rc = this.sym(best[bucketOf[corr[i - 1]]]);
    corr[i] = rc;
    out[p + 2] = (xlat[rc] + out[p - 2]) & mask;
    rc = this.sym(best[N_BUCKETS + bucketOf[corr[W + i - 1]]]);
    corr[W + i] = rc;
    out[p + 1] = (xlat[rc] + out[p - 3]) & mask;
    rc = this.sym(best[2 * N_BUCKETS + bucketOf[corr[2 * W + i - 1]]]);
    corr[2 * W + i] = rc;
    out[p] = (xlat[rc] + out[p - 4]) & mask;
  }

  /** The three colour channels of pixel i on later rows. */
  private pixelRgb(cur: number, prev: number, i: number): void {
    const W = this.width;
    const out = this.out;
    const corr = this.corr;
    const best = this.bestcode;
    const bucketOf = this.bucketOf;
    const xlat = this.xlat;
    const mask = this.mask;
    const p = cur + i * 4;
    const q = prev + i * 4;
    let rc = this.sym(best[bucketOf[corr[i - 1]]]);
    corr[i] = rc;
    out[p + 2] = (xlat[rc] + ((out[p - 2] + out[q + 2]) >> 1)) & mask;
    rc = this.sym(best[N_BUCKETS + bucketOf[corr[W + i - 1]]]);
    corr[W + i] = rc;
    out[p + 1] = (xlat[rc] + ((out[p - 3] + out[q + 1]) >> 1)) & mask;
    rc = this.sym(best[2 * N_BUCKETS + bucketOf[corr[2 * W + i - 1]]]);
    corr[2 * W + i] = rc;
    out[p] = (xlat[rc] + ((out[p - 4] + out[q]) >> 1)) & mask;
  }

  private updateAt(st: QuicState, chans: number[], stopidx: number): void {
    const W = this.width;
    for (let k = 0; k < chans.length; k++) {
      const c = chans[k];
      this.updateModel(st, c, this.bucketOf[this.corr[c * W + stopidx - 1]], this.corr[c * W + stopidx]);
    }
  }

  private row0Seg(st: QuicState, chans: number[], offs: number[], cur: number, i: number, end: number, waitmask: number): void {
    let stopidx: number;
    if (i === 0) {
      this.firstPixel(st, chans, offs, cur, -1, waitmask);
      stopidx = ++i + st.waitcnt;
    } else stopidx = i + st.waitcnt;
    while (stopidx < end) {
      for (; i <= stopidx; i++) this.pixel(chans, cur, -1, i);
      this.updateAt(st, chans, stopidx);
      stopidx = i + (st.tabrand() & waitmask);
    }
    for (; i < end; i++) this.pixel(chans, cur, -1, i);
    st.waitcnt = stopidx - end;
  }

  private row0(st: QuicState, chans: number[], offs: number[], cur: number): void {
    let pos = 0;
    let width = this.width;
    while (DEFWMIMAX > st.wmidx && st.wmileft <= width) {
      if (st.wmileft) {
        this.row0Seg(st, chans, offs, cur, pos, pos + st.wmileft, BPPMASK[st.wmidx]);
        pos += st.wmileft;
        width -= st.wmileft;
      }
      st.wmidx++;
      st.setWmTrigger();
      st.wmileft = DEFWMINEXT;
    }
    if (width) {
      this.row0Seg(st, chans, offs, cur, pos, pos + width, BPPMASK[st.wmidx]);
      if (DEFWMIMAX > st.wmidx) st.wmileft -= width;
    }
  }

  /** True when pixel i-1 equals pixel i above, and pixels i-2 and i-1 of this row are equal. */
  private runAhead(offs: number[], cur: number, prev: number, i: number): boolean {
    // Whole-pixel compares through a 32-bit view; the mask picks the channels of this pass.
    const o = this.out32;
    const mask = offs.length === 3 ? 0x00ffffff : 0xff000000;
    const c = (cur >> 2) + i;
    const q = (prev >> 2) + i;
    return ((o[q - 1] ^ o[q]) & mask) === 0 && ((o[c - 1] ^ o[c - 2]) & mask) === 0;
  }

  /** Decodes a run starting at pixel i; returns the index after it. */
  private doRun(st: QuicState, offs: number[], cur: number, i: number, end: number): number {
    const runEnd = i + this.decodeRun(st);
    if (runEnd > end) throw new SpiceProtocolError('QUIC: run length passes the end of the row');
    const out = this.out;
    for (; i < runEnd; i++) {
      const p = cur + i * 4;
      for (let k = 0; k < offs.length; k++) out[p + offs[k]] = out[p - 4 + offs[k]];
    }
    return i;
  }

  private rowSeg(st: QuicState, chans: number[], offs: number[], prev: number, cur: number, i: number, end: number): void {
    const waitmask = BPPMASK[st.wmidx];
    let runIndex = 0;
    let stopidx: number;
    if (i === 0) {
      this.firstPixel(st, chans, offs, cur, prev, waitmask);
      stopidx = ++i + st.waitcnt;
    } else stopidx = i + st.waitcnt;
    for (;;) {
      let ran = false;
      while (stopidx < end && !ran) {
        for (; i <= stopidx; i++) {
          if (runIndex !== i && i > 2 && this.runAhead(offs, cur, prev, i)) {
            st.waitcnt = stopidx - i;
            runIndex = i;
            i = this.doRun(st, offs, cur, i, end);
            if (i === end) return;
            stopidx = i + st.waitcnt;
            ran = true;
            break;
          }
          this.pixel(chans, cur, prev, i);
        }
        if (ran) break;
        this.updateAt(st, chans, stopidx);
        stopidx = i + (st.tabrand() & waitmask);
      }
      if (!ran) {
        for (; i < end; i++) {
          if (runIndex !== i && i > 2 && this.runAhead(offs, cur, prev, i)) {
            st.waitcnt = stopidx - i;
            runIndex = i;
            i = this.doRun(st, offs, cur, i, end);
            if (i === end) return;
            stopidx = i + st.waitcnt;
            ran = true;
            break;
          }
          this.pixel(chans, cur, prev, i);
        }
      }
      if (!ran) {
        st.waitcnt = stopidx - end;
        return;
      }
    }
  }

  private row(st: QuicState, chans: number[], offs: number[], prev: number, cur: number): void {
    let pos = 0;
    let width = this.width;
    while (DEFWMIMAX > st.wmidx && st.wmileft <= width) {
      if (st.wmileft) {
        this.rowSeg(st, chans, offs, prev, cur, pos, pos + st.wmileft);
        pos += st.wmileft;
        width -= st.wmileft;
      }
      st.wmidx++;
      st.setWmTrigger();
      st.wmileft = DEFWMINEXT;
    }
    if (width) {
      this.rowSeg(st, chans, offs, prev, cur, pos, pos + width);
      if (DEFWMIMAX > st.wmidx) st.wmileft -= width;
    }
  }
}
