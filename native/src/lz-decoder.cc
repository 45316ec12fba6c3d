#include "lz-decoder.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "arguments.h"

namespace screencap {

namespace {

// What a pass writes of each 32-bit pixel, and so how its literals are read (lz-common.ts's Pass).
enum class Pass { kRgb32 = 0, kRgb16 = 1, kAlpha = 2 };

constexpr uint32_t kOpaque = 0xff000000u;
constexpr uint32_t kMaxDistance = 8191;
constexpr int64_t kTruncated = -1;

// 0555 with the standard bit replication (x << 3 | x >> 2), as rgb555ToPixel.
uint32_t Rgb555ToPixel(uint32_t v) {
  const uint32_t r = (v >> 10) & 31;
  const uint32_t g = (v >> 5) & 31;
  const uint32_t b = v & 31;
  return kOpaque | (((r << 3) | (r >> 2)) << 16) | (((g << 3) | (g >> 2)) << 8) | ((b << 3) | (b >> 2));
}

// The input of a pass: `data[0, end)`, read from `ip`.
struct Input {
  const uint8_t* data;
  size_t end;
  size_t ip;
};

// Copies `n` literal pixels to out[op]; false when the input ends first.
bool CopyLiterals(Input& in, uint32_t* out, size_t op, size_t n, Pass pass) {
  const uint8_t* p = in.data + in.ip;
  switch (pass) {
    case Pass::kRgb32:
      if (in.ip + 3 * n > in.end) return false;
      for (size_t i = 0; i < n; i++, p += 3) out[op + i] = kOpaque | p[0] | (p[1] << 8) | (p[2] << 16);
      in.ip += 3 * n;
      return true;
    case Pass::kRgb16:
      if (in.ip + 2 * n > in.end) return false;
      for (size_t i = 0; i < n; i++, p += 2) out[op + i] = Rgb555ToPixel((p[0] << 8) | p[1]);
      in.ip += 2 * n;
      return true;
    case Pass::kAlpha:
      if (in.ip + n > in.end) return false;
      for (size_t i = 0; i < n; i++) out[op + i] = (out[op + i] & 0x00ffffffu) | (static_cast<uint32_t>(p[i]) << 24);
      in.ip += n;
      return true;
  }
  return false;
}

// The alpha bytes of `n` pixels of `from` into `to`, which do not overlap (so the loop
// vectorizes).
void MergeAlpha(const uint32_t* __restrict from, uint32_t* __restrict to, size_t n) {
  for (size_t i = 0; i < n; i++) to[i] = (to[i] & 0x00ffffffu) | (from[i] & 0xff000000u);
}

// CopyMatch's alpha pass: the same periods as the colour pass, on the alpha byte alone.
void CopyAlphaMatch(const uint32_t* src, size_t ref, uint32_t* out, size_t op, size_t len) {
  if (src != out || ref + len <= op) {
    MergeAlpha(src + ref, out + op, len);
  } else if (op - ref == 1) {
    const uint32_t alpha = out[ref] & 0xff000000u;
    for (size_t i = 0; i < len; i++) out[op + i] = (out[op + i] & 0x00ffffffu) | alpha;
  } else {
    const size_t period = op - ref;
    for (size_t done = 0; done < len; done += period) MergeAlpha(out + ref + done, out + op + done, std::min(period, len - done));
  }
}

// Copies a match of `len` pixels from src[ref] to out[op]. A match within `out` that overlaps
// what it writes repeats its pattern, as LZ means it to: a run of one pixel (most matches of a
// flat picture) is a fill, a longer pattern is copied a period at a time. A pixel-by-pixel loop
// there made each pixel wait for the one before it, and decoded slower than V8's `fill`.
// Alpha passes copy only the alpha byte.
void CopyMatch(const uint32_t* src, size_t ref, uint32_t* out, size_t op, size_t len, Pass pass) {
  if (pass == Pass::kAlpha) {
    CopyAlphaMatch(src, ref, out, op, len);
  } else if (src != out || ref + len <= op) {
    std::memcpy(out + op, src + ref, len * 4);
  } else if (op - ref == 1) {
    std::fill(out + op, out + op + len, out[ref]);
  } else {
    const size_t period = op - ref;
    for (size_t done = 0; done < len; done += period) {
      std::memcpy(out + op + done, out + ref + done, std::min(period, len - done) * 4);
    }
  }
}

// CopyMatch for the byte-unit pass.
void CopyBytesMatch(uint8_t* out, size_t ref, size_t op, size_t len) {
  if (ref + len <= op) {
    std::memcpy(out + op, out + ref, len);
  } else if (op - ref == 1) {
    std::memset(out + op, out[ref], len);
  } else {
    const size_t period = op - ref;
    for (size_t done = 0; done < len; done += period) std::memcpy(out + op + done, out + ref + done, std::min(period, len - done));
  }
}

// A long match's length bytes (its control byte's length field all ones): each byte is added
// to *length, and a byte of 255 is followed by another. False when the input ends first.
template <typename Length>
bool AddLengthBytes(Input& in, Length* length) {
  uint32_t code;
  do {
    if (in.ip >= in.end) return false;
    code = in.data[in.ip++];
    *length += code;
  } while (code == 255);
  return true;
}

// A match's length (before the pass's bias) and distance, read after its control byte (lz.ts's
// readMatch); false when the input ends first.
bool ReadLzMatch(Input& in, uint32_t ctrl, size_t* len, size_t* distance) {
  size_t length = (ctrl >> 5) - 1;
  uint32_t offset = (ctrl & 31) << 8;
  if (length == 6 && !AddLengthBytes(in, &length)) return false;
  if (in.ip >= in.end) return false;
  const uint32_t code = in.data[in.ip++];
  offset += code;
  if (code == 255 && offset - code == 31u << 8) {
    if (in.ip + 2 > in.end) return false;
    offset = (in.data[in.ip] << 8) + in.data[in.ip + 1] + kMaxDistance;
    in.ip += 2;
  }
  *len = length;
  *distance = static_cast<size_t>(offset) + 1;
  return true;
}

// The loop every pass shares, over `count` units (pixels, or bytes): a control byte under 32
// is ctrl + 1 literals, written by unit.Literals(in, op, n); one of 32 and more starts a match,
// which match(in, ctrl, op, &len) reads and copies (false when it ends early or reaches outside).
template <typename Unit, typename Match>
int64_t RunPass(Input in, size_t count, const Unit& unit, const Match& match) {
  size_t op = 0;
  if (in.ip >= in.end) return kTruncated;
  uint32_t ctrl = in.data[in.ip++];
  for (;;) {
    size_t n;
    if (ctrl >= 32) {
      if (!match(in, ctrl, op, &n)) return kTruncated;
    } else {
      n = ctrl + 1;
      if (n > count - op || !unit.Literals(in, op, n)) return kTruncated;
    }
    op += n;
    if (op >= count) return static_cast<int64_t>(in.ip);
    if (in.ip >= in.end) return kTruncated;
    ctrl = in.data[in.ip++];
  }
}

// One LZ pass: matches within what is written, unit.bias added to their length and copied by
// unit.Match(ref, op, len).
template <typename Unit>
int64_t LzPass(Input in, size_t count, const Unit& unit) {
  return RunPass(in, count, unit, [&](Input& input, uint32_t ctrl, size_t op, size_t* len) {
    size_t distance;
    if (!ReadLzMatch(input, ctrl, len, &distance)) return false;
    *len += unit.bias;
    if (distance > op || *len > count - op) return false;
    unit.Match(op - distance, op, *len);
    return true;
  });
}

// The passes' units: 32-bit pixels, one pass's part of each (`bias`: LZ's match length bias).
struct PixelUnit {
  uint32_t* out;
  Pass pass;
  size_t bias;
  bool Literals(Input& in, size_t op, size_t n) const { return CopyLiterals(in, out, op, n, pass); }
  void Match(size_t ref, size_t op, size_t len) const { CopyMatch(out, ref, out, op, len, pass); }
};

// LZ's byte unit (palette indexes, A8), a match at least 3 of them.
struct ByteUnit {
  uint8_t* out;
  size_t bias = 3;
  bool Literals(Input& in, size_t op, size_t n) const {
    if (in.ip + n > in.end) return false;
    std::memcpy(out + op, in.data + in.ip, n);
    in.ip += n;
    return true;
  }
  void Match(size_t ref, size_t op, size_t len) const { CopyBytesMatch(out, ref, op, len); }
};

int64_t LzPixels(Input in, uint32_t* out, size_t count, Pass pass) {
  const size_t bias = pass == Pass::kAlpha ? 3 : pass == Pass::kRgb16 ? 2 : 1;
  return LzPass(in, count, PixelUnit{out, pass, bias});
}

int64_t LzBytes(Input in, uint8_t* out, size_t count) { return LzPass(in, count, ByteUnit{out}); }

// The dictionary's earlier images a GLZ pass refers to, asked of JavaScript once per distance.
class GlzImages {
 public:
  explicit GlzImages(Napi::Function image) : image_(image) {}

