/** Test images and a reference implementation of rotation, computed pixel by pixel (tests only). */
import type { StillImage } from '../../src/sources';

export function solidImage(width: number, height: number, rgb: [number, number, number]): StillImage {
  const pixels = Buffer.alloc(width * height * 4);
  pixels.fill(Buffer.from([...rgb, 255]));
  return { width, height, format: 'rgba8', pixels };
}

/** Every pixel different: R = x, G = y, B = (x * 7 + y * 13) & 255. */
export function patternImage(width: number, height: number): StillImage {
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      pixels[i] = x & 255;
      pixels[i + 1] = y & 255;
      pixels[i + 2] = (x * 7 + y * 13) & 255;
      pixels[i + 3] = 255;
    }
  }
  return { width, height, format: 'rgba8', pixels };
}

/** Four solid quadrants: red, green / blue, white. */
export function quadrantImage(width: number, height: number): StillImage {
  const pixels = Buffer.alloc(width * height * 4);
  const colors = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 255],
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colors[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)];
      pixels.set([...c, 255], (y * width + x) * 4);
    }
  }
  return { width, height, format: 'rgba8', pixels };
}

/** Clockwise rotation by the book: the pixel at (x, y) of the source lands at ... */
export function rotateReference(image: StillImage, degrees: 0 | 90 | 180 | 270): Buffer {
  const { width: w, height: h } = image;
  const out = Buffer.alloc(w * h * 4);
  const outWidth = degrees === 90 || degrees === 270 ? h : w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let ox: number, oy: number;
      if (degrees === 0) [ox, oy] = [x, y];
      else if (degrees === 90) [ox, oy] = [h - 1 - y, x];
      else if (degrees === 180) [ox, oy] = [w - 1 - x, h - 1 - y];
      else [ox, oy] = [y, w - 1 - x];
      image.pixels.copy(out, (oy * outWidth + ox) * 4, (y * w + x) * 4, (y * w + x) * 4 + 4);
    }
  }
  return out;
}

export function swapRedBlue(pixels: Buffer): Buffer {
  const out = Buffer.from(pixels);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = pixels[i + 2];
    out[i + 2] = pixels[i];
  }
  return out;
}

export function pixelAt(pixels: Buffer, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 4;
  return [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
}
