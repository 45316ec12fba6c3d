#include "lz4-decoder.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "arguments.h"

namespace screencap {
namespace {

// Runs and matches at most this long are copied as this many bytes at once.
constexpr size_t kShortCopy = 16;

// An LZ4 length's extension bytes (its 4-bit field all ones): each is added, and one of 255 is
// followed by another. Returns false when the block ends first.
bool AddLengthBytes(const uint8_t* src, size_t* sp, size_t send, size_t* length) {
  uint8_t b;
  do {
    if (*sp >= send) return false;
    b = src[(*sp)++];
    *length += b;
  } while (b == 255);
  return true;
}

// Copies a match of `length` bytes from `offset` back: at once when the two do not overlap, and
// otherwise a period at a time, which repeats the pattern as LZ4 means it to (an offset of 1 is
// a fill).
void CopyMatch(uint8_t* dst, size_t dp, size_t offset, size_t length) {
  const size_t ref = dp - offset;
  if (offset >= length) {
    std::memcpy(dst + dp, dst + ref, length);
  } else if (offset == 1) {
    std::memset(dst + dp, dst[ref], length);
  } else {
    for (size_t done = 0; done < length; done += offset) {
      std::memcpy(dst + dp + done, dst + ref + done, std::min(offset, length - done));
    }
  }
}

// One block, src[sp, send), into dst at *dp. Returns an empty string, or why it is corrupt in
// the JavaScript decoder's words (*sp then says where).
std::string DecodeBlock(const uint8_t* src, size_t* sp_io, size_t send, uint8_t* dst, size_t dend, size_t* dp_io) {
  size_t sp = *sp_io;
  size_t dp = *dp_io;
  std::string why;
  while (sp < send) {
    const uint8_t token = src[sp++];
    size_t literals = token >> 4;
    if (literals == 15 && !AddLengthBytes(src, &sp, send, &literals)) {
      why = "literal length runs past the block";
      break;
    }
    if (literals > send - sp) {
      why = "literals run past the block";
      break;
    }
    if (literals > dend - dp) {
      why = "literals overflow the image";
      break;
    }
    if (literals <= kShortCopy && send - sp >= kShortCopy && dend - dp >= kShortCopy) {
      // Most runs are short: one fixed-size copy, whose bytes past the run are written over by
      // what follows (or left over when the stream is refused).
      std::memcpy(dst + dp, src + sp, kShortCopy);
    } else {
      std::memcpy(dst + dp, src + sp, literals);
    }
    sp += literals;
    dp += literals;
    // The last sequence of a block has literals only.
    if (sp >= send) break;
    if (send - sp < 2) {
      why = "match offset runs past the block";
      break;
    }
    const size_t offset = src[sp] | (src[sp + 1] << 8);
    sp += 2;
    if (offset == 0 || offset > dp) {
      why = "match offset " + std::to_string(offset) + " reaches before the output";
      break;
    }
    size_t length = (token & 15) + 4;
    if ((token & 15) == 15 && !AddLengthBytes(src, &sp, send, &length)) {
      why = "match length runs past the block";
      break;
    }
    if (length > dend - dp) {
      why = "match overflows the image";
      break;
    }
    if (length <= kShortCopy && offset >= kShortCopy && dend - dp >= kShortCopy) {
      std::memcpy(dst + dp, dst + dp - offset, kShortCopy);
    } else {
      CopyMatch(dst, dp, offset, length);
    }
    dp += length;
  }
  *sp_io = sp;
  *dp_io = dp;
  return why;
}

}  // namespace

Napi::Value DecodeLz4(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Bytes data = RequireTypedArray(info[0], "data");
  const Bytes out = RequireTypedArray(info[2], "out");
  const double start = RequireNumber(info[1], "start");
  if (!(start >= 0 && start <= static_cast<double>(data.length)) || start != static_cast<double>(static_cast<size_t>(start))) {
    throw Napi::TypeError::New(env, "start must be an integer from 0 to data's length");
  }
  const uint8_t* src = data.data;
  size_t sp = static_cast<size_t>(start);
  size_t dp = 0;
  while (sp < data.length) {
    if (data.length - sp < 4) return Napi::String::New(env, "truncated block size");
    const size_t n = (static_cast<size_t>(src[sp]) << 24) | (src[sp + 1] << 16) | (src[sp + 2] << 8) | src[sp + 3];
    sp += 4;
    if (n > data.length - sp) {
      return Napi::String::New(env, "block of " + std::to_string(n) + " bytes runs past the data");
    }
    const std::string why = DecodeBlock(src, &sp, sp + n, out.data, out.length, &dp);
    if (!why.empty()) return Napi::String::New(env, why + " at input offset " + std::to_string(sp));
  }
  return Napi::Number::New(env, static_cast<double>(dp));
}

}  // namespace screencap
