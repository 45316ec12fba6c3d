#include "video-decoder.h"

#include <libyuv.h>

#include "arguments.h"

namespace screencap {

namespace {

// The same bound as the QUIC decoder's and checkDimensions in decoded-image.ts.
constexpr int kMaxSide = 16384;

const libyuv::YuvConstants* Constants(const YuvPicture& picture, const std::string& fallback) {
  const bool bt709 = picture.matrix == Matrix::kBt709 ||
                     (picture.matrix == Matrix::kUnstated && fallback == "bt709");
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

}  // namespace

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
  if (!decoder_) throw Napi::Error::New(env, "the video decoder is closed");
  const Bytes data = RequireTypedArray(info[0], "data");
  const int width = RequireInt(info[1], "width", 1, kMaxSide);
  const int height = RequireInt(info[2], "height", 1, kMaxSide);
  const Bytes pixels = RequireTypedArray(info[3], "pixels");
  const bool bottom_up = RequireBool(info[4], "bottomUp");
  const std::string matrix = RequireOneOf(info[5], "matrix", {"bt601", "bt709"});
  const size_t needed = static_cast<size_t>(width) * height * 4;
  if (pixels.length < needed) {
    throw Napi::TypeError::New(env, "pixels must hold " + std::to_string(needed) + " bytes for a " +
                                        std::to_string(width) + "x" + std::to_string(height) +
                                        " frame; got " + std::to_string(pixels.length));
  }
  YuvPicture picture{};
  bool shown = false;
  const std::string corrupt = decoder_->Decode(data.data, data.length, &picture, &shown);
  if (!corrupt.empty()) return Napi::String::New(env, corrupt);
  if (!shown) return Napi::Boolean::New(env, false);
  if (picture.width != width || picture.height != height) {
    return Napi::String::New(env, "the frame is " + std::to_string(picture.width) + "x" +
                                      std::to_string(picture.height) + ", the stream says " +
                                      std::to_string(width) + "x" + std::to_string(height));
  }
  // A negative height makes libyuv write the rows bottom-up: the flip costs nothing extra.
  Converter(picture.chroma)(picture.y, picture.y_stride, picture.u, picture.uv_stride, picture.v,
                            picture.uv_stride, pixels.data, width * 4, Constants(picture, matrix),
                            width, bottom_up ? -height : height);
  return Napi::Boolean::New(env, true);
}

void VideoDecoderBinding::Close(const Napi::CallbackInfo&) { decoder_.reset(); }

}  // namespace screencap
