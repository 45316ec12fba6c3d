#include "video-decoder.h"

#include <libyuv.h>

#include "arguments.h"

namespace screencap {

namespace {

// The same bound as the QUIC decoder's and checkDimensions in decoded-image.ts.
constexpr int kMaxSide = 16384;

const libyuv::YuvConstants* Constants(const YuvPicture& picture, bool fallback_bt709) {
  const bool bt709 =
      picture.matrix == Matrix::kBt709 || (picture.matrix == Matrix::kUnstated && fallback_bt709);
  if (bt709) return picture.full_range ? &libyuv::kYuvF709Constants : &libyuv::kYuvH709Constants;
  return picture.full_range ? &libyuv::kYuvJPEGConstants : &libyuv::kYuvI601Constants;
}

// libyuv's conversion for the picture's chroma subsampling.
decltype(&libyuv::I420ToARGBMatrix) Converter(Chroma chroma) {
  switch (chroma) {
    case Chroma::k422: return &libyuv::I422ToARGBMatrix;
    case Chroma::k444: return &libyuv::I444ToARGBMatrix;
    case Chroma::k420: break;
  }
  return &libyuv::I420ToARGBMatrix;
}

struct FrameJob {
  Bytes data;
  Bytes pixels;
  int width;
  int height;
  bool bottom_up;
  bool fallback_bt709;
};

}  // namespace

class DecodeWorker : public Napi::AsyncWorker {
 public:
  DecodeWorker(Napi::Env env, VideoDecoderBinding* decoder, Napi::Object decoder_object,
               Napi::Object data, Napi::Object pixels, FrameJob job)
      : Napi::AsyncWorker(env, "screencap:video-decode"),
        deferred_(Napi::Promise::Deferred::New(env)),
        decoder_(decoder),
        // The references keep the decoder (its codec state) and the caller's buffers alive while
        // the worker thread uses them.
        decoder_ref_(Napi::Persistent(decoder_object)),
        data_ref_(Napi::Persistent(data)),
        pixels_ref_(Napi::Persistent(pixels)),
        job_(job) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    YuvPicture picture{};
    corrupt_ = decoder_->decoder_->Decode(job_.data.data, job_.data.length, &picture, &shown_);
    if (!corrupt_.empty() || !shown_) return;
    if (picture.width != job_.width || picture.height != job_.height) {
      corrupt_ = "the frame is " + std::to_string(picture.width) + "x" +
                 std::to_string(picture.height) + ", the stream says " +
                 std::to_string(job_.width) + "x" + std::to_string(job_.height);
      return;
    }
    // A negative height makes libyuv write the rows bottom-up: the flip costs nothing extra.
    Converter(picture.chroma)(picture.y, picture.y_stride, picture.u, picture.uv_stride, picture.v,
                              picture.uv_stride, job_.pixels.data, job_.width * 4,
                              Constants(picture, job_.fallback_bt709), job_.width,
                              job_.bottom_up ? -job_.height : job_.height);
  }

  void OnOK() override {
    Napi::Env env = Env();
    decoder_->FinishWork();
    if (!corrupt_.empty()) {
      deferred_.Resolve(Napi::String::New(env, corrupt_));
    } else {
      deferred_.Resolve(Napi::Boolean::New(env, shown_));
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  VideoDecoderBinding* decoder_;
  Napi::ObjectReference decoder_ref_;
  Napi::ObjectReference data_ref_;
  Napi::ObjectReference pixels_ref_;
  FrameJob job_;
  std::string corrupt_;
  bool shown_ = false;
};

Napi::Function VideoDecoderBinding::Define(Napi::Env env) {
  return DefineClass(env, "VideoDecoder",
                     {InstanceMethod<&VideoDecoderBinding::Decode>("decode"),
                      InstanceMethod<&VideoDecoderBinding::Close>("close")});
}

VideoDecoderBinding::VideoDecoderBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<VideoDecoderBinding>(info) {
  const std::string codec = RequireOneOf(info[0], "codec", {"h264", "vp8"});
  std::string error;
  decoder_ = codec == "h264" ? CreateH264Decoder(&error) : CreateVp8Decoder(&error);
  if (!decoder_) throw Napi::Error::New(info.Env(), error);
}

Napi::Value VideoDecoderBinding::Decode(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "the video decoder is closed");
  if (busy_) {
    // Frames refer to the ones before them: they must go in one at a time and in order.
    throw Napi::Error::New(env, "decode() is already running on this decoder; await it first");
  }
  FrameJob job{};
  job.data = RequireTypedArray(info[0], "data");
  job.width = RequireInt(info[1], "width", 1, kMaxSide);
  job.height = RequireInt(info[2], "height", 1, kMaxSide);
  job.pixels = RequireTypedArray(info[3], "pixels");
  job.bottom_up = RequireBool(info[4], "bottomUp");
  job.fallback_bt709 = RequireOneOf(info[5], "matrix", {"bt601", "bt709"}) == "bt709";
  const size_t needed = static_cast<size_t>(job.width) * job.height * 4;
  if (job.pixels.length < needed) {
    throw Napi::TypeError::New(env, "pixels must hold " + std::to_string(needed) + " bytes for a " +
                                        std::to_string(job.width) + "x" +
                                        std::to_string(job.height) + " frame; got " +
                                        std::to_string(job.pixels.length));
  }
  auto* worker = new DecodeWorker(env, this, Value(), info[0].As<Napi::Object>(),
                                  info[3].As<Napi::Object>(), job);
  Napi::Promise promise = worker->Promise();
  busy_ = true;
  worker->Queue();  // the worker deletes itself after OnOK
  return promise;
}

void VideoDecoderBinding::FinishWork() {
  busy_ = false;
  if (closed_) decoder_.reset();
}

void VideoDecoderBinding::Close(const Napi::CallbackInfo&) {
  closed_ = true;
  // A worker thread may be inside the codec; it is then freed when that frame is done.
  if (!busy_) decoder_.reset();
}

}  // namespace screencap
