#include "pixel-rows.h"

#include <libyuv.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "arguments.h"

namespace screencap {

namespace {

// The same bound as the transform: every byte offset stays well inside int arithmetic.
constexpr int kMaxSide = 16384;
constexpr uint32_t kOpaque = 0xFF000000u;

enum class Kind { kBgr24, kRgb24, kRgb555, kGray8, kBgrx32, kBgrx32FiveBit, kGrayInAlpha32, kAlpha32 };

struct KindInfo {
  const char* name;
  Kind kind;
  int source_bytes;  // per pixel
};

constexpr KindInfo kKinds[] = {
    {"bgr24", Kind::kBgr24, 3},           {"rgb24", Kind::kRgb24, 3},
    {"rgb555", Kind::kRgb555, 2},         {"gray8", Kind::kGray8, 1},
    {"bgrx32", Kind::kBgrx32, 4},         {"bgrx32-5bit", Kind::kBgrx32FiveBit, 4},
    {"gray-in-alpha32", Kind::kGrayInAlpha32, 4}, {"alpha32", Kind::kAlpha32, 4},
};

const KindInfo& RequireKind(const Napi::Value& value) {
  if (value.IsString()) {
    const std::string name = value.As<Napi::String>().Utf8Value();
    for (const KindInfo& info : kKinds) {
      if (name == info.name) return info;
    }
  }
  std::string list;
  for (const KindInfo& info : kKinds) list += (list.empty() ? "'" : ", '") + std::string(info.name) + "'";
  throw Napi::TypeError::New(value.Env(), "kind must be one of " + list);
}

// Plain loops for the 32-bit kinds: the compiler vectorises them, and libyuv has no single call
// for "set alpha" or these byte spreads.
void ForEachRow(const uint8_t* src, int src_stride, uint8_t* dst, int dst_stride, int width,
                int height, uint32_t (*pixel)(uint32_t)) {
  for (int y = 0; y < height; y++) {
    const uint8_t* s = src + static_cast<size_t>(y) * src_stride;
    uint8_t* d = dst + static_cast<size_t>(y) * dst_stride;
    for (int x = 0; x < width; x++) {
      uint32_t value;
      std::memcpy(&value, s + x * 4, 4);
      value = pixel(value);
      std::memcpy(d + x * 4, &value, 4);
    }
  }
}

uint32_t Opaque(uint32_t p) { return p | kOpaque; }

// 5-bit channel values widened as the reference client widens them: v << 3 | v >> 2.
uint32_t WidenFiveBit(uint32_t p) {
  const uint32_t b = p & 0x1F;
  const uint32_t g = (p >> 8) & 0x1F;
  const uint32_t r = (p >> 16) & 0x1F;
  return kOpaque | (((r << 3) | (r >> 2)) << 16) | (((g << 3) | (g >> 2)) << 8) | ((b << 3) | (b >> 2));
}

uint32_t GrayFromAlpha(uint32_t p) { return kOpaque | ((p >> 24) * 0x010101u); }

}  // namespace

Napi::Value ConvertRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const KindInfo& kind = RequireKind(info[0]);
  const Bytes src = RequireTypedArray(info[1], "src");
  const int src_offset = RequireInt(info[2], "srcOffset", 0, INT32_MAX);
  const int src_stride = RequireInt(info[3], "srcStride", 1, kMaxSide * 8);
  const Bytes dst = RequireTypedArray(info[4], "dst");
  const int dst_offset = RequireInt(info[5], "dstOffset", 0, INT32_MAX);
  const int dst_stride = RequireInt(info[6], "dstStride", 4, kMaxSide * 8);
  const int width = RequireInt(info[7], "width", 1, kMaxSide);
  const int height = RequireInt(info[8], "height", 1, kMaxSide);
  RequireRectFits(env, src, "src", src_offset, src_stride, width * kind.source_bytes, height);
  RequireRectFits(env, dst, "dst", dst_offset, dst_stride, width * 4, height);

  const uint8_t* s = src.data + src_offset;
  uint8_t* d = dst.data + dst_offset;
  // Only an exact in-place conversion is safe (each pixel read before it is written); a shifted
  // overlap would read pixels already converted.
  const bool same = s == d && src_stride == dst_stride && kind.source_bytes == 4;
  const uint8_t* s_end = s + static_cast<size_t>(src_stride) * (height - 1) + width * kind.source_bytes;
  const uint8_t* d_end = d + static_cast<size_t>(dst_stride) * (height - 1) + width * 4;
  if (!same && s < d_end && d < s_end) {
    throw Napi::TypeError::New(env, "dst overlaps src (only an exact in-place 32-bit conversion is allowed)");
  }

  switch (kind.kind) {
    case Kind::kBgr24:
      libyuv::RGB24ToARGB(s, src_stride, d, dst_stride, width, height);
      break;
    case Kind::kRgb24:
      libyuv::RAWToARGB(s, src_stride, d, dst_stride, width, height);
      break;
    case Kind::kRgb555:
      // libyuv widens 5 bits exactly as SPICE does (v << 3 | v >> 2) but takes the top bit as
      // alpha; SPICE leaves it unused, so the result is made opaque afterwards.
      libyuv::ARGB1555ToARGB(s, src_stride, d, dst_stride, width, height);
      ForEachRow(d, dst_stride, d, dst_stride, width, height, Opaque);
      break;
    case Kind::kGray8:
      libyuv::J400ToARGB(s, src_stride, d, dst_stride, width, height);
      break;
    case Kind::kBgrx32:
      ForEachRow(s, src_stride, d, dst_stride, width, height, Opaque);
      break;
    case Kind::kBgrx32FiveBit:
      ForEachRow(s, src_stride, d, dst_stride, width, height, WidenFiveBit);
      break;
    case Kind::kGrayInAlpha32:
      ForEachRow(s, src_stride, d, dst_stride, width, height, GrayFromAlpha);
      break;
    case Kind::kAlpha32:
      if (!same) libyuv::ARGBCopyAlpha(s, src_stride, d, dst_stride, width, height);
      break;
  }
  return env.Undefined();
}

}  // namespace screencap
