#include "h264-session.h"

#include <libyuv.h>

#include <chrono>
#include <cstring>

namespace screencap {

namespace {

// The quantiser of a sharp pass. H.264's quantiser step doubles every 6. Measured on IDRs of
// still pictures against their source (PSNR on I420): at 15, the 1080p built-in desktop 52 dB
// (42 KB, 21-45 ms), a 1024x768 Xspice terminal full of text 51 dB, the noise-textured stress
// desktop 48 dB (435 KB). At 18 the terminal fell to 43 dB, at 22 the desktop to 50.
constexpr int kSharpQp = 15;

// openh264 logs warnings to stderr by default; errors are enough for an operator.
constexpr int kLogLevel = WELS_LOG_ERROR;

int64_t MicrosSince(std::chrono::steady_clock::time_point start,
                    std::chrono::steady_clock::time_point end) {
  return std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
}

FrameKind KindOf(EVideoFrameType type) {
  switch (type) {
    case videoFrameTypeIDR: return FrameKind::kIdr;
    case videoFrameTypeI: return FrameKind::kIntra;
    case videoFrameTypeSkip: return FrameKind::kSkipped;
    default: return FrameKind::kPredicted;
  }
}

// openh264 writes each NAL unit with an Annex-B start code (00 00 01 or 00 00 00 01).
size_t StartCodeLength(const uint8_t* nal, size_t size) {
  if (size >= 4 && nal[0] == 0 && nal[1] == 0 && nal[2] == 0 && nal[3] == 1) return 4;
  if (size >= 3 && nal[0] == 0 && nal[1] == 0 && nal[2] == 1) return 3;
  return 0;
}

// The colours the stream declares, in its SPS (VUI video_signal_type and colour_description),
// and that the conversion in Encode() makes; the MP4 colr box is read from this SPS. Untagged,
// players guess: Chromium takes HD video for BT.709 (pure green came out as (0,215,1)), ffmpeg
// for BT.601, so no single untagged conversion is right everywhere.
//
// Matrix and range: BT.601 at full range, libyuv's J420 (JPEG) conversion, as libyuv (2023) has
// no BT.709 RGB->I420. Measured on a chart of primaries, secondaries, greys and two everyday
// colours in Chromium (<video>, WebCodecs, MSE) and ffmpeg, full range came within 4 levels of
// the source everywhere; BT.601 limited range (ABGRToI420) within 5 in <video> and ffmpeg but 6
// with WebCodecs at 720p, as it has 220 levels of luma where full range has 256.
//
// Primaries and transfer: the screen's, sRGB (BT.709 primaries, IEC 61966-2-1 transfer).
// Chromium shows BT.709 and sRGB transfer the same; sRGB is what the pixels really are.
void DescribeScreenColours(SSpatialLayerConfig& layer) {
  layer.bVideoSignalTypePresent = true;
  layer.uiVideoFormat = VF_UNDEF;
  layer.bFullRange = true;
  layer.bColorDescriptionPresent = true;
  layer.uiColorPrimaries = CP_BT709;
  layer.uiTransferCharacteristics = TRC_IEC61966_2_1;
  layer.uiColorMatrix = CM_SMPTE170M;
}

}  // namespace

H264Session::~H264Session() { Close(); }

std::string H264Session::Open(const H264Config& config) {
  if (encoder_ != nullptr) return "encoder already open";
  const std::string error = StartEncoder(config);
  if (!error.empty()) return error;
  config_ = config;
  width_ = config.width;
  height_ = config.height;
  i420_.resize(static_cast<size_t>(width_) * height_ * 3 / 2);
  return std::string();
}

std::string H264Session::StartEncoder(const H264Config& config) {
  if (WelsCreateSVCEncoder(&encoder_) != 0 || encoder_ == nullptr) {
    encoder_ = nullptr;
    return "WelsCreateSVCEncoder failed";
  }
  int log_level = kLogLevel;
  encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &log_level);

