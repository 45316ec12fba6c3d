#include "pointer-blend.h"

#include <cstdint>
#include <string>

#include "arguments.h"

namespace screencap {

namespace {

constexpr int kMaxSide = 16384;

inline uint8_t Over(uint32_t s, uint32_t d, uint32_t a) {
  return static_cast<uint8_t>((s * a + d * (255 - a) + 127) / 255);
}

}  // namespace

Napi::Value BlendPointer(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Bytes dst = RequireTypedArray(info[0], "dst");
  const int dst_offset = RequireInt(info[1], "dstOffset", 0, INT32_MAX);
  const int dst_stride = RequireInt(info[2], "dstStride", 4, kMaxSide * 8);
  const Bytes src = RequireTypedArray(info[3], "src");
  const int src_offset = RequireInt(info[4], "srcOffset", 0, INT32_MAX);
  const int src_stride = RequireInt(info[5], "srcStride", 4, kMaxSide * 8);
  const int width = RequireInt(info[6], "width", 1, kMaxSide);
  const int height = RequireInt(info[7], "height", 1, kMaxSide);
  const bool swap = RequireBool(info[8], "swapRedBlue");
  RequireRectFits(env, dst, "dst", dst_offset, dst_stride, width * 4, height);
  RequireRectFits(env, src, "src", src_offset, src_stride, width * 4, height);
  const uint8_t* s_start = src.data + src_offset;
  uint8_t* d_start = dst.data + dst_offset;
  const uint8_t* s_end = s_start + static_cast<size_t>(src_stride) * (height - 1) + width * 4;
  const uint8_t* d_end = d_start + static_cast<size_t>(dst_stride) * (height - 1) + width * 4;
  if (s_start < d_end && d_start < s_end) throw Napi::TypeError::New(env, "dst overlaps src");

  const int red = swap ? 2 : 0;
  const int blue = swap ? 0 : 2;
  for (int y = 0; y < height; y++) {
    const uint8_t* s = s_start + static_cast<size_t>(y) * src_stride;
    uint8_t* d = d_start + static_cast<size_t>(y) * dst_stride;
    for (int x = 0; x < width; x++, s += 4, d += 4) {
      const uint32_t a = s[3];
      if (a == 0) continue;
      d[red] = Over(s[0], d[red], a);
      d[1] = Over(s[1], d[1], a);
      d[blue] = Over(s[2], d[blue], a);
    }
  }
  return env.Undefined();
}

}  // namespace screencap
