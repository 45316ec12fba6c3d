/**
 * The recording benchmark's busy desktop (see scroll-page.c): a full-screen window scrolling a
 * tall page of text and photograph, its frames numbered in a band at the top and one at the bottom. This side makes
 * the page, builds and starts the program, and gives back what frame N looks like and which
 * frame a recorded picture shows, so that every recorded picture can be compared with exactly
 * what was on the screen.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../test/support/prng';
import { OwnedProcess, run } from '../../test/support/spice/processes';

/** The page and band layout, shared with scroll-page.c through its arguments. */
export interface ScrollLayout {
  width: number;
  height: number;
  /** Rows of each of the two bands (top and bottom) holding the frame codes. */
  band: number;
  /** Rows scrolled a frame. */
  step: number;
  /** Side of a code's square, in pixels. */
  cell: number;
  /** Rows of the page, which wraps around. */
  pageRows: number;
  /** Frames drawn a second. */
  fps: number;
}

/**
 * The busy 1080p desktop the SPICE recording benchmark records and the rate-control benchmark
 * encodes: 8 rows a frame at 60 frames a second over a page twice the screen's height.
 */
export const BUSY_PAGE_LAYOUT: ScrollLayout = { width: 1920, height: 1080, band: 40, step: 8, cell: 24, pageRows: 2160, fps: 60 };

const CODE_BITS = 16;
const BAND_GREY = 0x80;
const SOURCE = join(__dirname, '..', '..', '..', 'bench', 'support', 'scroll-page.c');
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const WORDS = 'screen capture frame latch vsync damage encoder keyframe fragment buffer session display pointer recording quality'.split(
  ' ',
);

/** The frame numbers a recorded picture's two codes give: they agree on a whole frame. */
export interface ReadCode {
  top: number;
  bottom: number;
}

export class ScrollPage {
  private constructor(
    readonly layout: ScrollLayout,
    /** The page as packed RGB, `pageRows` rows. */
    private readonly page: Buffer,
    private readonly program: string,
    private readonly pagePath: string,
  ) {}

  /**
   * Makes the page (a screen of text over a screen of photograph, with coloured bars: the mix of
   * flat areas, sharp edges and texture a desktop has) and compiles the program, in `dir`.
   */
  static async prepare(dir: string, layout: ScrollLayout): Promise<ScrollPage> {
    const { width, pageRows } = layout;
    const textRows = pageRows >> 1;
    const random = prng(11);
    const lines = Array.from({ length: Math.floor(textRows / 22) }, (_, i) => {
      const words = Array.from({ length: 8 + Math.floor(random() * 14) }, () => WORDS[Math.floor(random() * WORDS.length)]);
      return `${String(i + 1).padStart(3)}  ${words.join(' ')}`;
    });
    const png = join(dir, 'page.png');
    await run('convert', [
      '(',
      '-size',
      `${width}x${textRows}`,
      'xc:#fbfbf8',
      '-fill',
      '#dde6f0',
      '-draw',
      `rectangle 0,0 ${width - 1},31`,
      '-fill',
      '#2a5599',
      '-draw',
      `rectangle ${width - 360},80 ${width - 40},${textRows - 80}`,
      '-font',
      FONT,
      '-pointsize',
      '15',
      '-fill',
      '#1c1c1c',
      '-annotate',
      '+24+52',
      lines.join('\n'),
      ')',
      '(',
      '-size',
      `${width}x${pageRows - textRows}`,
      '-seed',
      '7',
      'plasma:fractal',
      ')',
      '-append',
      png,
    ]);
    const rgb = await run('convert', [png, '-depth', '8', 'rgb:-']);
    const bgra = await run('convert', [png, '-depth', '8', 'bgra:-']);
    if (rgb.length !== width * pageRows * 3) throw new Error(`the page is ${rgb.length} bytes, not ${width}x${pageRows} RGB`);
    const pagePath = join(dir, 'page.bgra');
    writeFileSync(pagePath, bgra);
    const program = join(dir, 'scroll-page');
    await run('gcc', ['-O2', '-o', program, SOURCE, '-lX11']);
    return new ScrollPage(layout, rgb, program, pagePath);
  }

  /** Starts scrolling on the display `env` names; stop the process to end it. */
  start(env: NodeJS.ProcessEnv): OwnedProcess {
    const { width, pageRows, height, band, step, cell, fps } = this.layout;
    return new OwnedProcess(this.program, [this.pagePath, ...[width, pageRows, height, band, step, cell, fps].map(String)], { env });
  }

  /** Where the codes are: their squares' first rows (top, bottom), height and width. */
  get codeArea(): { top: number; bottom: number; rows: number; width: number } {
    const { band, cell, height } = this.layout;
    const top = (band - cell) >> 1;
    return { top, bottom: height - band + top, rows: cell, width: CODE_BITS * cell };
  }

  /**
   * Frame `n` as it was on the screen, packed RGB, into `out`; with `view`, the page as frame
   * `view` shows it under frame `n`'s codes.
   */
  frame(n: number, out: Buffer, view = n): void {
    const { width, height, band, step, cell, pageRows } = this.layout;
    const stride = width * 3;
    out.fill(BAND_GREY, 0, band * stride);
    out.fill(BAND_GREY, (height - band) * stride, height * stride);
    const { top, bottom } = this.codeArea;
    const code = n & ((1 << CODE_BITS) - 1);
    for (let bit = 0; bit < CODE_BITS; bit++) {
      const value = (code >> (CODE_BITS - 1 - bit)) & 1 ? 0xff : 0x00;
      const x = bit * cell * 3;
      for (const y of [top, bottom]) {
        for (let row = y; row < y + cell; row++) out.fill(value, row * stride + x, row * stride + x + cell * 3);
      }
    }
    // The view starts (n * step) rows into the page and wraps at its end.
    const first = (view * step) % pageRows;
    const rows = height - 2 * band;
    const before = Math.min(rows, pageRows - first);
    this.page.copy(out, band * stride, first * stride, (first + before) * stride);
    if (before < rows) this.page.copy(out, (band + before) * stride, 0, (rows - before) * stride);
  }

  /**
   * The two frame numbers in a recorded picture's codes: `rows` holds the top code's squares
   * above the bottom one's (grey, codeArea's width, twice its rows). Each bit comes from the
   * middle of its square, so that coding noise at the edges does not count.
   */
  readCode(rows: Buffer): ReadCode {
    const { cell } = this.layout;
    const { width } = this.codeArea;
    const read = (y0: number): number => {
      let value = 0;
      const middle = (y0 + (cell >> 1)) * width;
      for (let bit = 0; bit < CODE_BITS; bit++) {
        const x = bit * cell + (cell >> 2);
        let sum = 0;
        for (let i = 0; i < cell >> 1; i++) sum += rows[middle + x + i]!;
        value = (value << 1) | (sum / (cell >> 1) >= 128 ? 1 : 0);
      }
      return value;
    };
    return { top: read(0), bottom: read(cell) };
  }
}
