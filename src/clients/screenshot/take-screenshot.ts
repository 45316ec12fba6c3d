/** The screenshot client: one frame of the display, as PNG or WebP (lossless) or JPEG. */
import { FieldError } from '../../core/field-error';
import sharp from 'sharp';
import type { CaptureClient } from '../capture-client';
import { shownSize } from '../chosen-display';
import type { CursorMode } from '../../core/pointer';
import type { Rotation } from '../../core/orientation';
import type { FramePointer } from '../capture-session';

export const SCREENSHOT_ENCODINGS = ['png', 'jpeg', 'webp'] as const;
export type ScreenshotEncoding = (typeof SCREENSHOT_ENCODINGS)[number];

export interface ScreenshotOptions {
  /** Image size after rotation; default the display's size (rotated). */
  width?: number;
  height?: number;
  rotation?: Rotation;
  /** The display (an id of DisplayInfo.displays) to take; default the primary; WHOLE_DESKTOP_DISPLAY_ID for the whole desktop. */
  displayId?: number;
  /** Default 'embedded' (the pointer in the picture, as the screen shows it). */
  cursorMode?: CursorMode;
  /** Default 'png'. */
  encoding?: ScreenshotEncoding;
  /**
   * 1 to 100: JPEG's quality (default 90), or lossy WebP at this quality (WebP is lossless
   * without it). PNG ignores it.
   */
  quality?: number;
  /**
   * Take the server's latest picture even while its source is down (that picture may be
   * stale). Default false: a down source rejects with SourceDownError.
   */
  allowStale?: boolean;
  signal?: AbortSignal;
}

/** The server's source cannot see its display, so its picture may be stale (see allowStale). */
export class SourceDownError extends Error {
  override name = 'SourceDownError';
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`the server's display source ${source} is down (${detail || 'no reason given'}): its latest picture may be stale`);
  }
}

export interface Screenshot {
  /** The encoded image: PNG, JPEG or WebP as asked. */
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
  const display = await client.displayInfo({ signal });
  if (!display.sourceLive && !options.allowStale) throw new SourceDownError(display.source, display.sourceDetail);
  const shown = shownSize(display, options.displayId);
  if (width === undefined || height === undefined) {
    const quarterTurn = rotation === 90 || rotation === 270;
    width = quarterTurn ? shown.height : shown.width;
    height = quarterTurn ? shown.width : shown.height;
    if (!width || !height) throw new Error('the server has no picture yet (its display source has not produced a surface)');
  }
  const session = await client.openSession({ clientName: 'screenshot', signal });
  try {
    await session.configure(
      { width, height, rotation, pixelFormat: 'rgba8', bufferCount: 1, cursorMode: options.cursorMode, displayId: options.displayId },
      { signal },
    );
    const frame = await session.nextFrame({ signal });
    const raw = sharp(frame.pixels, { raw: { width: frame.width, height: frame.height, channels: 4 } });
    const image = await encode(raw, options.encoding ?? 'png', options.quality).toBuffer();
    return {
      image,
      width: frame.width,
      height: frame.height,
      frameNumber: frame.frameNumber,
      captureTimeMs: frame.captureTimeMs,
      pointer: frame.pointer,
    };
  } finally {
    await session.close().catch(() => undefined);
  }
}

function encode(raw: sharp.Sharp, encoding: ScreenshotEncoding, quality: number | undefined): sharp.Sharp {
  if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw new FieldError('quality', `must be a whole number from 1 to 100, got ${quality}`);
  }
  // JPEG has no alpha; the display is opaque, so dropping the channel loses nothing.
  if (encoding === 'jpeg') return raw.removeAlpha().jpeg({ quality: quality ?? 90 });
  if (encoding === 'webp') return quality === undefined ? raw.webp({ lossless: true }) : raw.webp({ quality });
  return raw.png();
}
