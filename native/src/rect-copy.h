// copyRects(src, srcStride, dst, dstStride, swapRedBlue, rects): copies rectangles of 4-byte
// pixels between two images of the same geometry (each rectangle lands where it was), with
// libyuv, synchronously; swapRedBlue reorders RGBA8 <-> BGRA8 on the way. `rects` is an
// Int32Array of x, y, width, height quadruples. The damaged parts of a frame are usually a few
// kilobytes (a clock, a cursor, a line of text): less than a hop to the thread pool costs.
// Copies without reordering go through StreamCopyPlane: from 64 KiB on (a moving window, a
// whole busy frame) their stores skip the caches. The latch's destination is a pooled buffer
// last written two frames ago, out of the caches by then, which memcpy read line by line before
// overwriting it: copied once every 16 ms into two such buffers in turn, a whole 1080p frame took
// 0.90-1.08 ms with memcpy (libyuv's ARGBCopy) and 0.79-0.80 streamed, a 640x243 window 205 and
// 160 µs (p50 of 120 copies, 2026-12-07).
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value CopyRects(const Napi::CallbackInfo& info);

}  // namespace screencap
