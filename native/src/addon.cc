// The screencap native addon: H264Encoder (openh264), transform and convertRows (libyuv),
// blendPointer, decodeQuic, decodeLzPass/decodeLzBytes/decodeGlzPass, decodeLz4,
// expandIndexedRows, VideoDecoder (openh264, libvpx).
#include <napi.h>

#include "h264-encoder.h"
#include "indexed-rows.h"
#include "lz-decoder.h"
#include "lz4-decoder.h"
#include "mapped-file.h"
#include "rect-copy.h"
#include "pixel-rows.h"
#include "pointer-blend.h"
#include "quic-decoder.h"
#include "transform-worker.h"
#include "video-decoder.h"

namespace {

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("H264Encoder", screencap::H264EncoderBinding::Define(env));
  exports.Set("transform", Napi::Function::New<screencap::Transform>(env, "transform"));
  exports.Set("transformNow", Napi::Function::New<screencap::TransformNow>(env, "transformNow"));
  exports.Set("convertRows", Napi::Function::New<screencap::ConvertRows>(env, "convertRows"));
  exports.Set("blendPointer", Napi::Function::New<screencap::BlendPointer>(env, "blendPointer"));
  exports.Set("decodeQuic", Napi::Function::New<screencap::DecodeQuic>(env, "decodeQuic"));
  exports.Set("decodeLzPass", Napi::Function::New<screencap::DecodeLzPass>(env, "decodeLzPass"));
  exports.Set("decodeLzBytes", Napi::Function::New<screencap::DecodeLzBytes>(env, "decodeLzBytes"));
  exports.Set("decodeGlzPass", Napi::Function::New<screencap::DecodeGlzPass>(env, "decodeGlzPass"));
  exports.Set("decodeLz4", Napi::Function::New<screencap::DecodeLz4>(env, "decodeLz4"));
  exports.Set("expandIndexedRows", Napi::Function::New<screencap::ExpandIndexedRows>(env, "expandIndexedRows"));
  exports.Set("VideoDecoder", screencap::VideoDecoderBinding::Define(env));
  exports.Set("MappedFile", screencap::DefineMappedFile(env));
  exports.Set("copyRects", Napi::Function::New<screencap::CopyRects>(env, "copyRects"));
  return exports;
}

}  // namespace

NODE_API_MODULE(screencap_native, InitAddon)