  SEncParamExt params;
  encoder_->GetDefaultParams(&params);
  params.iUsageType = config.screen_content ? SCREEN_CONTENT_REAL_TIME : CAMERA_VIDEO_REAL_TIME;
  params.iPicWidth = config.width;
  params.iPicHeight = config.height;
  params.iTargetBitrate = config.bitrate_bps;
  params.iRCMode = config.quality_mode ? RC_QUALITY_MODE : RC_BITRATE_MODE;
  params.fMaxFrameRate = config.max_frame_rate;
  params.uiIntraPeriod = config.keyframe_interval_frames;
  params.bEnableFrameSkip = config.frame_skip;
  // openh264 defaults to a new SPS/PPS id at each IDR. An MP4 track carries one SPS and one
  // PPS in its avcC box and the samples go without them, so every IDR must reuse the same ids.
  params.eSpsPpsIdStrategy = CONSTANT_ID;
  params.iMultipleThreadIdc = static_cast<unsigned short>(config.threads);
  params.iSpatialLayerNum = 1;
  SSpatialLayerConfig& layer = params.sSpatialLayers[0];
  layer.iVideoWidth = config.width;
  layer.iVideoHeight = config.height;
  layer.fFrameRate = config.max_frame_rate;
  layer.iSpatialBitrate = config.bitrate_bps;
  DescribeScreenColours(layer);
  // The quantiser of a sharp pass (see EncodePicture); used only then, with rate control off.
  layer.iDLayerQp = kSharpQp;
  if (config.threads > 1) {
    // openh264 spreads work over threads by slice: one slice per thread.
    layer.sSliceArgument.uiSliceMode = SM_FIXEDSLCNUM_SLICE;
    layer.sSliceArgument.uiSliceNum = static_cast<unsigned int>(config.threads);
  }
  if (encoder_->InitializeExt(&params) != 0) {
    DestroyEncoder();
    return "openh264 rejected the parameters (InitializeExt failed)";
  }
  int input_format = videoFormatI420;
  encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &input_format);
  return std::string();
}

std::string H264Session::Encode(const InputFrame& frame, EncodedOutput& output) {
  if (encoder_ == nullptr) return "encoder is closed";
  const int chroma_width = width_ / 2;
  uint8_t* y = i420_.data();
  uint8_t* u = y + static_cast<size_t>(width_) * height_;
  uint8_t* v = u + static_cast<size_t>(chroma_width) * (height_ / 2);

  const auto start = std::chrono::steady_clock::now();
  if (frame.pixels != nullptr) {
    // libyuv's ABGR is R,G,B,A in memory and its ARGB is B,G,R,A (it names little-endian words).
    // J420: BT.601 at full range, exactly what DescribeScreenColours() declares.
    const auto to_i420 = frame.format == PixelFormat::kRgba8 ? libyuv::ABGRToJ420 : libyuv::ARGBToJ420;
    if (to_i420(frame.pixels, frame.stride, y, width_, u, chroma_width, v, chroma_width, width_,
                height_) != 0) {
      return "colour conversion to I420 failed";
    }
    has_picture_ = true;
  } else if (!has_picture_) {
    return "no picture to encode again: encode a frame first";
  }
  const auto converted = std::chrono::steady_clock::now();

  SSourcePicture picture;
  std::memset(&picture, 0, sizeof picture);
  picture.iColorFormat = videoFormatI420;
  picture.iPicWidth = width_;
  picture.iPicHeight = height_;
  picture.iStride[0] = width_;
  picture.iStride[1] = chroma_width;
  picture.iStride[2] = chroma_width;
  picture.pData[0] = y;
  picture.pData[1] = u;
  picture.pData[2] = v;
  picture.uiTimeStamp = frame.timestamp_ms;

  SFrameBSInfo info;
  std::memset(&info, 0, sizeof info);
  if (frame.force_keyframe) encoder_->ForceIntraFrame(true);
  const int status = EncodePicture(frame, picture, info);
  const auto encoded = std::chrono::steady_clock::now();
  if (status != cmResultSuccess) return "openh264 EncodeFrame failed with status " + std::to_string(status);

  output.kind = KindOf(info.eFrameType);
  output.convert_micros = MicrosSince(start, converted);
  output.encode_micros = MicrosSince(converted, encoded);
  output.bytes.clear();
  output.nal_sizes.clear();
  if (output.kind == FrameKind::kSkipped) return std::string();
  for (int l = 0; l < info.iLayerNum; ++l) {
    const SLayerBSInfo& layer = info.sLayerInfo[l];
    const uint8_t* cursor = layer.pBsBuf;
    for (int n = 0; n < layer.iNalCount; ++n) {
      const size_t size = static_cast<size_t>(layer.pNalLengthInByte[n]);
      const size_t prefix = StartCodeLength(cursor, size);
      output.bytes.insert(output.bytes.end(), cursor + prefix, cursor + size);
      output.nal_sizes.push_back(static_cast<uint32_t>(size - prefix));
      cursor += size;
    }
  }
  return std::string();
}

