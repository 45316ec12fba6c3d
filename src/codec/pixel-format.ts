/** Pixel byte orders the codec layer reads and writes: the same two a display surface uses. */
import type { SurfaceFormat } from '../sources/display-source';

/** 'rgba8' is bytes R,G,B,A; 'bgra8' is bytes B,G,R,A. Four bytes a pixel, packed in rows. */
export type PixelFormat = SurfaceFormat;

export const PIXEL_FORMATS: readonly PixelFormat[] = ['rgba8', 'bgra8'];

export const BYTES_PER_PIXEL = 4;
