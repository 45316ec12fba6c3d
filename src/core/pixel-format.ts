/** Pixel byte orders: what a display surface holds and what the codec layer reads and writes. */

/**
 * 'rgba8' is bytes R,G,B,A; 'bgra8' is bytes B,G,R,A. Four bytes a pixel, packed in rows. Alpha
 * is always 255 on a display surface: displays are opaque, and a source that decodes a format
 * without alpha (SPICE's 32-bit xRGB) writes 255 there.
 */
export type PixelFormat = 'rgba8' | 'bgra8';

/** The name the capture API gives a surface's or a client buffer's pixel format. */
export type SurfaceFormat = PixelFormat;

export const PIXEL_FORMATS: readonly PixelFormat[] = ['rgba8', 'bgra8'];

export const BYTES_PER_PIXEL = 4;
