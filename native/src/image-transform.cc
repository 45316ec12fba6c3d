#include "image-transform.h"

#include <libyuv.h>

#include <algorithm>
#include <vector>

#include "bilinear-scale.h"
#include "stream-copy.h"

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

ContentRect Intersect(const ContentRect& a, const ContentRect& b) {
  const int x = std::max(a.x, b.x);
  const int y = std::max(a.y, b.y);
  const int right = std::min(a.x + a.width, b.x + b.width);
  const int bottom = std::min(a.y + a.height, b.y + b.height);
  return ContentRect{x, y, std::max(0, right - x), std::max(0, bottom - y)};
}

bool IsEmpty(const ContentRect& rect) { return rect.width <= 0 || rect.height <= 0; }

// libyuv computes a row's pixels in blocks with SIMD and the last (width mod block) with its C
// code, which rounds a 2x2 average differently; so a halved window gives the whole image's bytes
// only if its columns split the same way: it starts on a block boundary and ends on one, or at
// the image's end. 16 is a multiple of every block size libyuv uses for this.
constexpr int kHalvingBlock = 16;

struct Span {
  int begin;
  int end;
};

Span AlignToBlocks(Span span, int size) {
  const int begin = span.begin / kHalvingBlock * kHalvingBlock;
  const int end = (span.end + kHalvingBlock - 1) / kHalvingBlock * kHalvingBlock;
  return Span{begin, end > (size / kHalvingBlock) * kHalvingBlock ? size : end};
}

// The pixels of `region` (in the scaled, unrotated image of scaled_width x scaled_height) of
// what ScaleInto makes of `source`, written at out (rows out_stride apart): the same halvings
// and bilinear step, on the part of each intermediate image the region reaches. A halving
// averages aligned 2x2 blocks, so windows aligned as above give the whole image's pixels.
void ScaleRegionInto(PlaneRef source, int scaled_width, int scaled_height, ContentRect region,
                     uint8_t* out, int out_stride, TransformScratch& scratch) {
  // The size of each intermediate image, as ScaleInto makes them: level 0 is the source.
  std::vector<int> widths{source.width};
  std::vector<int> heights{source.height};
  while (widths.back() >= 2 * scaled_width && heights.back() >= 2 * scaled_height) {
    widths.push_back(widths.back() / 2);
    heights.push_back(heights.back() / 2);
  }
  const int levels = static_cast<int>(widths.size()) - 1;
  // The part of the last intermediate image the output region reads.
  const bool bilinear = widths.back() != scaled_width || heights.back() != scaled_height;
  ContentRect needed = region;
  if (bilinear) {
    const OutputRegion::Reach reach = ReachOf(widths.back(), heights.back(), scaled_width, scaled_height,
                                              OutputRegion{region.x, region.y, region.width, region.height});
    needed = ContentRect{reach.x, reach.y, reach.width, reach.height};
  }
  // Each halving's output window, from the last level down: what the level above reads, its
  // columns aligned to libyuv's blocks.
  std::vector<Span> columns(static_cast<size_t>(levels) + 1);
  std::vector<Span> rows(static_cast<size_t>(levels) + 1);
  Span want_columns{needed.x, needed.x + needed.width};
  Span want_rows{needed.y, needed.y + needed.height};
  for (int level = levels; level >= 1; --level) {
    columns[static_cast<size_t>(level)] = AlignToBlocks(want_columns, widths[static_cast<size_t>(level)]);
    rows[static_cast<size_t>(level)] = want_rows;
    want_columns = Span{2 * columns[static_cast<size_t>(level)].begin, 2 * columns[static_cast<size_t>(level)].end};
    want_rows = Span{2 * want_rows.begin, 2 * want_rows.end};
  }
  columns[0] = want_columns;
  rows[0] = want_rows;
  // Halve level by level; `from` holds window columns[level] x rows[level] of its level.
  PlaneRef from{source.pixels + static_cast<size_t>(rows[0].begin) * source.stride + static_cast<size_t>(columns[0].begin) * 4,
                columns[0].end - columns[0].begin, rows[0].end - rows[0].begin, source.stride};
  std::vector<uint8_t>* next = &scratch.halved_a;
  for (int level = 1; level <= levels; ++level) {
    const Span& c = columns[static_cast<size_t>(level)];
    const Span& r = rows[static_cast<size_t>(level)];
    const Span& below_c = columns[static_cast<size_t>(level - 1)];
    const Span& below_r = rows[static_cast<size_t>(level - 1)];
    const int width = c.end - c.begin;
    const int height = r.end - r.begin;
    const uint8_t* read = from.pixels + static_cast<size_t>(2 * r.begin - below_r.begin) * from.stride +
                          static_cast<size_t>(2 * c.begin - below_c.begin) * 4;
    next->resize(static_cast<size_t>(width) * height * 4);
    libyuv::ARGBScale(read, from.stride, width * 2, height * 2, next->data(), width * 4, width, height,
                      libyuv::kFilterBox);
    from = PlaneRef{next->data(), width, height, width * 4};
    next = next == &scratch.halved_a ? &scratch.halved_b : &scratch.halved_a;
  }
  // `from` now holds columns[levels] x rows[levels] of the last level, around `needed`.
  const int window_x = columns[static_cast<size_t>(levels)].begin;
  const int window_y = rows[static_cast<size_t>(levels)].begin;
  if (!bilinear) {
    libyuv::ARGBCopy(from.pixels + static_cast<size_t>(region.y - window_y) * from.stride + (region.x - window_x) * 4,
                     from.stride, out, out_stride, region.width, region.height);
  } else {
    ScaleBilinearRegion(SourceWindow{from.pixels, window_x, window_y, from.stride}, widths.back(), heights.back(),
                        out, out_stride, scaled_width, scaled_height,
                        OutputRegion{region.x, region.y, region.width, region.height});
  }
}