int H264Session::EncodePicture(const InputFrame& frame, SSourcePicture& picture, SFrameBSInfo& info) {
  const int status = frame.sharp ? EncodeSharp(picture, info) : encoder_->EncodeFrame(&picture, &info);
  if (status != cmMallocMemeError) return status;
  // openh264 answers cmMallocMemeError when a frame's bits overflow its bitstream buffer (the
  // size of an uncompressed I420 frame): a sharp pass over noise-like pixels does, as any frame
  // at a low enough quantiser can. It has then torn down its own context, so every later frame
  // would fail too. A new encoder with the same parameters writes the same SPS and PPS (constant
  // ids), so the stream goes on unbroken from an IDR, coded under rate control, which sets the
  // quantiser from the bitrate rather than from a fixed value.
  DestroyEncoder();
  if (!StartEncoder(config_).empty()) return status;
  // A new encoder's first frame is an IDR of itself (forcing one too would make the next an IDR).
  std::memset(&info, 0, sizeof info);
  return encoder_->EncodeFrame(&picture, &info);
}

int H264Session::EncodeSharp(SSourcePicture& picture, SFrameBSInfo& info) {
  // Rate control spreads the bitrate over the frames, so a picture that stopped changing keeps
  // the quantiser of the last busy frame: blurred for as long as it stays. A P frame of the same
  // picture does not help: screen-content coding sees unchanged source blocks and skips them. So
  // a sharp pass is an IDR with rate control off for that one frame, which codes it at the
  // layer's fixed quantiser (iDLayerQp, set in StartEncoder). Switching the mode at run time
  // touches neither the stream's parameter sets nor the encoder's state; the frames after it are
  // rate-controlled as before.
  SEncParamExt params;
  encoder_->GetOption(ENCODER_OPTION_SVC_ENCODE_PARAM_EXT, &params);
  int mode = RC_OFF_MODE;
  encoder_->SetOption(ENCODER_OPTION_RC_MODE, &mode);
  // A picture too detailed for the fixed quantiser overflows (see EncodePicture), which openh264
  // reports on stderr as an opaque error; it is handled, so its log stays quiet meanwhile.
  int log_level = WELS_LOG_QUIET;
  encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &log_level);
  const int status = encoder_->EncodeFrame(&picture, &info);
  log_level = kLogLevel;
  encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &log_level);
  mode = params.iRCMode;
  encoder_->SetOption(ENCODER_OPTION_RC_MODE, &mode);
  return status;
}

void H264Session::Close() { DestroyEncoder(); }

void H264Session::DestroyEncoder() {
  if (encoder_ == nullptr) return;
  encoder_->Uninitialize();
  WelsDestroySVCEncoder(encoder_);
  encoder_ = nullptr;
}

}  // namespace screencap
