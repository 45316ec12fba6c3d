/**
 * The per-pixel loops of LZ and GLZ in JavaScript: what decodes them when the native addon is
 * not built (lz-native.ts has the addon's, byte for byte the same).
 */
import { copyLiterals, copyMatch, type LzPasses, Pass, truncated } from './lz-common';

const MAX_DISTANCE = 8191;

/**
 * One LZ pass over `count` pixels of `out` (32-bit), reading from `ip`. Returns the new input
 * position. Alpha passes copy only the alpha byte of referenced pixels.
 */
function decompressPixels(data: Uint8Array, ip: number, out: Uint32Array, count: number, pass: Pass): number {
  const end = data.length;
  const lenBias = pass === Pass.Alpha ? 3 : pass === Pass.Rgb16 ? 2 : 1;
  let op = 0;
  if (ip >= end) throw truncated('LZ');
  let ctrl = data[ip++];
  for (;;) {
    if (ctrl >= 32) {
      ip = readMatch(data, ip, ctrl);
      const len = MATCH[0] + lenBias;
      const ref = op - MATCH[1];
      if (ref < 0 || op + len > count) throw truncated('LZ');
      copyMatch(out, ref, out, op, len, pass);
      op += len;
    } else {
      const n = ctrl + 1;
      if (op + n > count) throw truncated('LZ');
      ip = copyLiterals(data, ip, out, op, n, pass, 'LZ');
      op += n;
    }
    if (op >= count) return ip;
    if (ip >= end) throw truncated('LZ');
    ctrl = data[ip++];
  }
}

/** The last match read: [length before bias, distance]. A scratch array avoids an allocation per match. */
const MATCH = new Int32Array(2);

/** Reads a match's length and distance after its control byte; returns the new input position. */
function readMatch(data: Uint8Array, ip: number, ctrl: number): number {
  const end = data.length;
  let len = (ctrl >> 5) - 1;
  let ofs = (ctrl & 31) << 8;
  if (len === 6) {
    let code;
    do {
      if (ip >= end) throw truncated('LZ');
      code = data[ip++];
      len += code;
    } while (code === 255);
  }
  if (ip >= end) throw truncated('LZ');
  const code = data[ip++];
  ofs += code;
  if (code === 255 && ofs - code === 31 << 8) {
    if (ip + 2 > end) throw truncated('LZ');
    ofs = (data[ip] << 8) + data[ip + 1] + MAX_DISTANCE;
    ip += 2;
  }
  MATCH[0] = len;
  MATCH[1] = ofs + 1;
  return ip;
}

/** The byte-unit variant for palette images and A8: decompresses `count` bytes into `out`. */
function decompressBytes(data: Uint8Array, ip: number, out: Uint8Array, count: number): number {
  const end = data.length;
  let op = 0;
  if (ip >= end) throw truncated('LZ');
  let ctrl = data[ip++];
  for (;;) {
    if (ctrl >= 32) {
      ip = readMatch(data, ip, ctrl);
      let len = MATCH[0] + 3;
      let ref = op - MATCH[1];
      if (ref < 0 || op + len > count) throw truncated('LZ');
      for (; len > 0; len--) out[op++] = out[ref++];
    } else {
      const n = ctrl + 1;
      if (op + n > count || ip + n > end) throw truncated('LZ');
      out.set(data.subarray(ip, ip + n), op);
      ip += n;
      op += n;
    }
    if (op >= count) return ip;
    if (ip >= end) throw truncated('LZ');
    ctrl = data[ip++];
  }
}

/** One GLZ pass (spice-gtk decode-glz.c); returns the new input position. */
function glzPass(
  data: Uint8Array,
  ip: number,
  out: Uint32Array,
  count: number,
  pass: Pass,
  image: (distance: number) => Uint32Array,
): number {
  const end = data.length;
  const lenBias = pass === Pass.Alpha ? 2 : pass === Pass.Rgb16 ? 1 : 0;
  let op = 0;
  if (ip >= end) throw truncated('GLZ');
  let ctrl = data[ip++];
  for (;;) {
    if (ctrl >= 32) {
      let len = ctrl >> 5;
      let pixelFlag = (ctrl >> 4) & 1;
      let pixelOfs = ctrl & 0x0f;
      if (len === 7) {
        let code;
        do {
          if (ip >= end) throw truncated('GLZ');
          code = data[ip++];
          len += code;
        } while (code === 255);
      }
      if (ip + 2 > end) throw truncated('GLZ');
      pixelOfs += data[ip++] << 4;
      let code = data[ip++];
      const imageFlag = (code >> 6) & 3;
      let imageDist: number;
      if (!pixelFlag) {
        imageDist = code & 0x3f;
        if (ip + imageFlag > end) throw truncated('GLZ');
        for (let i = 0; i < imageFlag; i++) imageDist += data[ip++] * 2 ** (6 + 8 * i);
      } else {
        pixelFlag = (code >> 5) & 1;
        pixelOfs += (code & 0x1f) << 12;
        imageDist = 0;
        if (ip + imageFlag + pixelFlag > end) throw truncated('GLZ');
        for (let i = 0; i < imageFlag; i++) imageDist += data[ip++] * 2 ** (8 * i);
        if (pixelFlag) {
          code = data[ip++];
          pixelOfs += code * 2 ** 17;
        }
      }
      len += lenBias;
      if (op + len > count) throw truncated('GLZ');
      // Distance 0 is this image (offset biased by 1); otherwise an earlier image of the window.
      const src = imageDist === 0 ? out : image(imageDist);
      const ref = imageDist === 0 ? op - (pixelOfs + 1) : pixelOfs;
      if (ref < 0 || (src !== out && ref + len > src.length)) throw truncated('GLZ');
      copyMatch(src, ref, out, op, len, pass);
      op += len;
    } else {
      const n = ctrl + 1;
      if (op + n > count) throw truncated('GLZ');
      ip = copyLiterals(data, ip, out, op, n, pass, 'GLZ');
      op += n;
    }
    if (op >= count) return ip;
    if (ip >= end) throw truncated('GLZ');
    ctrl = data[ip++];
  }
}

export const JAVASCRIPT_LZ_PASSES: LzPasses = {
  pixels: decompressPixels,
  bytes: decompressBytes,
  glz: glzPass,
};
