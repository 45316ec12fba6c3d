import type { Surface } from '../../../src/sources/display-source';

/**
 * Pixels whose colour differs between a bgra8 surface and packed RGBA bytes of the same size
 * (RGB with `channels` 3, as a PPM screendump).
 */
export function countDifferences(surface: Surface, rgba: Buffer, width: number, height: number, channels = 4): number {
  if (surface.width !== width || surface.height !== height) return width * height;
  let diff = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = y * surface.stride + x * 4;
      const r = (y * width + x) * channels;
      if (surface.pixels[s] !== rgba[r + 2] || surface.pixels[s + 1] !== rgba[r + 1] || surface.pixels[s + 2] !== rgba[r]) diff++;
    }
  }
  return diff;
}

/** A part of an image, in pixels. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `region` of packed RGBA bytes `width` pixels wide, as packed RGBA bytes of its own. */
export function cropRgba(rgba: Buffer, width: number, region: Region): Buffer {
  const rows: Buffer[] = [];
  for (let y = region.y; y < region.y + region.height; y++) {
    const start = (y * width + region.x) * 4;
    rows.push(rgba.subarray(start, start + region.width * 4));
  }
  return Buffer.concat(rows);
}

/**
 * PSNR in dB over the colour channels of a bgra8 surface against packed RGB(A) bytes of the same
 * size, over the whole image or only `region` of it.
 */
export function psnr(surface: Surface, pixels: Buffer, width: number, height: number, channels = 4, region?: Region): number {
  if (surface.width !== width || surface.height !== height) return 0;
  const { x: rx, y: ry, width: rw, height: rh } = region ?? { x: 0, y: 0, width, height };
  let sum = 0;
  for (let y = ry; y < ry + rh; y++) {
    for (let x = rx; x < rx + rw; x++) {
      const s = y * surface.stride + x * 4;
      const r = (y * width + x) * channels;
      const dr = surface.pixels[s + 2] - pixels[r];
      const dg = surface.pixels[s + 1] - pixels[r + 1];
      const db = surface.pixels[s] - pixels[r + 2];
      sum += dr * dr + dg * dg + db * db;
    }
  }
  const mse = sum / (rw * rh * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Every alpha byte of a surface is 255 (display surfaces are opaque). */
export function allOpaque(surface: Surface): boolean {
  for (let y = 0; y < surface.height; y++) {
    for (let x = 0; x < surface.width; x++) if (surface.pixels[y * surface.stride + x * 4 + 3] !== 255) return false;
  }
  return true;
}

/** Where the differences are, for failure messages: bounding box and a few samples. */
export function describeDifferences(surface: Surface, rgba: Buffer, width: number, height: number): string {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1;
  const samples: string[] = [];
  for (let y = 0; y < Math.min(height, surface.height); y++) {
    for (let x = 0; x < Math.min(width, surface.width); x++) {
      const s = y * surface.stride + x * 4;
      const r = (y * width + x) * 4;
      const ours = [surface.pixels[s + 2], surface.pixels[s + 1], surface.pixels[s]];
      const theirs = [rgba[r], rgba[r + 1], rgba[r + 2]];
      if (ours[0] !== theirs[0] || ours[1] !== theirs[1] || ours[2] !== theirs[2]) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
        if (samples.length < 5) samples.push(`(${x},${y}) ours ${ours} xwd ${theirs}`);
      }
    }
  }
  return x1 < 0 ? 'no differences' : `differences within x ${x0}..${x1}, y ${y0}..${y1}; ${samples.join('; ')}`;
}
