/**
 * Loads the native addon, native/build/Release/screencap_native.node (H.264 with openh264,
 * pixel transforms with libyuv), built by scripts/build-native.sh during `npm install`.
 *
 * The addon is optional: on a machine without openh264 or libyuv the install skips it, and
 * callers ask `nativeAddonStatus()` before choosing a code path (the recorder falls back to PNG).
 * SCREENCAP_NATIVE_ADDON, when set, names the .node file to load instead.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { ConvertRows } from './convert-rows-signature';
import type { PixelFormat } from '../core/pixel-format';

/** Draws straight-alpha RGBA rows over opaque 4-byte rows; see src/render/pointer-blend.ts. */
export type BlendPointer = (
  dst: ArrayBufferView,
  dstOffset: number,
  dstStride: number,
  src: ArrayBufferView,
  srcOffset: number,
  srcStride: number,
  width: number,
  height: number,
  swapRedBlue: boolean,
) => void;

/** What the addon's encode() resolves to: NAL units back to back without start codes. */
export interface NativeEncodeResult {
  data: Buffer;
  /** The byte length of each NAL unit in `data`, in order. */
  nalSizes: number[];
  frameType: 'idr' | 'i' | 'p' | 'skip';
  convertMicros: number;
  encodeMicros: number;
}

/** The addon's encoder options: every field present (the wrapper fills in defaults). */
export interface NativeEncoderOptions {
  width: number;
  height: number;
  usage: 'screen' | 'camera';
  rateControl: 'bitrate' | 'quality';
  bitrateBps: number;
  maxFrameRate: number;
  keyframeIntervalFrames: number;
  threads: number;
  frameSkip: boolean;
}

export interface NativeH264Encoder {
  /** `pixels` null: the previous picture again. `sharp`: at a fixed low quantiser, rate control off. */
  encode(
    pixels: Buffer | null,
    format: PixelFormat,
    stride: number,
    forceKeyframe: boolean,
    timestampMs: number,
    sharp?: boolean,
  ): Promise<NativeEncodeResult>;
  close(): void;
}

/** One video stream's decoder; see native/src/video-decoder.h. */
export interface NativeVideoDecoder {
  /** On a worker thread. true: `pixels` holds the frame; false: the frame showed no picture; a string: why it is corrupt. */
  decode(
    data: Uint8Array,
    width: number,
    height: number,
    pixels: Uint32Array,
    bottomUp: boolean,
    matrix: 'bt601' | 'bt709',
  ): Promise<boolean | string>;
  close(): void;
}

/** One transform's arguments, as transform() in image-transform.ts takes them (fit as a boolean, regions packed). */
export type NativeTransformArguments = [
  src: Buffer,
  srcWidth: number,
  srcHeight: number,
  srcStride: number,
  srcFormat: PixelFormat,
  dstWidth: number,
  dstHeight: number,
  rotation: number,
  dstFormat: PixelFormat,
  fit: boolean,
  into: Buffer | undefined,
  regions: Int32Array | undefined,
];

