#include "h264-encoder.h"

#include "arguments.h"

namespace screencap {

namespace {

// openh264's own ceiling for the picture size is far below this; the bound only keeps sizes
// and strides inside int arithmetic.
constexpr int kMaxSide = 16384;
// iMultipleThreadIdc is an unsigned short; openh264 caps the count itself.
constexpr int kMaxThreads = 64;

const char* FrameTypeName(FrameKind kind) {
  switch (kind) {
    case FrameKind::kIdr: return "idr";
    case FrameKind::kIntra: return "i";
    case FrameKind::kPredicted: return "p";
    case FrameKind::kSkipped: return "skip";
  }
  return "p";
}

}  // namespace

class EncodeWorker : public Napi::AsyncWorker {
 public:
  EncodeWorker(Napi::Env env, H264EncoderBinding* encoder, Napi::Object encoder_object,
               Napi::Buffer<uint8_t> pixels, InputFrame frame)
      : Napi::AsyncWorker(env, "screencap:h264-encode"),
        deferred_(Napi::Promise::Deferred::New(env)),
        encoder_(encoder),
        // Both references keep their objects alive while a worker thread uses them: the
        // encoder (its openh264 instance) and the caller's pixels.
        encoder_ref_(Napi::Persistent(encoder_object)),
        pixels_ref_(Napi::Persistent(pixels)),
        frame_(frame) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const std::string error = encoder_->session_.Encode(frame_, output_);
    if (!error.empty()) SetError(error);
  }

  void OnOK() override {
    Napi::Env env = Env();
    encoder_->FinishWork();
    Napi::Object result = Napi::Object::New(env);
    result.Set("data", Napi::Buffer<uint8_t>::Copy(env, output_.bytes.data(), output_.bytes.size()));
    Napi::Array sizes = Napi::Array::New(env, output_.nal_sizes.size());
    for (uint32_t i = 0; i < output_.nal_sizes.size(); ++i) sizes.Set(i, output_.nal_sizes[i]);
    result.Set("nalSizes", sizes);
    result.Set("frameType", FrameTypeName(output_.kind));
    result.Set("convertMicros", static_cast<double>(output_.convert_micros));
    result.Set("encodeMicros", static_cast<double>(output_.encode_micros));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    encoder_->FinishWork();
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  H264EncoderBinding* encoder_;
  Napi::ObjectReference encoder_ref_;
  Napi::Reference<Napi::Buffer<uint8_t>> pixels_ref_;
  InputFrame frame_;
  EncodedOutput output_;
};

Napi::Function H264EncoderBinding::Define(Napi::Env env) {
  return DefineClass(env, "H264Encoder",
                     {
                         InstanceMethod<&H264EncoderBinding::Encode>("encode"),
                         InstanceMethod<&H264EncoderBinding::Close>("close"),
                     });
}

H264EncoderBinding::H264EncoderBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<H264EncoderBinding>(info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "options must be an object");
  const Napi::Object options = info[0].As<Napi::Object>();
  H264Config config{};
  config.width = RequireInt(options.Get("width"), "width", 2, kMaxSide);
  config.height = RequireInt(options.Get("height"), "height", 2, kMaxSide);
  if (config.width % 2 != 0 || config.height % 2 != 0) {
    // I420 halves both sides for the chroma planes.
    throw Napi::TypeError::New(info.Env(), "width and height must be even");
  }
  config.screen_content = RequireOneOf(options.Get("usage"), "usage", {"screen", "camera"}) == "screen";
  config.quality_mode =
      RequireOneOf(options.Get("rateControl"), "rateControl", {"bitrate", "quality"}) == "quality";
  config.bitrate_bps = RequireInt(options.Get("bitrateBps"), "bitrateBps", 1, 0x7fffffff);
  config.max_frame_rate = static_cast<float>(RequireNumber(options.Get("maxFrameRate"), "maxFrameRate"));
  config.keyframe_interval_frames = static_cast<unsigned>(
      RequireInt(options.Get("keyframeIntervalFrames"), "keyframeIntervalFrames", 0, 0x7fffffff));
  config.threads = RequireInt(options.Get("threads"), "threads", 1, kMaxThreads);
  config.frame_skip = RequireBool(options.Get("frameSkip"), "frameSkip");
  const std::string error = session_.Open(config);
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  width_ = config.width;
  height_ = config.height;
}

Napi::Value H264EncoderBinding::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "encoder is closed");
  if (busy_) {
    // openh264 keeps state between frames, so frames must go in one at a time and in order.
    throw Napi::Error::New(env, "encode() is already running on this encoder; await it first");
  }
  // null pixels: the previous frame's picture again (format and stride are then ignored).
  const bool again = info[0].IsNull();
  Napi::Buffer<uint8_t> pixels = again ? Napi::Buffer<uint8_t>::New(env, 0) : RequireBuffer(info[0], "pixels");
  InputFrame frame{};
  frame.format = again ? PixelFormat::kRgba8 : RequirePixelFormat(info[1], "format");
  frame.stride = again ? width_ * 4 : RequireInt(info[2], "stride", 4, kMaxSide * 8);
  if (!again) RequireImageFits(pixels, "pixels", width_, height_, frame.stride);
  frame.force_keyframe = RequireBool(info[3], "forceKeyframe");
  frame.timestamp_ms = static_cast<int64_t>(RequireNumber(info[4], "timestampMs"));
  frame.sharp = info[5].IsUndefined() ? false : RequireBool(info[5], "sharp");
  frame.pixels = again ? nullptr : pixels.Data();

  auto* worker = new EncodeWorker(env, this, Value(), pixels, frame);
  Napi::Promise promise = worker->Promise();
  busy_ = true;
  worker->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

void H264EncoderBinding::Close(const Napi::CallbackInfo&) {
  closed_ = true;
  // A worker thread may be inside the session; it is then closed when that frame is done.
  if (!busy_) session_.Close();
}

void H264EncoderBinding::FinishWork() {
  busy_ = false;
  if (closed_) session_.Close();
}

}  // namespace screencap