// Where the pixels of `rotated` (a rect of the rotated image, content-relative) are before a
// clockwise rotation by `rotation`, in the width x height image that is rotated.
ContentRect Unrotate(const ContentRect& rotated, int rotation, int width, int height) {
  switch (rotation) {
    case 90: return ContentRect{rotated.y, height - rotated.x - rotated.width, rotated.height, rotated.width};
    case 180: return ContentRect{width - rotated.x - rotated.width, height - rotated.y - rotated.height, rotated.width, rotated.height};
    case 270: return ContentRect{width - rotated.y - rotated.height, rotated.x, rotated.height, rotated.width};
    default: return rotated;
  }
}

}  // namespace

void TransformImageRegion(const SourceImage& source, const TransformTarget& target,
                          const ContentRect& region, TransformScratch& scratch) {
  const int stride = target.width * 4;
  const ContentRect whole{0, 0, target.width, target.height};
  const ContentRect area = Intersect(region, whole);
  if (IsEmpty(area)) return;
  const ContentRect content = PlaceContent(source, target);
  // The bars: opaque black wherever the region is outside the content.
  const ContentRect bars[] = {
      {0, 0, target.width, content.y},
      {0, content.y + content.height, target.width, target.height - content.y - content.height},
      {0, content.y, content.x, content.height},
      {content.x + content.width, content.y, target.width - content.x - content.width, content.height},
  };
  for (const ContentRect& bar : bars) {
    const ContentRect part = Intersect(bar, area);
    if (!IsEmpty(part)) libyuv::ARGBRect(target.pixels, stride, part.x, part.y, part.width, part.height, kOpaqueBlack);
  }
  const ContentRect inside = Intersect(area, content);
  if (IsEmpty(inside)) return;
  const bool quarter = IsQuarterTurn(target.rotation);
  const int scaled_width = quarter ? content.height : content.width;
  const int scaled_height = quarter ? content.width : content.height;
  const bool scale = scaled_width != source.width || scaled_height != source.height;
  const ContentRect local{inside.x - content.x, inside.y - content.y, inside.width, inside.height};
  const ContentRect unrotated = Unrotate(local, target.rotation, scaled_width, scaled_height);
  uint8_t* out = target.pixels + static_cast<size_t>(inside.y) * stride + inside.x * 4;
  const PlaneRef source_plane{source.pixels, source.width, source.height, source.stride};

  if (target.rotation == 0) {
    if (scale) {
      ScaleRegionInto(source_plane, scaled_width, scaled_height, unrotated, out, stride, scratch);
    } else {
      const uint8_t* from = source.pixels + static_cast<size_t>(unrotated.y) * source.stride + unrotated.x * 4;
      if (source.format != target.format) {
        // One pass that reorders the bytes on the way, as TransformImage does: a copy followed
        // by a swap in place would read the streamed (uncached) destination back from memory.
        libyuv::ARGBToABGR(from, source.stride, out, stride, unrotated.width, unrotated.height);
        return;
      }
      StreamCopyPlane(from, source.stride, out, stride, unrotated.width * 4, unrotated.height);
    }
  } else {
    const uint8_t* rotate_from;
    int rotate_stride;
    if (scale) {
      scratch.scaled.resize(static_cast<size_t>(unrotated.width) * unrotated.height * 4);
      ScaleRegionInto(source_plane, scaled_width, scaled_height, unrotated, scratch.scaled.data(),
                      unrotated.width * 4, scratch);
      rotate_from = scratch.scaled.data();
      rotate_stride = unrotated.width * 4;
    } else {
      rotate_from = source.pixels + static_cast<size_t>(unrotated.y) * source.stride + unrotated.x * 4;
      rotate_stride = source.stride;
    }
    libyuv::ARGBRotate(rotate_from, rotate_stride, out, stride, unrotated.width, unrotated.height,
                       RotationModeOf(target.rotation));
  }
  if (source.format != target.format) {
    libyuv::ARGBToABGR(out, stride, out, stride, inside.width, inside.height);
  }
}

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
      StreamCopyPlane(source.pixels, source.stride, content_pixels, stride, content.width * 4, content.height);
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
