#include "image-transform.h"

#include <libyuv.h>

#include <algorithm>
#include <vector>

#include "bilinear-scale.h"

namespace screencap {

namespace {

// Opaque black in both byte orders: the word 0xFF000000 is bytes 00 00 00 FF in memory.
constexpr uint32_t kOpaqueBlack = 0xFF000000u;

bool IsQuarterTurn(int rotation) { return rotation == 90 || rotation == 270; }

libyuv::RotationMode RotationModeOf(int rotation) {
  switch (rotation) {
    case 90: return libyuv::kRotate90;
    case 180: return libyuv::kRotate180;
    case 270: return libyuv::kRotate270;
    default: return libyuv::kRotate0;
  }
}

struct PlaneRef {
  const uint8_t* pixels;
  int width;
  int height;
  int stride;
};

// Scales `from` to width x height into `out` (stride out_stride). Bilinear filtering reads a
// 2x2 neighbourhood, so on its own it aliases thin lines and text when shrinking by more than 2x
// (a 4K desktop in a thumbnail). So shrink by halves first with libyuv's box filter (kFilterBox:
// each output pixel the rounded mean of a 2x2 block), until the remaining step is under 2x, then
// do that step bilinearly. Each halving reads a quarter of the previous one, so the extra work
// is at most a third of the first pass. A halving drops an odd last row or column (half a pixel
// of the halved image) so that libyuv takes its exact 2x2 path rather than its biased bilinear one.
void ScaleInto(PlaneRef from, uint8_t* out, int out_stride, int width, int height,
               std::vector<uint8_t>& scratch_a, std::vector<uint8_t>& scratch_b) {
  std::vector<uint8_t>* next = &scratch_a;
  while (from.width >= 2 * width && from.height >= 2 * height) {
    const int half_width = from.width / 2;
    const int half_height = from.height / 2;
    next->resize(static_cast<size_t>(half_width) * half_height * 4);
    libyuv::ARGBScale(from.pixels, from.stride, half_width * 2, half_height * 2, next->data(),
                      half_width * 4, half_width, half_height, libyuv::kFilterBox);
    from = PlaneRef{next->data(), half_width, half_height, half_width * 4};
    next = next == &scratch_a ? &scratch_b : &scratch_a;
  }
  if (from.width == width && from.height == height) {
    libyuv::ARGBCopy(from.pixels, from.stride, out, out_stride, width, height);
  } else {
    ScaleBilinear(from.pixels, from.width, from.height, from.stride, out, width, height, out_stride);
  }
}

void FillOutside(const TransformTarget& target, const ContentRect& content) {
  const int stride = target.width * 4;
  const int below = content.y + content.height;
  const int right = content.x + content.width;
  if (content.y > 0) {
    libyuv::ARGBRect(target.pixels, stride, 0, 0, target.width, content.y, kOpaqueBlack);
  }
  if (below < target.height) {
    libyuv::ARGBRect(target.pixels, stride, 0, below, target.width, target.height - below,
                     kOpaqueBlack);
  }
  if (content.x > 0) {
    libyuv::ARGBRect(target.pixels, stride, 0, content.y, content.x, content.height, kOpaqueBlack);
  }
  if (right < target.width) {
    libyuv::ARGBRect(target.pixels, stride, right, content.y, target.width - right, content.height,
                     kOpaqueBlack);
  }
}

}  // namespace

ContentRect PlaceContent(const SourceImage& source, const TransformTarget& target) {
  if (!target.fit) return ContentRect{0, 0, target.width, target.height};
  const int64_t rotated_width = IsQuarterTurn(target.rotation) ? source.height : source.width;
  const int64_t rotated_height = IsQuarterTurn(target.rotation) ? source.width : source.height;
  int64_t width = target.width;
  int64_t height = target.height;
  // Compare aspect ratios by cross-multiplying, then round the other side to the nearest pixel.
  if (rotated_width * target.height > target.width * rotated_height) {
    height = (2 * rotated_height * target.width + rotated_width) / (2 * rotated_width);
  } else {
    width = (2 * rotated_width * target.height + rotated_height) / (2 * rotated_height);
  }
  width = std::clamp<int64_t>(width, 1, target.width);
  height = std::clamp<int64_t>(height, 1, target.height);
  return ContentRect{static_cast<int>((target.width - width) / 2),
                     static_cast<int>((target.height - height) / 2), static_cast<int>(width),
                     static_cast<int>(height)};
}

void TransformImage(const SourceImage& source, const TransformTarget& target,
                    TransformScratch& scratch) {
  const int stride = target.width * 4;
  const bool swap = source.format != target.format;
  const ContentRect content = PlaceContent(source, target);
  uint8_t* content_pixels = target.pixels + static_cast<size_t>(content.y) * stride + content.x * 4;

  // The content before rotation: a quarter turn swaps its sides.
  const bool quarter = IsQuarterTurn(target.rotation);
  const int scaled_width = quarter ? content.height : content.width;
  const int scaled_height = quarter ? content.width : content.height;
  const bool scale = scaled_width != source.width || scaled_height != source.height;
  const PlaneRef source_plane{source.pixels, source.width, source.height, source.stride};

  if (!scale && target.rotation == 0) {
    // Same size (the identity case, or a letterbox around an unscaled image): one pass that
    // copies, reordering bytes on the way when the formats differ.
    if (swap) {
      libyuv::ARGBToABGR(source.pixels, source.stride, content_pixels, stride, content.width,
                         content.height);
    } else {
      libyuv::ARGBCopy(source.pixels, source.stride, content_pixels, stride, content.width,
                       content.height);
    }
  } else {
    std::vector<uint8_t>& scaled = scratch.scaled;
    PlaneRef rotate_from = source_plane;
    if (scale && target.rotation == 0) {
      ScaleInto(source_plane, content_pixels, stride, scaled_width, scaled_height,
                scratch.halved_a, scratch.halved_b);
    } else if (scale) {
      // Scale before rotating: when shrinking, which is the common case, rotation then moves
      // fewer pixels.
      scaled.resize(static_cast<size_t>(scaled_width) * scaled_height * 4);
      ScaleInto(source_plane, scaled.data(), scaled_width * 4, scaled_width, scaled_height,
                scratch.halved_a, scratch.halved_b);
      rotate_from = PlaneRef{scaled.data(), scaled_width, scaled_height, scaled_width * 4};
    }
    if (target.rotation != 0) {
      libyuv::ARGBRotate(rotate_from.pixels, rotate_from.stride, content_pixels, stride,
                         rotate_from.width, rotate_from.height, RotationModeOf(target.rotation));
    }
    // Swapping R and B is its own inverse and works in place, one pixel at a time.
    if (swap) {
      libyuv::ARGBToABGR(content_pixels, stride, content_pixels, stride, content.width,
                         content.height);
    }
  }
  FillOutside(target, content);
}

}  // namespace screencap
