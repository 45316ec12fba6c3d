// transform(src, srcWidth, srcHeight, srcStride, srcFormat, dstWidth, dstHeight, rotation,
//           dstFormat, fit) -> Promise<Buffer>: runs TransformImage on a libuv worker thread.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value Transform(const Napi::CallbackInfo& info);

}  // namespace screencap