  // The pixels `distance` images back; throws (into JavaScript) what the window throws.
  const Bytes& At(uint64_t distance) {
    for (const Entry& entry : entries_) {
      if (entry.distance == distance) return entry.pixels;
    }
    const Napi::Value value = image_.Call({Napi::Number::New(image_.Env(), static_cast<double>(distance))});
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(image_.Env(), "image(distance) must return a Uint32Array");
    }
    entries_.push_back(Entry{distance, RequireTypedArray(value, "image(distance)")});
    return entries_.back().pixels;
  }

 private:
  struct Entry {
    uint64_t distance;
    Bytes pixels;
  };
  Napi::Function image_;
  std::vector<Entry> entries_;
};

// Reads a GLZ match after its control byte and copies it to out[op], from this image or an
// earlier one of the dictionary; sets its length. False when it ends early or reaches outside.
bool GlzMatch(Input& in, uint32_t ctrl, uint32_t* out, size_t op, size_t count, Pass pass, GlzImages& images, size_t* length) {
  const size_t bias = pass == Pass::kAlpha ? 2 : pass == Pass::kRgb16 ? 1 : 0;
  uint64_t len = ctrl >> 5;
  uint32_t pixel_flag = (ctrl >> 4) & 1;
  uint64_t pixel_offset = ctrl & 0x0f;
  if (len == 7 && !AddLengthBytes(in, &len)) return false;
  if (in.ip + 2 > in.end) return false;
  pixel_offset += static_cast<uint64_t>(in.data[in.ip++]) << 4;
  uint32_t code = in.data[in.ip++];
  const uint32_t image_flag = (code >> 6) & 3;
  uint64_t image_distance;
  if (!pixel_flag) {
    image_distance = code & 0x3f;
    if (in.ip + image_flag > in.end) return false;
    for (uint32_t i = 0; i < image_flag; i++) image_distance += static_cast<uint64_t>(in.data[in.ip++]) << (6 + 8 * i);
  } else {
    pixel_flag = (code >> 5) & 1;
    pixel_offset += static_cast<uint64_t>(code & 0x1f) << 12;
    image_distance = 0;
    if (in.ip + image_flag + pixel_flag > in.end) return false;
    for (uint32_t i = 0; i < image_flag; i++) image_distance += static_cast<uint64_t>(in.data[in.ip++]) << (8 * i);
    if (pixel_flag) pixel_offset += static_cast<uint64_t>(in.data[in.ip++]) << 17;
  }
  len += bias;
  if (len > count - op) return false;
  if (image_distance == 0) {
    // This image, the offset biased by one.
    if (pixel_offset + 1 > op) return false;
    CopyMatch(out, op - (pixel_offset + 1), out, op, len, pass);
  } else {
    const Bytes& earlier = images.At(image_distance);
    if (pixel_offset + len > earlier.length / 4) return false;
    CopyMatch(reinterpret_cast<const uint32_t*>(earlier.data), pixel_offset, out, op, len, pass);
  }
  *length = len;
  return true;
}

int64_t GlzPixels(Input in, uint32_t* out, size_t count, Pass pass, GlzImages& images) {
  return RunPass(in, count, PixelUnit{out, pass, 0}, [&](Input& input, uint32_t ctrl, size_t op, size_t* len) {
    return GlzMatch(input, ctrl, out, op, count, pass, images, len);
  });
}

// The arguments every pass takes: data and where to start in it, and `count` units of `out`.
struct PassArguments {
  Input in;
  uint8_t* out;
  size_t count;
};

PassArguments RequirePassArguments(const Napi::CallbackInfo& info, size_t unit) {
  const Bytes data = RequireTypedArray(info[0], "data");
  const int start = RequireInt(info[1], "start", 0, 0x7fffffff);
  const Bytes out = RequireTypedArray(info[2], "out");
  const int count = RequireInt(info[3], "count", 0, 0x7fffffff);
  if (static_cast<size_t>(count) * unit > out.length) {
    throw Napi::TypeError::New(info.Env(), "out holds fewer than count " + std::string(unit == 1 ? "bytes" : "pixels"));
  }
  if (unit == 4 && (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)) {
    throw Napi::TypeError::New(info.Env(), "out must be a Uint32Array");
  }
  return PassArguments{Input{data.data, data.length, static_cast<size_t>(start)}, out.data, static_cast<size_t>(count)};
}

Pass RequirePass(const Napi::Value& value) {
  return static_cast<Pass>(RequireInt(value, "pass", 0, 2));
}

}  // namespace

Napi::Value DecodeLzPass(const Napi::CallbackInfo& info) {
  const PassArguments args = RequirePassArguments(info, 4);
  const Pass pass = RequirePass(info[4]);
  const int64_t next = LzPixels(args.in, reinterpret_cast<uint32_t*>(args.out), args.count, pass);
  return Napi::Number::New(info.Env(), static_cast<double>(next));
}

Napi::Value DecodeLzBytes(const Napi::CallbackInfo& info) {
  const PassArguments args = RequirePassArguments(info, 1);
  return Napi::Number::New(info.Env(), static_cast<double>(LzBytes(args.in, args.out, args.count)));
}

Napi::Value DecodeGlzPass(const Napi::CallbackInfo& info) {
  const PassArguments args = RequirePassArguments(info, 4);
  const Pass pass = RequirePass(info[4]);
  if (!info[5].IsFunction()) throw Napi::TypeError::New(info.Env(), "image must be a function");
  GlzImages images(info[5].As<Napi::Function>());
  const int64_t next = GlzPixels(args.in, reinterpret_cast<uint32_t*>(args.out), args.count, pass, images);
  return Napi::Number::New(info.Env(), static_cast<double>(next));
}

}  // namespace screencap
