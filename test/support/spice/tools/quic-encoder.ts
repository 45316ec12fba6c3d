/**
 * A QUIC encoder for tests: spice-common's quic.c model (SFALIC with evol 3, PRED_1, RLE_PRED_2
 * and MELCODE runs) written from the reference, so that the image types no server here sends
 * (GRAY, RGB16) can be round-tripped through the decoder. It shares only the constant tables with
 * the decoder; the model and the bit writer are its own, mirroring the reference encoder.
 * Slow on purpose (plain code, one value at a time): it exists to be obviously right.
 */
import { QuicImageType } from '../../../../src/sources/spice/decoders/quic';
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
} from '../../../../src/sources/spice/decoders/quic-tables';

const QUIC_MAGIC = 0x43495551;
const QUIC_VERSION = 0;
const MELCSTATES = 32;

/**
 * The pixels to encode, one value per pixel, row after row:
 * GRAY: grey levels (Uint8Array); RGB16: 0555 values (Uint16Array);
 * RGB24 and RGB32: 0x00RRGGBB; RGBA: 0xAARRGGBB (Uint32Array).
 */
export interface QuicSource {
  type: number;
  width: number;
  height: number;
  pixels: Uint8Array | Uint16Array | Uint32Array;
}

/** MSB-first bits packed into 32-bit words, written little-endian (the decoder's reading order). */
class BitWriter {
  readonly words: number[] = [];
  private word = 0;
  private available = 32;

  put(value: number, length: number): void {
    if (length > 16) {
      this.put(value >>> 16, length - 16);
      this.put(value & 0xffff, 16);
      return;
    }
    const delta = this.available - length;
    if (delta >= 0) {
      this.available = delta;
      this.word = (this.word | (value << delta)) >>> 0;
      return;
    }
    this.word = (this.word | (value >>> -delta)) >>> 0;
    this.words.push(this.word);
    this.available = 32 + delta;
    this.word = (value << this.available) >>> 0;
  }

  ones(count: number): void {
    for (; count > 16; count -= 16) this.put(0xffff, 16);
    if (count > 0) this.put((1 << count) - 1, count);
  }

  /** The reference's flush: pad the current word, then a zero word the decoder's look-ahead reads. */
  finish(): Uint8Array {
    if (this.available > 0 && this.available !== 32) this.put(0, this.available);
    this.put(0, 32);
    this.put(0, 1);
    const out = new Uint8Array(this.words.length * 4);
    const view = new DataView(out.buffer);
    this.words.forEach((w, i) => view.setUint32(i * 4, w, true));
    return out;
  }
}

/** The reference's CommonState: model-update schedule and MELCODE state of one channel group. */
class State {
  waitcnt = 0;
  seed = 0xff;
  wmidx = 0;
  wmileft = DEFWMINEXT;
  trigger = BESTTRIGTAB[DEFEVOL >> 1][0];
  melcstate = 0;
  melclen = J[0];
  melcorder = 1 << J[0];

  tabrand(): number {
    this.seed = (this.seed + 1) & 0xff;
    return TABRAND_CHAOS[this.seed];
  }

  nextWaitMaskIndex(): void {
    this.wmidx++;
    this.trigger = BESTTRIGTAB[DEFEVOL >> 1][Math.min(this.wmidx, 10)];
    this.wmileft = DEFWMINEXT;
  }
}

/** One channel's adaptive model and its row of decorrelated values (index 0 is the reference's [-1]). */
class Channel {
  readonly bestcode: Uint8Array;
  readonly counters: Uint32Array;
  readonly corr: Uint8Array;

  constructor(
    readonly plane: Uint8Array,
    readonly bpc: number,
    readonly family: GolombFamily,
    readonly bucketOf: Uint8Array,
    buckets: number,
    width: number,
  ) {
    this.bestcode = new Uint8Array(buckets).fill(bpc - 1);
    this.counters = new Uint32Array(buckets * 8);
    this.corr = new Uint8Array(width + 1);
  }
}

function codeLength(family: GolombFamily, n: number, l: number): number {
  return n < family.nGRcodewords[l] ? (n >>> l) + l + 1 : family.notGRcwlen[l];
}

