// SPICE's LZ and GLZ decompression passes (spice-common lz.c's decoder, spice-gtk decode-glz.c),
// the same work as src/sources/spice/decoders/lz.ts and glz.ts do in JavaScript, byte for byte:
// those keep the headers, the image types and the dictionary window; these run the per-pixel
// loops, where a text-heavy or flat full-screen redraw spends its time.
//
//   decodeLzPass(data, start, out, count, pass) -> number
//     One LZ pass over `count` 32-bit pixels of `out` (a Uint32Array), reading from data[start].
//     `pass`: 0 writes B,G,R from 3-byte literals (RGB24/RGB32), 1 from big-endian 0555 literals
//     (RGB16), 2 only the alpha byte (the second pass of RGBA, and XXXA).
//   decodeLzBytes(data, start, out, count) -> number
//     The byte-unit variant (palette indexes, A8): `count` bytes of `out` (a Uint8Array).
//   decodeGlzPass(data, start, out, count, pass, image) -> number
//     One GLZ pass, as decodeLzPass; a match into an earlier image of the dictionary calls
//     image(distance) for that image's pixels (a Uint32Array), once per distance and pass.
//
// Each returns the input position after the pass, or -1 when the data ends early or a match
// refers outside the image (the caller throws its protocol error). Wrong arguments throw a
// TypeError naming the field. No input, however corrupt, makes them read or write outside
// `data`, `out` or an image given back.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value DecodeLzPass(const Napi::CallbackInfo& info);
Napi::Value DecodeLzBytes(const Napi::CallbackInfo& info);
Napi::Value DecodeGlzPass(const Napi::CallbackInfo& info);

}  // namespace screencap
