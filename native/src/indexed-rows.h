// expandIndexedRows(kind, data, stride, width, height, palette, wrapIndexes, out): rows of palette
// indexes or alpha bytes widened into 32-bit pixels, synchronously; the same pixels as
// src/sources/spice/decoders/indexed-rows.ts's JavaScript loops (its comments say what each kind
// and argument means). `kind` is 'index8', 'index4-low-first', 'index4-high-first',
// 'index1-lsb-first', 'index1-msb-first' or 'alpha8'; `palette` a Uint32Array of 0xRRGGBB
// colours; `out` a Uint32Array of at least width * height pixels. Wrong arguments, a `data` too
// short for its rows or an `out` too short for the image throw a TypeError naming the field.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value ExpandIndexedRows(const Napi::CallbackInfo& info);

}  // namespace screencap
