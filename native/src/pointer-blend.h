// blendPointer(dst, dstOffset, dstStride, src, srcOffset, srcStride, width, height, swapRedBlue):
// draws a rectangle of a pointer image (straight, not premultiplied, bytes R,G,B,A) over opaque
// 4-byte pixels, synchronously. Each colour byte becomes (s * a + d * (255 - a) + 127) / 255,
// rounded to nearest; dst's alpha byte is kept. swapRedBlue: dst is B,G,R,A, so the pointer's
// R and B are exchanged on the way. A pointer is a few thousand pixels: far less than a hop to
// the thread pool costs, so this runs on the caller's thread.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value BlendPointer(const Napi::CallbackInfo& info);

}  // namespace screencap
