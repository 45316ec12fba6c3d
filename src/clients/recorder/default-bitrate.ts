/**
 * The recorder's default bitrate, which scales with the recorded picture's area and frame rate as
 * encoder presets do (12 Mbit/s is what is commonly recommended for 1080p60 H.264, half that at
 * 30 frames a second), rather than one flat figure that is lavish for a small window and starves
 * a busy 1080p60 screen.
 *
 * openh264's rate control (bitrate mode) budgets each frame bitrate / maxFrameRate bits whatever
 * the frames' timestamps, and the recorder sets maxFrameRate to the rate it records at, so this
 * gives every frame the same bits a pixel at any size and rate. A screen that changes less often
 * than that rate delivers fewer frames and spends less: the figure is a ceiling, not a rate the
 * file is padded to.
 */

/**
 * Bits a pixel of each frame. Measured on the SPICE recording benchmark's busy 1080p desktop (a
 * page of text and photograph scrolling 8 rows a frame at 60 frames a second), openh264 in camera
 * mode with frame skipping off (bench/rate-control.bench.ts): 0.04 (5 Mbit/s) 35.8 dB, 0.064
 * (8 Mbit/s) 36.7 dB, 0.1 (12.4 Mbit/s) 37.5 dB, where `ffmpeg -f x11grab` with x264 ultrafast
 * records the same desktop at 36.6-37.0 dB. 0.064 would only draw level; 0.1 keeps a margin
 * (docs/PERFORMANCE.md).
 */
export const DEFAULT_BITS_PER_PIXEL = 0.1;

/** The lowest and highest bitrates the encoder takes (H264EncoderOptions.bitrateBps). */
const MIN_BITRATE_BPS = 10_000;
const MAX_BITRATE_BPS = 200_000_000;

/**
 * DEFAULT_BITS_PER_PIXEL for every pixel of `frameRate` frames a second at width x height, to
 * the nearest kbit/s, within the encoder's range: 12.4 Mbit/s at 1920x1080 and 60, 6.2 at 30,
 * 2.8 Mbit/s at 1280x720 and 30.
 */
export function defaultRecordingBitrate(width: number, height: number, frameRate: number): number {
  const bps = Math.round((DEFAULT_BITS_PER_PIXEL * width * height * frameRate) / 1000) * 1000;
  return Math.min(MAX_BITRATE_BPS, Math.max(MIN_BITRATE_BPS, bps));
}
