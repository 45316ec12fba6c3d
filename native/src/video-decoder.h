// The VideoDecoder class seen from JavaScript: one SPICE video stream's decoder, H.264 with
// libavcodec (see h264-decoder.cc) or VP8 with libvpx, turning each STREAM_DATA payload (an H.264 Annex-B
// access unit, a VP8 frame) into 32-bit pixels with bytes B,G,R,A as SPICE surfaces hold them.
//
//   new VideoDecoder('h264' | 'vp8')
//   decode(data, width, height, pixels, bottomUp, matrix) -> Promise<true | false | string>
//     true: `pixels` (width * height entries, rows packed) holds the frame; false: the frame
//     showed no picture (a VP8 frame that only updates references); a string: why the data is
//     not a valid frame of this stream (the caller turns it into a protocol error). `matrix`
//     ('bt601' or 'bt709') is used when the bitstream does not state its own.
//   close()
//
// Each decode runs on a libuv worker thread: a full-screen keyframe takes over 100 ms (1080p
// H.264 4:4:4 at x264's qp 20, measured), which would stall the event loop. One decode at a time
// per decoder (each frame refers to the ones before); `data` and `pixels` must stay untouched
// until the promise settles. No input, however corrupt, makes it read or write outside `data` or
// `pixels`; wrong arguments throw a TypeError naming the field.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

namespace screencap {

enum class Chroma { k420, k422, k444 };
enum class Matrix { kUnstated, kBt601, kBt709 };

// The decoded picture's planes, owned by the codec library until its next decode.
struct YuvPicture {
  const uint8_t* y;
  const uint8_t* u;
  const uint8_t* v;
  int y_stride;
  int uv_stride;
  int width;
  int height;
  Chroma chroma;
  // What the bitstream states; kUnstated leaves it to the caller's `matrix`.
  Matrix matrix;
  // The bitstream says full range (0-255) rather than studio range (16-235).
  bool full_range;
};

// One codec library's decoder. Decode returns an empty string or why the data is corrupt;
// `picture` is set to nullptr when the frame showed nothing.
class FrameDecoder {
 public:
  virtual ~FrameDecoder() = default;
  virtual std::string Decode(const uint8_t* data, size_t length, YuvPicture* picture,
                             bool* shown) = 0;
};

std::unique_ptr<FrameDecoder> CreateH264Decoder(std::string* error);
std::unique_ptr<FrameDecoder> CreateVp8Decoder(std::string* error);

class VideoDecoderBinding : public Napi::ObjectWrap<VideoDecoderBinding> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit VideoDecoderBinding(const Napi::CallbackInfo& info);

  // Called on the JS thread by the worker when its frame is done.
  void FinishWork();

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  std::unique_ptr<FrameDecoder> decoder_;
  bool busy_ = false;
  bool closed_ = false;

  friend class DecodeWorker;
};

}  // namespace screencap
