/**
 * A colour chart for checking that video carries a screen's colours: flat patches of the
 * primaries, secondaries, white, black, mid grey and two everyday colours, each large enough that
 * its centre is far from the 4:2:0 chroma edges; and the check that a decoded picture's patch
 * centres match.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { StillImage } from '../../src/sources';

export interface ColourPatch {
  name: string;
  rgb: [number, number, number];
}

export const CHART_PATCHES: readonly ColourPatch[] = [
  { name: 'red #FF0000', rgb: [255, 0, 0] },
  { name: 'green #00FF00', rgb: [0, 255, 0] },
  { name: 'blue #0000FF', rgb: [0, 0, 255] },
  { name: 'cyan #00FFFF', rgb: [0, 255, 255] },
  { name: 'magenta #FF00FF', rgb: [255, 0, 255] },
  { name: 'yellow #FFFF00', rgb: [255, 255, 0] },
  { name: 'white #FFFFFF', rgb: [255, 255, 255] },
  { name: 'black #000000', rgb: [0, 0, 0] },
  { name: 'mid grey #808080', rgb: [128, 128, 128] },
  { name: 'teal #2A9D8F', rgb: [42, 157, 143] },
  { name: 'coral #E76F51', rgb: [231, 111, 81] },
];

/** Four columns by three rows; the twelfth cell is left black like the background. */
const COLUMNS = 4;
const ROWS = 3;
/** Half the side of the square averaged around each centre: a few pixels, far inside the patch. */
const SAMPLE_RADIUS = 2;

/** A decoded picture's patch colours, in CHART_PATCHES order. */
export type PatchColours = Array<[number, number, number]>;

/** Levels per channel a patch centre may be off after 4:2:0 H.264 and back. */
export const CHART_TOLERANCE = 6;

/**
 * The sizes the colour tests run at: HD, where Chromium takes untagged video for BT.709, and
 * below it, where it takes it for BT.601.
 */
export const CHART_SIZES: readonly { width: number; height: number }[] = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
];

/** The centre of each patch, in CHART_PATCHES order. */
export function patchCentres(width: number, height: number): Array<{ x: number; y: number }> {
  return CHART_PATCHES.map((_patch, index) => ({
    x: Math.floor(((index % COLUMNS) + 0.5) * (width / COLUMNS)),
    y: Math.floor((Math.floor(index / COLUMNS) + 0.5) * (height / ROWS)),
  }));
}

export function colourChart(width: number, height: number): StillImage {
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = Math.floor((y * ROWS) / height) * COLUMNS + Math.floor((x * COLUMNS) / width);
      const rgb = CHART_PATCHES[index]?.rgb ?? [0, 0, 0];
      pixels.set([...rgb, 255], (y * width + x) * 4);
    }
  }
  return { width, height, format: 'rgba8', pixels };
}

/** The mean colour of the (2r+1)-pixel square centred on (x, y) of a packed RGB or RGBA picture. */
function squareMean(pixels: ArrayLike<number>, width: number, channels: 3 | 4, x: number, y: number): [number, number, number] {
  const sum = [0, 0, 0];
  let count = 0;
  for (let dy = -SAMPLE_RADIUS; dy <= SAMPLE_RADIUS; dy++) {
    for (let dx = -SAMPLE_RADIUS; dx <= SAMPLE_RADIUS; dx++) {
      const i = ((y + dy) * width + x + dx) * channels;
      for (let c = 0; c < 3; c++) sum[c] += pixels[i + c];
      count++;
    }
  }
  return sum.map((value) => Math.round(value / count)) as [number, number, number];
}

/** Each patch's colour in a whole packed RGB or RGBA picture. */
export function patchColours(pixels: ArrayLike<number>, width: number, height: number, channels: 3 | 4): PatchColours {
  return patchCentres(width, height).map(({ x, y }) => squareMean(pixels, width, channels, x, y));
}

/**
 * Draws the <video> matched by `selector` into a canvas at its own size and reads the patch
 * colours back, as a page script would see the picture. Only the squares around the centres
 * leave the page.
 */
export async function videoPatchColours(page: Page, selector: string): Promise<PatchColours> {
  const size = await page.evaluate((query) => {
    const video = document.querySelector(query) as HTMLVideoElement;
    return { width: video.videoWidth, height: video.videoHeight };
  }, selector);
  const side = 2 * SAMPLE_RADIUS + 1;
  const squares = await page.evaluate(
    ({ query, corners, side }) => {
      const video = document.querySelector(query) as HTMLVideoElement;
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const context = canvas.getContext('2d', { willReadFrequently: true })!;
      context.drawImage(video, 0, 0);
      return corners.map(({ x, y }) => Array.from(context.getImageData(x, y, side, side).data));
    },
    {
      query: selector,
      corners: patchCentres(size.width, size.height).map(({ x, y }) => ({ x: x - SAMPLE_RADIUS, y: y - SAMPLE_RADIUS })),
      side,
    },
  );
  return squares.map((square) => squareMean(square, side, 4, SAMPLE_RADIUS, SAMPLE_RADIUS));
}

/** Every patch within `tolerance` levels in each channel, or one failure listing all of them. */
export function assertChartColours(colours: PatchColours, tolerance: number, what: string): void {
  const lines = CHART_PATCHES.map((patch, index) => {
    const actual = colours[index];
    const off = Math.max(...actual.map((value, c) => Math.abs(value - patch.rgb[c])));
    return { off, text: `${patch.name}: (${actual.join(', ')}), off by ${off}` };
  });
  const worst = Math.max(...lines.map((line) => line.off));
  assert.ok(
    worst <= tolerance,
    `${what}: patch colours off by up to ${worst} levels (at most ${tolerance} allowed):\n  ${lines.map((line) => line.text).join('\n  ')}`,
  );
}
