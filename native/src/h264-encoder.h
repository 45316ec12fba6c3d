// The Encoder class seen from JavaScript: wraps an H264Session and runs each encode() on a
// libuv worker thread, returning a Promise. One encode at a time per encoder.
#pragma once

#include <napi.h>

#include "h264-session.h"

namespace screencap {

class H264EncoderBinding : public Napi::ObjectWrap<H264EncoderBinding> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit H264EncoderBinding(const Napi::CallbackInfo& info);

  // Called on the JS thread by the worker when its frame is done (either way).
  void FinishWork();

 private:
  Napi::Value Encode(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  H264Session session_;
  int width_ = 0;
  int height_ = 0;
  bool busy_ = false;
  bool closed_ = false;

  friend class EncodeWorker;
};

}  // namespace screencap
