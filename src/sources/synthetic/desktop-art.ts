/**
 * The still artwork of the synthetic desktop, as SVG rendered once per size: the wallpaper with
 * its taskbar and terminal frame, and the window that moves across it.
 */
import type { Rect } from '../../core/rect';
import type { RasterImage } from './raster';
import { rasteriseSvg } from './svg-raster';

/** Where things are on a desktop of a given size. */
export interface DesktopLayout {
  readonly width: number;
  readonly height: number;
  readonly taskbar: Rect;
  /** The area the clock text is drawn into, inside the taskbar. */
  readonly clock: Rect;
  /** The terminal's text area. */
  readonly terminal: Rect;
  /** The moving window's size. */
  readonly window: { width: number; height: number };
}

/** Colours that tests and the viewer look for at known places. */
export const TASKBAR_COLOR = '#202830';
export const TERMINAL_BACKGROUND = '#101410';
export const TERMINAL_FOREGROUND = '#7CFC8A';
export const CLOCK_FOREGROUND = '#F0F0F0';

export function layoutFor(width: number, height: number): DesktopLayout {
  const taskbarHeight = Math.max(24, Math.round(height * 0.04));
  const clockWidth = Math.min(width, Math.round(taskbarHeight * 5));
  const margin = Math.round(Math.min(width, height) * 0.05);
  return {
    width,
    height,
    taskbar: { x: 0, y: height - taskbarHeight, width, height: taskbarHeight },
    clock: { x: width - clockWidth, y: height - taskbarHeight, width: clockWidth, height: taskbarHeight },
    terminal: {
      x: margin,
      y: margin + Math.round(taskbarHeight * 1.2),
      width: Math.round(width * 0.45),
      height: Math.round(height * 0.5),
    },
    window: { width: Math.max(64, Math.round(width * 0.25)), height: Math.max(48, Math.round(height * 0.28)) },
  };
}

/**
 * The wallpaper; `textured` lays fine noise over the sky, so that moving it changes nearly every
 * pixel (the busy desktop: a smooth gradient scrolled sideways barely changes).
 */
export function renderWallpaper(layout: DesktopLayout, textured = false): Promise<RasterImage> {
  const { width, height, taskbar, terminal } = layout;
  const texture = textured
    ? `<filter id="grain"><feTurbulence type="fractalNoise" baseFrequency="0.35" numOctaves="2" seed="7"/><feColorMatrix type="saturate" values="0.3"/></filter>
  <rect width="${width}" height="${height}" filter="url(#grain)" opacity="0.35"/>`
    : '';
  const titleHeight = Math.round(taskbar.height * 1.2);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#1d4e89"/><stop offset="0.6" stop-color="#3f7cac"/><stop offset="1" stop-color="#95c8d8"/>
    </linearGradient>
  </defs>
  <rect width="${width}" height="${height}" fill="url(#sky)"/>
  ${texture}
  <circle cx="${width * 0.8}" cy="${height * 0.3}" r="${height * 0.12}" fill="#f6d55c" opacity="0.85"/>
  <rect x="${taskbar.x}" y="${taskbar.y}" width="${taskbar.width}" height="${taskbar.height}" fill="${TASKBAR_COLOR}"/>
  <rect x="${taskbar.height * 0.2}" y="${taskbar.y + taskbar.height * 0.15}" width="${taskbar.height * 2.5}" height="${taskbar.height * 0.7}" rx="4" fill="#3a7d44"/>
  <rect x="${terminal.x - 4}" y="${terminal.y - titleHeight}" width="${terminal.width + 8}" height="${terminal.height + titleHeight + 4}" rx="6" fill="#2b2b2b"/>
  <text x="${terminal.x + 6}" y="${terminal.y - titleHeight * 0.3}" font-family="DejaVu Sans, sans-serif" font-size="${titleHeight * 0.55}" fill="#dddddd">terminal</text>
  <rect x="${terminal.x}" y="${terminal.y}" width="${terminal.width}" height="${terminal.height}" fill="${TERMINAL_BACKGROUND}"/>
</svg>`;
  return rasteriseSvg(svg, width, height);
}

export function renderWindow(size: { width: number; height: number }): Promise<RasterImage> {
  const { width, height } = size;
  const title = Math.round(height * 0.12);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="${width}" height="${height}" fill="#f4f4f4"/>
  <rect width="${width}" height="${title}" fill="#4a4e69"/>
  <text x="${title * 0.4}" y="${title * 0.72}" font-family="DejaVu Sans, sans-serif" font-size="${title * 0.55}" fill="#ffffff">screencap: synthetic window</text>
  <circle cx="${width - title * 0.6}" cy="${title / 2}" r="${title * 0.25}" fill="#e63946"/>
  <rect x="${width * 0.08}" y="${title + height * 0.1}" width="${width * 0.35}" height="${height * 0.5}" fill="#e76f51"/>
  <rect x="${width * 0.5}" y="${title + height * 0.1}" width="${width * 0.42}" height="${height * 0.22}" fill="#2a9d8f"/>
  <rect x="${width * 0.5}" y="${title + height * 0.38}" width="${width * 0.42}" height="${height * 0.22}" fill="#e9c46a"/>
  <text x="${width * 0.08}" y="${height * 0.93}" font-family="DejaVu Sans, sans-serif" font-size="${title * 0.42}" fill="#333333">The quick brown fox jumps over the lazy dog</text>
</svg>`;
  return rasteriseSvg(svg, width, height);
}
