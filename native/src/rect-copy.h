// copyRects(src, srcStride, dst, dstStride, swapRedBlue, rects): copies rectangles of 4-byte
// pixels between two images of the same geometry (each rectangle lands where it was), with
// libyuv, synchronously; swapRedBlue reorders RGBA8 <-> BGRA8 on the way. `rects` is an
// Int32Array of x, y, width, height quadruples. The damaged parts of a frame are usually a few
// kilobytes (a clock, a cursor, a line of text): less than a hop to the thread pool costs.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value CopyRects(const Napi::CallbackInfo& info);

}  // namespace screencap
