import sharp from 'sharp';
import type { PointerState } from '../../../src/core/pointer';
import { run } from './processes';

/**
 * Reported shape blended onto the pointer-free root against x11grab's frame: x11grab blends the
 * X server's premultiplied image (c + d * (255 - a) / 255, rounded); the source un-premultiplies
 * (rounded, an error of at most 0.5 * a / 255 after re-multiplying) and the composite blends
 * straight alpha (rounded): at most 0.5 + 0.5 + 0.5 apart, so 2 levels per channel.
 */
export const BLEND_TOLERANCE = 2;

/** A packed RGBA image. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Buffer;
}

/**
 * One frame of an X display as ffmpeg's x11grab takes it with `-draw_mouse 1`: the root window
 * with the X server's own cursor image (XFixes) blended on top, as the pointer looks on screen.
 */
export async function grabWithPointer(env: NodeJS.ProcessEnv, displayName: string, width: number, height: number): Promise<RgbaImage> {
  const rgba = await run(
    'ffmpeg',
    [
      '-loglevel',
      'error',
      '-f',
      'x11grab',
      '-draw_mouse',
      '1',
      '-video_size',
      `${width}x${height}`,
      '-i',
      displayName,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgba',
      '-',
    ],
    { env },
  );
  if (rgba.length !== width * height * 4) throw new Error(`x11grab gave ${rgba.length} bytes for ${width}x${height}`);
  return { width, height, rgba };
}

/**
 * `background` with the reported pointer drawn on it: its straight-alpha shape blended at its
 * hot spot's position, each channel rounded to the nearest integer.
 */
export function compositePointer(background: RgbaImage, pointer: PointerState): RgbaImage {
  const out = Buffer.from(background.rgba);
  const shape = pointer.shape!;
  const left = pointer.x - shape.hotX;
  const top = pointer.y - shape.hotY;
  for (let y = 0; y < shape.height; y++) {
    for (let x = 0; x < shape.width; x++) {
      const dx = left + x;
      const dy = top + y;
      if (dx < 0 || dy < 0 || dx >= background.width || dy >= background.height) continue;
      const s = (y * shape.width + x) * 4;
      const d = (dy * background.width + dx) * 4;
      const a = shape.rgba[s + 3];
      for (let c = 0; c < 3; c++) out[d + c] = Math.round((shape.rgba[s + c] * a + out[d + c] * (255 - a)) / 255);
    }
  }
  return { width: background.width, height: background.height, rgba: out };
}

/** The largest colour-channel difference between two images within a square around (cx, cy), and where. */
export function largestDifference(a: RgbaImage, b: RgbaImage, cx: number, cy: number, radius: number): { value: number; at: string } {
  let value = 0;
  let at = 'nowhere';
  for (let y = Math.max(0, cy - radius); y < Math.min(a.height, cy + radius); y++) {
    for (let x = Math.max(0, cx - radius); x < Math.min(a.width, cx + radius); x++) {
      const i = (y * a.width + x) * 4;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(a.rgba[i + c] - b.rgba[i + c]);
        if (d > value) {
          value = d;
          at = `(${x},${y}) channel ${c}: ${a.rgba.subarray(i, i + 3).join(',')} vs ${b.rgba.subarray(i, i + 3).join(',')}`;
        }
      }
    }
  }
  return { value, at };
}

/** A bgra8 surface's pixels as packed RGBA, for comparing with the images above. */
export function surfaceToRgba(surface: { width: number; height: number; stride: number; pixels: Buffer }): RgbaImage {
  const rgba = Buffer.alloc(surface.width * surface.height * 4);
  for (let y = 0; y < surface.height; y++) {
    for (let x = 0; x < surface.width; x++) {
      const s = y * surface.stride + x * 4;
      const d = (y * surface.width + x) * 4;
      rgba[d] = surface.pixels[s + 2];
      rgba[d + 1] = surface.pixels[s + 1];
      rgba[d + 2] = surface.pixels[s];
      rgba[d + 3] = 255;
    }
  }
  return { width: surface.width, height: surface.height, rgba };
}

/**
 * `image` halved and then turned clockwise by sharp, as the server's native transform shrinks by
 * exactly 2: each output pixel the rounded mean of a 2x2 block (libyuv's box filter). libvips has
 * no box shrink of its own for this (its resize kernels reach further), so: a 2x2 mean by
 * convolution, anchored so that the pixel nearest-neighbour resizing keeps of each block (its
 * lower right, at a 2:1 shrink) holds that block's mean. Both are a rounding of the same exact
 * mean, so they differ by at most 1 per channel.
 */
export async function halvedAndRotatedBySharp(image: RgbaImage, rotation: 0 | 90 | 180 | 270): Promise<RgbaImage> {
  const raw = (width: number, height: number) => ({ raw: { width, height, channels: 4 as const } });
  const { width, height } = image;
  const means = await sharp(image.rgba, raw(width, height))
    .convolve({ width: 3, height: 3, kernel: [1, 1, 0, 1, 1, 0, 0, 0, 0], scale: 4 })
    .raw()
    .toBuffer();
  // Separate passes: within one, sharp would rotate before resizing and convolve after it.
  const halved = await sharp(means, raw(width, height))
    .resize(width / 2, height / 2, { kernel: 'nearest' })
    .raw()
    .toBuffer();
  const { data, info } = await sharp(halved, raw(width / 2, height / 2))
    .rotate(rotation)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgba: data };
}