/** Unsigned residual -> the folded value the Golomb codes encode (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...). */
function foldTable(bpc: number): Uint8Array {
  const mask = BPPMASK[bpc];
  const table = new Uint8Array(mask + 1);
  for (let s = 0; s <= mask; s++) table[s] = s <= mask >> 1 ? s << 1 : ((mask - s) << 1) + 1;
  return table;
}

class Encoder {
  private readonly out = new BitWriter();

  constructor(private readonly width: number) {}

  header(type: number, height: number): void {
    for (const value of [QUIC_MAGIC, QUIC_VERSION, type, this.width, height]) this.out.put(value >>> 0, 32);
  }

  finish(): Uint8Array {
    return this.out.finish();
  }

  private code(ch: Channel, value: number, context: number): void {
    const l = ch.bestcode[ch.bucketOf[context]];
    if (value < ch.family.nGRcodewords[l]) this.out.put((1 << l) | (value & BPPMASK[l]), (value >>> l) + l + 1);
    else this.out.put(value - ch.family.nGRcodewords[l], ch.family.notGRcwlen[l]);
  }

  private updateModel(state: State, ch: Channel, context: number, value: number): void {
    const bucket = ch.bucketOf[context];
    const base = bucket * 8;
    let best = ch.bpc - 1;
    let bestLength = (ch.counters[base + best] += codeLength(ch.family, value, best));
    for (let i = ch.bpc - 2; i >= 0; i--) {
      const length = (ch.counters[base + i] += codeLength(ch.family, value, i));
      if (length < bestLength) {
        best = i;
        bestLength = length;
      }
    }
    ch.bestcode[bucket] = best;
    if (bestLength > state.trigger) for (let i = 0; i < ch.bpc; i++) ch.counters[base + i] >>>= 1;
  }

  /** UPDATE_MODEL(index): every channel of the group, keyed by the value before `index`. */
  private update(state: State, chans: Channel[], index: number): void {
    for (const ch of chans) this.updateModel(state, ch, ch.corr[index], ch.corr[index + 1]);
  }

  private run(state: State, length: number): void {
    let hits = 0;
    while (length >= state.melcorder) {
      hits++;
      length -= state.melcorder;
      if (state.melcstate < MELCSTATES) {
        state.melclen = J[++state.melcstate];
        state.melcorder = 1 << state.melclen;
      }
    }
    this.out.ones(hits);
    this.out.put(length, state.melclen + 1);
    if (state.melcstate) {
      state.melclen = J[--state.melcstate];
      state.melcorder = 1 << state.melclen;
    }
  }

  /** Encodes pixel i of row y for each channel: predicted from the left (row 0) or from (left + above) / 2. */
  private pixel(chans: Channel[], fold: Uint8Array, y: number, i: number): void {
    const W = this.width;
    for (const ch of chans) {
      const mask = BPPMASK[ch.bpc];
      const v = ch.plane[y * W + i];
      let predicted: number;
      if (i === 0) predicted = y === 0 ? 0 : ch.plane[(y - 1) * W];
      else if (y === 0) predicted = ch.plane[y * W + i - 1];
      else predicted = (ch.plane[y * W + i - 1] + ch.plane[(y - 1) * W + i]) >> 1;
      ch.corr[i + 1] = fold[(v - predicted) & mask];
      this.code(ch, ch.corr[i + 1], ch.corr[i]);
    }
  }

  private same(chans: Channel[], a: number, b: number): boolean {
    return chans.every((ch) => ch.plane[a] === ch.plane[b]);
  }

