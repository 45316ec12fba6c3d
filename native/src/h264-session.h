// One openh264 encoder with its colour conversion: packed RGBA/BGRA in, H.264 NAL units out.
// No Node API here; the encoder binding drives it from a worker thread, one call at a time.
#pragma once

#include <wels/codec_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pixel-format.h"

namespace screencap {

struct H264Config {
  int width;
  int height;
  bool screen_content;  // SCREEN_CONTENT_REAL_TIME, else CAMERA_VIDEO_REAL_TIME
  bool quality_mode;    // RC_QUALITY_MODE, else RC_BITRATE_MODE
  int bitrate_bps;
  float max_frame_rate;
  unsigned keyframe_interval_frames;  // 0: only the first frame and forced ones
  int threads;
  // Rate control may drop a frame to hold the bitrate (openh264's default), else it only raises
  // the quantiser.
  bool frame_skip;
};

enum class FrameKind { kIdr, kIntra, kPredicted, kSkipped };

struct EncodedOutput {
  // The NAL units back to back, without start codes; nal_sizes splits them.
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> nal_sizes;
  FrameKind kind = FrameKind::kSkipped;
  int64_t convert_micros = 0;
  int64_t encode_micros = 0;
};

struct InputFrame {
  // nullptr: encode the previous frame's picture again (still in the I420 buffer), e.g. to
  // repeat it on a constant-rate grid or to sharpen it once the screen stands still.
  const uint8_t* pixels;
  int stride;
  PixelFormat format;
  bool force_keyframe;
  int64_t timestamp_ms;
  // A high-quality pass over a picture that stopped changing: an IDR at a fixed low quantiser
  // whatever the bitrate (force_keyframe should be set too).
  bool sharp;
};

class H264Session {
 public:
  H264Session() = default;
  H264Session(const H264Session&) = delete;
  H264Session& operator=(const H264Session&) = delete;
  ~H264Session();

  // Returns an empty string on success, else why the encoder could not start.
  std::string Open(const H264Config& config);
  // Returns an empty string on success, else why the frame could not be encoded.
  std::string Encode(const InputFrame& frame, EncodedOutput& output);
  void Close();

 private:
  // Creates and initialises openh264's encoder for `config`; empty on success, else why not.
  std::string StartEncoder(const H264Config& config);
  void DestroyEncoder();
  // Runs EncodeFrame on the I420 buffer, starting the encoder again if openh264 gave up on it.
  int EncodePicture(const InputFrame& frame, SSourcePicture& picture, SFrameBSInfo& info);
  // A sharp frame: rate control off for that one frame.
  int EncodeSharp(SSourcePicture& picture, SFrameBSInfo& info);

  H264Config config_{};
  ISVCEncoder* encoder_ = nullptr;
  int width_ = 0;
  int height_ = 0;
  // The I420 picture, reused across frames: Y plane, then U, then V.
  std::vector<uint8_t> i420_;
  bool has_picture_ = false;
};

}  // namespace screencap
