#include "rect-copy.h"

#include <libyuv.h>

#include <cstdint>
#include <string>

#include "arguments.h"
#include "stream-copy.h"

namespace screencap {

namespace {

constexpr int kMaxSide = 16384;

}  // namespace

Napi::Value CopyRects(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Bytes src = RequireTypedArray(info[0], "src");
  const int src_stride = RequireInt(info[1], "srcStride", 4, kMaxSide * 8);
  const Bytes dst = RequireTypedArray(info[2], "dst");
  const int dst_stride = RequireInt(info[3], "dstStride", 4, kMaxSide * 8);
  const bool swap = RequireBool(info[4], "swapRedBlue");
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "rects must be an Int32Array");
  }
  Napi::Int32Array rects = info[5].As<Napi::Int32Array>();
  if (rects.ElementLength() % 4 != 0) {
    throw Napi::TypeError::New(env, "rects must hold x, y, width, height quadruples");
  }
  const uint8_t* src_end = src.data + src.length;
  const uint8_t* dst_end = dst.data + dst.length;
  if (src.data < dst_end && dst.data < src_end) throw Napi::TypeError::New(env, "dst overlaps src");
  // Every rectangle is checked before any is copied: a bad one copies nothing.
  for (size_t i = 0; i < rects.ElementLength(); i += 4) {
    const int x = rects[i], y = rects[i + 1], width = rects[i + 2], height = rects[i + 3];
    if (x < 0 || y < 0 || width < 1 || height < 1 || x > kMaxSide || y > kMaxSide ||
        width > kMaxSide || height > kMaxSide) {
      throw Napi::TypeError::New(env, "rects[" + std::to_string(i / 4) + "] is not a rectangle inside a 16384 x 16384 image");
    }
    RequireRectFits(env, src, "src", y * src_stride + x * 4, src_stride, width * 4, height);
    RequireRectFits(env, dst, "dst", y * dst_stride + x * 4, dst_stride, width * 4, height);
  }
  for (size_t i = 0; i < rects.ElementLength(); i += 4) {
    const int x = rects[i], y = rects[i + 1], width = rects[i + 2], height = rects[i + 3];
    const uint8_t* from = src.data + static_cast<size_t>(y) * src_stride + x * 4;
    uint8_t* to = dst.data + static_cast<size_t>(y) * dst_stride + x * 4;
    if (swap) {
      libyuv::ARGBToABGR(from, src_stride, to, dst_stride, width, height);
    } else {
      StreamCopyPlane(from, src_stride, to, dst_stride, width * 4, height);
    }
  }
  return env.Undefined();
}

}  // namespace screencap
