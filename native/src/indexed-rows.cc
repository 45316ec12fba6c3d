#include "indexed-rows.h"

#include <cstdint>
#include <string>

#include "arguments.h"

namespace screencap {
namespace {

constexpr int kMaxSide = 65536;
constexpr uint32_t kOpaque = 0xff000000u;

enum class Kind { kIndex8, kIndex4LowFirst, kIndex4HighFirst, kIndex1LsbFirst, kIndex1MsbFirst, kAlpha8 };

Kind KindOf(const std::string& name) {
  if (name == "index8") return Kind::kIndex8;
  if (name == "index4-low-first") return Kind::kIndex4LowFirst;
  if (name == "index4-high-first") return Kind::kIndex4HighFirst;
  if (name == "index1-lsb-first") return Kind::kIndex1LsbFirst;
  if (name == "index1-msb-first") return Kind::kIndex1MsbFirst;
  return Kind::kAlpha8;
}

size_t RowBytes(Kind kind, size_t width) {
  switch (kind) {
    case Kind::kIndex4LowFirst:
    case Kind::kIndex4HighFirst:
      return (width + 1) / 2;
    case Kind::kIndex1LsbFirst:
    case Kind::kIndex1MsbFirst:
      return (width + 7) / 8;
    default:
      return width;
  }
}

}  // namespace

Napi::Value ExpandIndexedRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Kind kind = KindOf(RequireOneOf(info[0], "kind",
                                        {"index8", "index4-low-first", "index4-high-first", "index1-lsb-first",
                                         "index1-msb-first", "alpha8"}));
  const Bytes data = RequireTypedArray(info[1], "data");
  const int stride = RequireInt(info[2], "stride", 0, kMaxSide * 4);
  const int width = RequireInt(info[3], "width", 1, kMaxSide);
  const int height = RequireInt(info[4], "height", 1, kMaxSide);
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, "palette must be a Uint32Array");
  }
  const Napi::Uint32Array palette = info[5].As<Napi::Uint32Array>();
  const bool wrap = RequireBool(info[6], "wrapIndexes");
  if (!info[7].IsTypedArray() || info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, "out must be a Uint32Array");
  }
  Napi::Uint32Array out_array = info[7].As<Napi::Uint32Array>();
  const size_t row_bytes = RowBytes(kind, width);
  if (static_cast<size_t>(stride) < row_bytes) {
    throw Napi::TypeError::New(env, "stride " + std::to_string(stride) + " is less than a row's " + std::to_string(row_bytes) + " bytes");
  }
  if (data.length < static_cast<size_t>(stride) * (height - 1) + row_bytes) {
    throw Napi::TypeError::New(env, "data holds " + std::to_string(data.length) + " bytes, too few for " + std::to_string(height) + " rows");
  }
  const size_t pixels = static_cast<size_t>(width) * height;
  if (out_array.ElementLength() < pixels) {
    throw Napi::TypeError::New(env, "out holds " + std::to_string(out_array.ElementLength()) + " pixels, the image has " + std::to_string(pixels));
  }
  // Every index's colour, resolved once: opaque, and opaque black past the palette's end (for
  // 4-bit indexes with wrapIndexes, wrapped around it instead).
  const size_t entries = palette.ElementLength();
  const bool four_bit = kind == Kind::kIndex4LowFirst || kind == Kind::kIndex4HighFirst;
  uint32_t colours[256];
  for (size_t i = 0; i < 256; i++) {
    const size_t index = four_bit && wrap && entries > 0 ? i % entries : i;
    colours[i] = index < entries ? (palette[index] | kOpaque) : kOpaque;
  }
  uint32_t* out = out_array.Data();
  for (int y = 0; y < height; y++) {
    const uint8_t* row = data.data + static_cast<size_t>(y) * stride;
    uint32_t* o = out + static_cast<size_t>(y) * width;
    switch (kind) {
      case Kind::kIndex8:
        for (int x = 0; x < width; x++) o[x] = colours[row[x]];
        break;
      case Kind::kAlpha8:
        for (int x = 0; x < width; x++) o[x] = static_cast<uint32_t>(row[x]) << 24;
        break;
      case Kind::kIndex4LowFirst:
        for (int x = 0; x < width; x++) o[x] = colours[(x & 1) == 0 ? row[x >> 1] & 0x0f : row[x >> 1] >> 4];
        break;
      case Kind::kIndex4HighFirst:
        for (int x = 0; x < width; x++) o[x] = colours[(x & 1) == 0 ? row[x >> 1] >> 4 : row[x >> 1] & 0x0f];
        break;
      case Kind::kIndex1LsbFirst:
        for (int x = 0; x < width; x++) o[x] = colours[(row[x >> 3] >> (x & 7)) & 1];
        break;
      case Kind::kIndex1MsbFirst:
        for (int x = 0; x < width; x++) o[x] = colours[(row[x >> 3] >> (7 - (x & 7))) & 1];
        break;
    }
  }
  return env.Undefined();
}

}  // namespace screencap
