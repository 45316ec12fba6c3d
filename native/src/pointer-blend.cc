#include "pointer-blend.h"

#include <cstdint>
#include <string>

#include "arguments.h"

namespace screencap {

namespace {

constexpr int kMaxSide = 16384;

struct Bytes {
  uint8_t* data;
  size_t length;
};

Bytes RequireView(const Napi::Value& value, const char* field) {
  if (!value.IsTypedArray()) {
    throw Napi::TypeError::New(value.Env(), std::string(field) + " must be a typed array");
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  return Bytes{static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(),
               array.ByteLength()};
}

void RequireRows(const Napi::Env& env, const Bytes& bytes, const char* field, int offset,
                 int stride, int width, int height) {
  const int row_bytes = width * 4;
  if (stride < row_bytes) {
    throw Napi::TypeError::New(env, std::string(field) + " stride " + std::to_string(stride) +
                                        " is less than a row's " + std::to_string(row_bytes) +
                                        " bytes");
  }
  const size_t needed = static_cast<size_t>(offset) + static_cast<size_t>(stride) * (height - 1) +
                        static_cast<size_t>(row_bytes);
  if (bytes.length < needed) {
    throw Napi::TypeError::New(env, std::string(field) + " holds " + std::to_string(bytes.length) +
                                        " bytes; the rows need " + std::to_string(needed));
  }
}

inline uint8_t Over(uint32_t s, uint32_t d, uint32_t a) {
  return static_cast<uint8_t>((s * a + d * (255 - a) + 127) / 255);
}

}  // namespace

Napi::Value BlendPointer(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Bytes dst = RequireView(info[0], "dst");
  const int dst_offset = RequireInt(info[1], "dstOffset", 0, INT32_MAX);
  const int dst_stride = RequireInt(info[2], "dstStride", 4, kMaxSide * 8);
  const Bytes src = RequireView(info[3], "src");
  const int src_offset = RequireInt(info[4], "srcOffset", 0, INT32_MAX);
  const int src_stride = RequireInt(info[5], "srcStride", 4, kMaxSide * 8);
  const int width = RequireInt(info[6], "width", 1, kMaxSide);
  const int height = RequireInt(info[7], "height", 1, kMaxSide);
  const bool swap = RequireBool(info[8], "swapRedBlue");
  RequireRows(env, dst, "dst", dst_offset, dst_stride, width, height);
  RequireRows(env, src, "src", src_offset, src_stride, width, height);
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
