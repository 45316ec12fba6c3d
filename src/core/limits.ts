/** Size limits every layer agrees on. */

/**
 * The largest image side anywhere: a display, a client's configured buffer, a still image.
 * 8192 x 8192 x 4 bytes is 256 MiB, the largest buffer a client can be sent. (The live view's
 * stream and the recorder's H.264 have lower limits of their own, from the codec's levels.)
 */
export const MAX_IMAGE_SIDE = 8192;
