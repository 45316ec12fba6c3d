/** The screenshot client: one frame of the display, as PNG (lossless) or JPEG. */
import sharp from 'sharp';
import type { CaptureClient } from '../capture-client';
import type { CursorMode, Rotation } from '../../render/render-target';
import type { FramePointer } from '../capture-session';

export interface ScreenshotOptions {
  /** Image size after rotation; default the display's size (rotated). */
  width?: number;
  height?: number;
  rotation?: Rotation;
  /** Default 'embedded' (the pointer in the picture, as the screen shows it). */
  cursorMode?: CursorMode;
  /** Default 'png'. */
  encoding?: 'png' | 'jpeg';
  signal?: AbortSignal;
}

export interface Screenshot {
  /** The encoded image: PNG or JPEG as asked. */
  image: Buffer;
  width: number;
  height: number;
  frameNumber: number;
  captureTimeMs: number;
  /** With cursorMode 'metadata': the pointer, which the image leaves out. */
  pointer?: FramePointer;
}

export async function takeScreenshot(client: CaptureClient, options: ScreenshotOptions = {}): Promise<Screenshot> {
  const { signal } = options;
  const rotation = options.rotation ?? 0;
  let { width, height } = options;
  if (width === undefined || height === undefined) {
    const display = await client.displayInfo({ signal });
    const quarterTurn = rotation === 90 || rotation === 270;
    width = quarterTurn ? display.height : display.width;
    height = quarterTurn ? display.width : display.height;
    if (!width || !height) throw new Error('the server has no picture yet (its display source has not produced a surface)');
  }
  const session = await client.openSession({ clientName: 'screenshot', signal });
  try {
    await session.configure({ width, height, rotation, pixelFormat: 'rgba8', bufferCount: 1, cursorMode: options.cursorMode }, { signal });
    const frame = await session.nextFrame({ signal });
    const raw = sharp(frame.pixels, { raw: { width: frame.width, height: frame.height, channels: 4 } });
    // JPEG has no alpha; the display is opaque, so dropping the channel loses nothing.
    const image = await (options.encoding === 'jpeg' ? raw.removeAlpha().jpeg({ quality: 90 }) : raw.png()).toBuffer();
    return { image, width: frame.width, height: frame.height, frameNumber: frame.frameNumber, captureTimeMs: frame.captureTimeMs, pointer: frame.pointer };
  } finally {
    await session.close().catch(() => undefined);
  }
}
