/**
 * The built-in desktop's pointer shapes (arrow, I-beam, hand), drawn as SVG and rendered once
 * per size by sharp, like the rest of its artwork. They are reported to the scheduler as pointer
 * shapes, never drawn into the surface.
 */
import type { PointerShape } from '../display-source';
import { rasteriseSvg } from './svg-raster';

export interface PointerShapes {
  readonly arrow: PointerShape;
  readonly ibeam: PointerShape;
  readonly hand: PointerShape;
}

/** Shape ids are unique in the process: a new size's shapes are new images. */
let lastShapeId = 0;

/** The pointer's side for a display `displayHeight` pixels high: 24 at 1080, at least 16. */
export function pointerSide(displayHeight: number): number {
  return Math.max(16, Math.round(displayHeight / 45));
}

// Drawn on a 24-unit grid, scaled to the side; outlines keep them visible on any background.
const ARROW = `<path d="M1 1 L1 19 L5.5 14.8 L8.6 22 L11.6 20.7 L8.6 13.6 L14.6 13.6 Z" fill="#ffffff" stroke="#000000" stroke-width="1.2" stroke-linejoin="round"/>`;
const IBEAM = `<path d="M8 2 H16 M12 2 V22 M8 22 H16" fill="none" stroke="#000000" stroke-width="3.2" stroke-linecap="round"/>
  <path d="M8 2 H16 M12 2 V22 M8 22 H16" fill="none" stroke="#ffffff" stroke-width="1.4" stroke-linecap="round"/>`;
const HAND = `<path d="M8 11 V3.5 a1.6 1.6 0 0 1 3.2 0 V10 V8.5 a1.6 1.6 0 0 1 3.2 0 V10.5 a1.6 1.6 0 0 1 3.2 0 V12 a1.6 1.6 0 0 1 3.2 0 V17 q0 5 -5 5.5 H12 q-3 0 -5 -3 L3 14 a1.7 1.7 0 0 1 2.6 -2.2 Z" fill="#ffffff" stroke="#000000" stroke-width="1.2" stroke-linejoin="round"/>`;

async function render(body: string, side: number, hotX: number, hotY: number): Promise<PointerShape> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}" viewBox="0 0 24 24">${body}</svg>`;
  const image = await rasteriseSvg(svg, side, side);
  const scale = side / 24;
  return {
    id: ++lastShapeId,
    width: side,
    height: side,
    hotX: Math.round(hotX * scale),
    hotY: Math.round(hotY * scale),
    rgba: image.pixels,
  };
}

export async function renderPointerShapes(displayHeight: number): Promise<PointerShapes> {
  const side = pointerSide(displayHeight);
  const [arrow, ibeam, hand] = await Promise.all([render(ARROW, side, 1, 1), render(IBEAM, side, 12, 12), render(HAND, side, 9.6, 2)]);
  return { arrow, ibeam, hand };
}
