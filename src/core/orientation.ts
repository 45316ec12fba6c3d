/** How a display is turned and fitted into a client's image. */

/** Clockwise rotation in degrees. */
export type Rotation = 0 | 90 | 180 | 270;

export const ROTATIONS: readonly Rotation[] = [0, 90, 180, 270];

/**
 * 'fit': scale uniformly so the rotated image fits inside the target, centred, the bars opaque
 * black (0, 0, 0, 255). 'stretch': scale each side to fill the target exactly.
 */
export type ScaleMode = 'fit' | 'stretch';

export const SCALE_MODES: readonly ScaleMode[] = ['fit', 'stretch'];