  /** compress_row0_seg and compress_row_seg in one: row 0 never runs. */
  private segment(state: State, chans: Channel[], fold: Uint8Array, y: number, i: number, end: number, waitmask: number): void {
    const W = this.width;
    const cur = y * W;
    const prev = (y - 1) * W;
    let runIndex = 0;
    let stopidx: number;
    if (i === 0) {
      this.pixel(chans, fold, y, 0);
      if (state.waitcnt) state.waitcnt--;
      else {
        state.waitcnt = state.tabrand() & waitmask;
        this.update(state, chans, 0);
      }
      stopidx = ++i + state.waitcnt;
    } else stopidx = i + state.waitcnt;
    // RLE_PRED_2: a run may start at i when the pixel above equals the one before it and the two
    // pixels before i on this row are equal.
    const runStarts = (at: number) =>
      y > 0 && this.same(chans, prev + at - 1, prev + at) && runIndex !== at && at > 2 && this.same(chans, cur + at - 1, cur + at - 2);
    for (;;) {
      let ran = false;
      outer: while (stopidx < end) {
        for (; i <= stopidx; i++) {
          if (runStarts(i)) {
            ran = true;
            break outer;
          }
          this.pixel(chans, fold, y, i);
        }
        this.update(state, chans, stopidx);
        stopidx = i + (state.tabrand() & waitmask);
      }
      if (!ran) {
        for (; i < end; i++) {
          if (runStarts(i)) {
            ran = true;
            break;
          }
          this.pixel(chans, fold, y, i);
        }
      }
      if (!ran) {
        state.waitcnt = stopidx - end;
        return;
      }
      runIndex = i;
      state.waitcnt = stopidx - i;
      let length = 0;
      while (this.same(chans, cur + i, cur + i - 1)) {
        length++;
        if (++i === end) {
          this.run(state, length);
          return;
        }
      }
      this.run(state, length);
      stopidx = i + state.waitcnt;
    }
  }

  /** One row of one channel group, split where the wait mask index steps up (compress_row). */
  row(state: State, chans: Channel[], fold: Uint8Array, y: number): void {
    for (const ch of chans) ch.corr[0] = y === 0 ? 0 : ch.corr[1];
    let pos = 0;
    let width = this.width;
    while (DEFWMIMAX > state.wmidx && state.wmileft <= width) {
      if (state.wmileft) {
        this.segment(state, chans, fold, y, pos, pos + state.wmileft, BPPMASK[state.wmidx]);
        width -= state.wmileft;
        pos += state.wmileft;
      }
      state.nextWaitMaskIndex();
    }
    if (width) {
      this.segment(state, chans, fold, y, pos, pos + width, BPPMASK[state.wmidx]);
      if (DEFWMIMAX > state.wmidx) state.wmileft -= width;
    }
  }
}

/** Splits the source into channel planes: [r, g, b] (+ alpha) or [grey]. */
function planes(source: QuicSource): { rgb: Uint8Array[]; one?: Uint8Array; bpc: number } {
  const { type, pixels } = source;
  const n = source.width * source.height;
  const plane = (f: (v: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(pixels[i]));
  switch (type) {
    case QuicImageType.GRAY:
      return { rgb: [], one: plane((v) => v & 0xff), bpc: 8 };
    case QuicImageType.RGB16:
      return { rgb: [plane((v) => (v >> 10) & 31), plane((v) => (v >> 5) & 31), plane((v) => v & 31)], bpc: 5 };
    case QuicImageType.RGB24:
    case QuicImageType.RGB32:
    case QuicImageType.RGBA: {
      const rgb = [plane((v) => (v >>> 16) & 255), plane((v) => (v >>> 8) & 255), plane((v) => v & 255)];
      return { rgb, one: type === QuicImageType.RGBA ? plane((v) => v >>> 24) : undefined, bpc: 8 };
    }
    default:
      throw new TypeError(`source.type ${type} is not a QUIC image type`);
  }
}

/** Encodes an image as a QUIC stream (the bytes of a SPICE QUIC image's data). */
export function encodeQuic(source: QuicSource): Uint8Array {
  const { width, height } = source;
  if (source.pixels.length !== width * height)
    throw new TypeError(`source.pixels holds ${source.pixels.length} values for ${width}x${height}`);
  const { rgb, one, bpc } = planes(source);
  const family = bpc === 5 ? FAMILY_5BPC : FAMILY_8BPC;
  const buckets = bpc === 5 ? BUCKETS_5BPC : BUCKETS_8BPC;
  const fold = foldTable(bpc);
  const channel = (p: Uint8Array) => new Channel(p, bpc, family, buckets.bucketOf, buckets.count, width);
  const rgbChans = rgb.map(channel);
  const oneChans = one ? [channel(one)] : [];
  const rgbState = new State();
  const oneState = new State();
  const encoder = new Encoder(width);
  encoder.header(source.type, height);
  for (let y = 0; y < height; y++) {
    if (rgbChans.length) encoder.row(rgbState, rgbChans, fold, y);
    if (oneChans.length) encoder.row(oneState, oneChans, fold, y);
  }
  return encoder.finish();
}
