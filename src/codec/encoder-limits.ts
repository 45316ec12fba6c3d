/**
 * The picture sizes the H.264 encoder takes. Kept apart from the encoder so that the command line
 * can refuse a size before anything starts without loading the encoder (or the native addon):
 * `screencap serve` loads no encoding code unless it records or streams.
 */

/** Smallest picture side openh264 encodes ("Don't support width(2) or height(2) which is less than 16"). */
export const H264_MIN_SIDE = 16;
/** Largest picture side accepted. */
export const H264_MAX_SIDE = 8192;
/** openh264's ceiling for one picture: level 5.2's 36,864 macroblocks of 256 pixels (4096x2304). */
export const H264_MAX_PIXELS = 36_864 * 256;
/** Most encoder threads (slices of a picture encoded in parallel) the encoder accepts. */
export const MAX_ENCODER_THREADS = 4;
