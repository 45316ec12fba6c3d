// transform(tasks, onImage) -> Promise<void>: runs TransformImage (or TransformImageRegion) for
// each task, one after the other, on one libuv worker thread, and calls onImage(index, image) on
// the JS thread as each is written; the promise resolves after the last call. Each task is an array of the arguments
// [src, srcWidth, srcHeight, srcStride, srcFormat, dstWidth, dstHeight, rotation, dstFormat,
// fit, into?, regions?]. With `into` (a Buffer of at least dstWidth * dstHeight * 4 bytes) a
// task's image is written there and `into` is its image; otherwise a new Buffer. `regions`, an
// Int32Array of x, y, width, height quadruples inside the image, limits the writes to them.
//
// Many tasks in one job: the server writes a frame's changes into every client's buffer at
// once, and one thread doing eight copies costs less than eight threads woken for one each
// (each wakes onto a core the event loop or a client needs; see docs/PERFORMANCE.md).
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value Transform(const Napi::CallbackInfo& info);

}  // namespace screencap
