// Byte order of the packed 4-byte pixels the addon reads and writes. libyuv names formats by
// the order in a little-endian 32-bit word, so its "ARGB" is B,G,R,A in memory (our bgra8) and
// its "ABGR" is R,G,B,A in memory (our rgba8).
#pragma once

namespace screencap {

enum class PixelFormat { kRgba8, kBgra8 };

}  // namespace screencap
