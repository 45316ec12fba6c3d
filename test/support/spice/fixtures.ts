import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageDescriptor } from '../../../src/sources/spice/display/image-descriptor';
import { descriptorFromJson } from './image-capture';

/** test/support/spice/fixtures, from the compiled test's location. */
export const FIXTURE_DIR = join(__dirname, '..', '..', '..', '..', 'test', 'support', 'spice', 'fixtures');

export function loadFixture(name: string): { server: string; images: ImageDescriptor[] } {
  const json = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as { server: string; images: unknown[] };
  return { server: json.server, images: json.images.map(descriptorFromJson) };
}

/** The reference picture the fixtures show, as packed RGB. */
export async function loadPhoto(): Promise<{ width: number; height: number; rgb: Buffer }> {
  const { data, info } = await sharp(join(FIXTURE_DIR, 'photo-64x48.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: data };
}

/**
 * Where the reference picture sits exactly inside a decoded image (pixels 0xAARRGGBB), or
 * undefined when it appears nowhere.
 */
export function findPhoto(
  image: { width: number; height: number; stride: number; pixels: Uint32Array },
  photo: { width: number; height: number; rgb: Buffer },
): { x: number; y: number } | undefined {
  for (let dy = 0; dy + photo.height <= image.height; dy++) {
    for (let dx = 0; dx + photo.width <= image.width; dx++) {
      let same = true;
      for (let y = 0; y < photo.height && same; y++) {
        for (let x = 0; x < photo.width; x++) {
          const p = image.pixels[(dy + y) * image.stride + dx + x];
          const r = (y * photo.width + x) * 3;
          if (((p >> 16) & 255) !== photo.rgb[r] || ((p >> 8) & 255) !== photo.rgb[r + 1] || (p & 255) !== photo.rgb[r + 2]) {
            same = false;
            break;
          }
        }
      }
      if (same) return { x: dx, y: dy };
    }
  }
  return undefined;
}
