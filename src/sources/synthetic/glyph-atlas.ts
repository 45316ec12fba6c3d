/**
 * A monospace font as pre-rendered cells: every printable ASCII character is drawn once (one
 * sharp call per atlas) in a fixed fg/bg colour, and text is then drawn by copying cells. This
 * keeps typing and the clock cheap (row copies) and identical from frame to frame.
 */
import { copyRect, type RasterImage } from './raster';
import { escapeXml, rasteriseSvg } from './svg-raster';

const FIRST_CHAR = 32;
const LAST_CHAR = 126;

export interface GlyphAtlasOptions {
  /** Font size in pixels. */
  fontSize: number;
  /** CSS colours. */
  foreground: string;
  background: string;
}

export class GlyphAtlas {
  private constructor(
    private readonly sheet: RasterImage,
    readonly cellWidth: number,
    readonly cellHeight: number,
  ) {}

  static async create(options: GlyphAtlasOptions): Promise<GlyphAtlas> {
    // DejaVu Sans Mono's advance is 0.602 em; round up so that cells never clip a glyph.
    const cellWidth = Math.ceil(options.fontSize * 0.61);
    const cellHeight = Math.ceil(options.fontSize * 1.25);
    const count = LAST_CHAR - FIRST_CHAR + 1;
    const baseline = Math.round(options.fontSize * 0.95);
    let cells = '';
    for (let i = 0; i < count; i++) {
      const char = escapeXml(String.fromCharCode(FIRST_CHAR + i));
      cells += `<text x="${i * cellWidth}" y="${baseline}">${char}</text>`;
    }
    const width = count * cellWidth;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${cellHeight}">` +
      `<rect width="100%" height="100%" fill="${options.background}"/>` +
      `<g font-family="DejaVu Sans Mono, monospace" font-size="${options.fontSize}" fill="${options.foreground}" xml:space="preserve">${cells}</g></svg>`;
    return new GlyphAtlas(await rasteriseSvg(svg, width, cellHeight), cellWidth, cellHeight);
  }

  /** Draws `text` with its top-left at (x, y); characters outside printable ASCII draw as '?'. */
  drawText(target: RasterImage, x: number, y: number, text: string): void {
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < FIRST_CHAR || code > LAST_CHAR) code = '?'.charCodeAt(0);
      const cell = { x: (code - FIRST_CHAR) * this.cellWidth, y: 0, width: this.cellWidth, height: this.cellHeight };
      copyRect(this.sheet, cell, target, x + i * this.cellWidth, y);
    }
  }
}
