// Scale, rotate and reorder the bytes of a packed 4-byte-per-pixel image, with libyuv. Pure
// computation, no Node API: the transform worker runs it off the JS thread.
#pragma once

#include <cstdint>
#include <vector>

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

// Intermediate images, kept from one call to the next by the caller (one per thread): touching
// fresh memory costs a page fault per 4 KiB, several milliseconds for a 1080p frame, more than
// the scaling itself.
struct TransformScratch {
  std::vector<uint8_t> halved_a;
  std::vector<uint8_t> halved_b;
  std::vector<uint8_t> scaled;
};

void TransformImage(const SourceImage& source, const TransformTarget& target,
                    TransformScratch& scratch);

// TransformImage for the pixels of `region` of the target only (target coordinates, inside
// it): what TransformImage writes there, byte for byte, reading only the source pixels the
// scaler's filter reaches from there. The rest of the target is left as it was. What a buffer
// holding an earlier frame needs where the picture changed.
void TransformImageRegion(const SourceImage& source, const TransformTarget& target,
                          const ContentRect& region, TransformScratch& scratch);

}  // namespace screencap
