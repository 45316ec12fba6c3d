/**
 * The per-pixel loops of LZ and GLZ in the native addon (native/src/lz-decoder.cc), byte for byte
 * what lz-javascript.ts does, several times faster: a text-heavy or flat full-screen redraw is
 * thousands of GLZ images a second.
 */
import { loadNativeAddon, nativeAddonStatus } from '../../../codec/native-addon';
import { type LzPasses, type Pass, truncated } from './lz-common';
import { JAVASCRIPT_LZ_PASSES } from './lz-javascript';

/** The addon's answer when the data ends early or a match refers outside the image. */
const TRUNCATED = -1;

function checked(next: number, what: string): number {
  if (next === TRUNCATED) throw truncated(what);
  return next;
}

export const NATIVE_LZ_PASSES: LzPasses = {
  pixels: (data, ip, out, count, pass: Pass) => checked(loadNativeAddon().decodeLzPass(data, ip, out, count, pass), 'LZ'),
  bytes: (data, ip, out, count) => checked(loadNativeAddon().decodeLzBytes(data, ip, out, count), 'LZ'),
  glz: (data, ip, out, count, pass, image) => checked(loadNativeAddon().decodeGlzPass(data, ip, out, count, pass, image), 'GLZ'),
};

let chosen: LzPasses | undefined;

/** The native passes when the addon is there (and has them), the JavaScript ones otherwise. */
export function defaultLzPasses(): LzPasses {
  chosen ??=
    nativeAddonStatus().available && typeof loadNativeAddon().decodeLzPass === 'function' ? NATIVE_LZ_PASSES : JAVASCRIPT_LZ_PASSES;
  return chosen;
}
