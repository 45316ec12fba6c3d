/** Renders SVG into a RasterImage with sharp (librsvg inside libvips). Used once per asset, not per frame. */
import sharp from 'sharp';
import type { RasterImage } from './raster';

export async function rasteriseSvg(svg: string, width: number, height: number): Promise<RasterImage> {
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 })
    .resize(width, height, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 4) {
    throw new Error(`SVG rendered as ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x4`);
  }
  return { width, height, pixels: data };
}

/** Escapes text for an SVG text node. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