export interface NativeAddon {
  H264Encoder: new (options: NativeEncoderOptions) => NativeH264Encoder;
  /**
   * The tasks on `threads` (default 1, at most 4) of libuv's pool, each thread taking the next task
   * not yet taken: onImage gets each image as it is written (in the order asked on one thread),
   * and the promise settles after the last; see native/src/transform-worker.h.
   */
  transform(tasks: readonly NativeTransformArguments[], onImage: (index: number, image: Buffer) => void, threads?: number): Promise<void>;
  /** One task on the calling thread, synchronously: its image; see native/src/transform-worker.h. */
  transformNow(task: NativeTransformArguments): Buffer;
  /** Synchronous; see convertRows in image-transform.ts. */
  convertRows: ConvertRows;
  /** Synchronous; see blendPointer in src/render/pointer-blend.ts. */
  blendPointer: BlendPointer;
  /** Synchronous; see native/src/quic-decoder.h. Undefined when decoded, else why the data is corrupt. */
  decodeQuic(data: Uint8Array, pixels: Uint32Array): string | undefined;
  /**
   * LZ and GLZ passes: the next input position, or -1 when the data ends early or refers outside
   * the image; see native/src/lz-decoder.h.
   */
  decodeLzPass(data: Uint8Array, start: number, out: Uint32Array, count: number, pass: number): number;
  decodeLzBytes(data: Uint8Array, start: number, out: Uint8Array, count: number): number;
  decodeGlzPass(
    data: Uint8Array,
    start: number,
    out: Uint32Array,
    count: number,
    pass: number,
    image: (distance: number) => Uint32Array,
  ): number;
  /**
   * SPICE's LZ4 blocks from data[start] into out: the bytes written, or why the data is corrupt;
   * see native/src/lz4-decoder.h. Absent from an addon built before it existed.
   */
  decodeLz4?(data: Uint8Array, start: number, out: Uint8Array): number | string;
  /**
   * Palette-index or alpha rows widened into pixels; see native/src/indexed-rows.h. Absent from
   * an addon built before it existed.
   */
  expandIndexedRows?(
    kind: string,
    data: Uint8Array,
    stride: number,
    width: number,
    height: number,
    palette: Uint32Array,
    wrapIndexes: boolean,
    out: Uint32Array,
  ): void;
  /** Absent from an addon built before it existed. */
  VideoDecoder?: new (
    codec: 'h264' | 'vp8',
  ) => NativeVideoDecoder;
}

export type NativeAddonStatus = { available: true } | { available: false; reason: string };

const ADDON_FILE = path.join('native', 'build', 'Release', 'screencap_native.node');
/** Enough to climb from dist/src/codec (compiled) or src/codec (ts-node) to the package root. */
const MAX_LEVELS_UP = 6;

function packageRoot(): string | undefined {
  let dir = __dirname;
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    if (fs.existsSync(path.join(dir, 'native', 'binding.gyp'))) return dir;
    dir = path.dirname(dir);
  }
  return undefined;
}

function addonPath(): string | undefined {
  const override = process.env.SCREENCAP_NATIVE_ADDON;
  if (override !== undefined && override !== '') return path.resolve(override);
  const root = packageRoot();
  return root === undefined ? undefined : path.join(root, ADDON_FILE);
}

let loaded: { addon: NativeAddon } | { error: string } | undefined;

function load(): { addon: NativeAddon } | { error: string } {
  if (loaded !== undefined) return loaded;
  const file = addonPath();
  const howToBuild =
    'build it with `bash scripts/build-native.sh` (needs pkg-config, libopenh264-dev, libavcodec-dev, libvpx-dev and libyuv-dev)';
  if (file === undefined) {
    loaded = { error: `screencap native addon not found: no native/binding.gyp above ${__dirname}` };
  } else if (!fs.existsSync(file)) {
    loaded = { error: `screencap native addon not built: ${file} is missing; ${howToBuild}` };
  } else {
    try {
      loaded = { addon: require(file) as NativeAddon };
    } catch (cause) {
      // Typically a shared library gone missing since the build (libopenh264 removed).
      const message = cause instanceof Error ? cause.message : String(cause);
      loaded = { error: `screencap native addon ${file} failed to load: ${message}; ${howToBuild}` };
    }
  }
  return loaded;
}

/** Whether the addon can be used, and if not, why (for a log line). Loads it on first call. */
export function nativeAddonStatus(): NativeAddonStatus {
  const result = load();
  return 'addon' in result ? { available: true } : { available: false, reason: result.error };
}

/** The addon; throws an Error saying why and how to build it when it is not there. */
export function loadNativeAddon(): NativeAddon {
  const result = load();
  if ('error' in result) throw new Error(result.error);
  return result.addon;
}
