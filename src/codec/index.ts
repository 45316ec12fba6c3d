/** The codec layer: H.264 encoding (openh264), AVC packaging, and pixel transforms (libyuv). */
export { H264Encoder, isH264Available, SHARPEN_AFTER_STILL_MS } from './h264/h264-encoder';
export type { EncodeAgainOptions, EncodedFrame, EncodeOptions, H264EncoderOptions, ParameterSets } from './h264/h264-encoder';
export {
  annexB,
  AVCC_LENGTH_SIZE,
  avccSample,
  avcCodecString,
  avcDecoderConfigurationRecord,
  NalUnitType,
  nalUnitType,
} from './h264/avc';
export { readSpsColour, readSpsFormat } from './h264/sps';
export type { SpsColour, SpsFormat } from './h264/sps';
export { convertPixelFormat, isImageTransformAvailable, transform } from './image-transform';
export type { Rotation, ScaleMode } from '../core/orientation';
export { nativeAddonStatus } from './native-addon';
export type { NativeAddonStatus } from './native-addon';
export type { PixelFormat } from '../core/pixel-format';
