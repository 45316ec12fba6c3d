// convertRows(kind, src, srcOffset, srcStride, dst, dstOffset, dstStride, width, height): widens
// a rectangle of pixels in one of the small formats image decoders produce into 32-bit pixels
// (bytes B,G,R,A; libyuv's ARGB), synchronously. These are memcpy-class passes over one decoded
// image, far shorter than a trip to the thread pool, so they run on the caller's thread.
//
// src and dst are any typed arrays (offsets and strides in bytes). For the 32-bit source kinds
// dst may be src itself at the same offset and stride (converted in place).
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value ConvertRows(const Napi::CallbackInfo& info);

}  // namespace screencap
