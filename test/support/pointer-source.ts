/**
 * A still-image source that also reports a pointer the test sets, as a SPICE cursor channel
 * would; and pointer shapes with soft (anti-aliased) edges, rendered by sharp.
 */
import sharp from 'sharp';
import { ImageSource, type StillImage } from '../../src/sources';
import type { DisplaySink } from '../../src/sources/display-source';
import type { PointerShape, PointerState } from '../../src/core/pointer';

export class PointerImageSource extends ImageSource {
  private pointerSink: DisplaySink | undefined;

  constructor(image: StillImage) {
    super('image with a pointer', async () => image);
  }

  override async start(sink: DisplaySink): Promise<void> {
    this.pointerSink = sink;
    await super.start(sink);
  }

  override async stop(): Promise<void> {
    this.pointerSink = undefined;
    await super.stop();
  }

  setPointer(state: PointerState | undefined): void {
    this.pointerSink?.pointer(state);
  }
}

/**
 * An arrow (`kind` 'arrow', 12x16, hot spot 1,1) or a ring ('ring', 10x10, hot spot 5,5): white
 * with a dark outline, edges anti-aliased so that many pixels are partly transparent.
 */
export async function pointerShape(kind: 'arrow' | 'ring', id: number): Promise<PointerShape> {
  const [width, height, hotX, hotY, body] =
    kind === 'arrow'
      ? [12, 16, 1, 1, '<path d="M1 1 L1 14 L4.5 10.8 L7 15 L9 14 L6.8 9.8 L11 9.8 Z" fill="#ffffff" stroke="#202020" stroke-width="1.1"/>']
      : [10, 10, 5, 5, '<circle cx="5" cy="5" r="3.6" fill="none" stroke="#ff30a0" stroke-width="2.2" opacity="0.8"/>'];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error(`pointer rendered ${info.width}x${info.height}`);
  return { id, width, height, hotX, hotY, rgba: data };
}

/** The source image with the pointer composited by sharp (libvips), as the screen would show it. */
export async function compositeBySharp(image: StillImage, pointer: PointerState): Promise<Buffer> {
  const shape = pointer.shape!;
  const left = pointer.x - shape.hotX;
  const top = pointer.y - shape.hotY;
  return sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 4 } })
    .composite([{ input: shape.rgba, raw: { width: shape.width, height: shape.height, channels: 4 }, left, top }])
    .raw()
    .toBuffer();
}
