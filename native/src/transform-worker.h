// transform(src, srcWidth, srcHeight, srcStride, srcFormat, dstWidth, dstHeight, rotation,
//           dstFormat, fit[, into]) -> Promise<Buffer>: runs TransformImage on a libuv worker
// thread. With `into` (a Buffer of at least dstWidth * dstHeight * 4 bytes) the result is
// written there and `into` is what the promise resolves to; otherwise a new Buffer.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value Transform(const Napi::CallbackInfo& info);

}  // namespace screencap
