// Scale, rotate and reorder the bytes of a packed 4-byte-per-pixel image, with libyuv. Pure
// computation, no Node API: the transform worker runs it off the JS thread.
#pragma once

#include <cstdint>

#include "pixel-format.h"

namespace screencap {

struct SourceImage {
  const uint8_t* pixels;
  int width;
  int height;
  int stride;  // bytes per row, at least width * 4
  PixelFormat format;
};

struct TransformTarget {
  uint8_t* pixels;  // width * height * 4 bytes, written packed (stride width * 4)
  int width;        // size after rotation
  int height;
  int rotation;     // clockwise degrees: 0, 90, 180 or 270
  PixelFormat format;
  // true: keep the aspect ratio, centre the image and fill the rest opaque black;
  // false: stretch to fill the whole target.
  bool fit;
};

// Where the image lands in the target, in target pixels.
struct ContentRect {
  int x;
  int y;
  int width;
  int height;
};

ContentRect PlaceContent(const SourceImage& source, const TransformTarget& target);

void TransformImage(const SourceImage& source, const TransformTarget& target);

}  // namespace screencap
