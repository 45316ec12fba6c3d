// transform(tasks, onImage, threads = 1) -> Promise<void>: runs TransformImage (or
// TransformImageRegion) for each task on `threads` libuv worker threads (1 to 4), each taking the
// next task not yet taken, and calls onImage(index, image) on the JS thread as each is written;
// the promise settles after the last call. With one thread the images come back in the order
// asked. Each task is an array of the arguments
// [src, srcWidth, srcHeight, srcStride, srcFormat, dstWidth, dstHeight, rotation, dstFormat,
// fit, into?, regions?]. With `into` (a Buffer of at least dstWidth * dstHeight * 4 bytes) a
// task's image is written there and `into` is its image; otherwise a new Buffer. `regions`, an
// Int32Array of x, y, width, height quadruples inside the image, limits the writes to them.
//
// Many tasks in one batch: the server writes a frame's changes into every client's buffer at
// once, and a thread per core taking the copies in turn costs less than eight threads woken for
// one each (each wakes onto a core the event loop or a client needs; see docs/PERFORMANCE.md).
//
// transformNow(task) -> image: one task written on the calling (JS) thread, synchronously.
// For writes small enough that handing them to a pool thread costs more than they do: on a VM
// each thread woken from idle can wait for its virtual CPU (see transform-batch.ts).
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value Transform(const Napi::CallbackInfo& info);
Napi::Value TransformNow(const Napi::CallbackInfo& info);

}  // namespace screencap
