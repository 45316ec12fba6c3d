/** The frame transform done by libvips through sharp: rotate, then resize, then swap R and B if needed. */
import sharp from 'sharp';
import type { Picture } from './picture';
import type { RenderTarget } from './render-target';

/** Swaps the first and third channel and keeps the second and alpha: RGBA <-> BGRA. */
const SWAP_RED_BLUE: sharp.Matrix4x4 = [
  [0, 0, 1, 0],
  [0, 1, 0, 0],
  [1, 0, 0, 0],
  [0, 0, 0, 1],
];

/** Ignores `into`: sharp hands back a buffer of its own. */
export async function sharpTransform(frame: Picture, target: RenderTarget, _into?: Buffer): Promise<Buffer> {
  let image = sharp(frame.pixels, { raw: { width: frame.width, height: frame.height, channels: 4 } });
  if (target.rotation !== 0) image = image.rotate(target.rotation);
  const rotatedSize =
    target.rotation === 90 || target.rotation === 270
      ? { width: frame.height, height: frame.width }
      : { width: frame.width, height: frame.height };
  if (rotatedSize.width !== target.width || rotatedSize.height !== target.height) {
    image = image.resize(target.width, target.height, {
      fit: target.scaleMode === 'stretch' ? 'fill' : 'contain',
      background: { r: 0, g: 0, b: 0, alpha: 1 },
      // Lanczos keeps screen text legible when shrinking.
      kernel: 'lanczos3',
    });
  }
  if (target.format !== frame.format) image = image.recomb(SWAP_RED_BLUE);
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== target.width || info.height !== target.height || info.channels !== 4) {
    throw new Error(`render produced ${info.width}x${info.height}x${info.channels}, expected ${target.width}x${target.height}x4`);
  }
  return data;
}
