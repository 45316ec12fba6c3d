// Bilinear scaling of packed 4-byte pixels with exact weights.
//
// libyuv's ARGBScale filters columns with 7-bit weights that add up to 127/128 in its SSSE3 and
// AVX2 code, so every filtered pixel comes out about 1% darker and opaque alpha (255) becomes 253.
// This scaler keeps libyuv for the vertical blend (ARGBInterpolate, exact 8-bit weights) and
// blends columns with weights that add up to 256, so flat colours and opaque alpha survive.
#pragma once

#include <cstdint>

namespace screencap {

// Scales src (src_width x src_height, rows of src_stride bytes) to dst (dst_width x dst_height,
// rows of dst_stride bytes). Pixel centres are aligned (a pixel's centre maps to the centre of
// the area it covers) and samples beyond the edge repeat the edge pixel.
void ScaleBilinear(const uint8_t* src, int src_width, int src_height, int src_stride, uint8_t* dst,
                   int dst_width, int dst_height, int dst_stride);

// Part of a scaled image: the pixels of region (in dst_width x dst_height coordinates), written
// at dst (rows dst_stride apart), byte for byte what ScaleBilinear gives there.
struct OutputRegion {
  int x;
  int y;
  int width;
  int height;
  // The source pixels a region reads, in src_width x src_height coordinates.
  struct Reach {
    int x;
    int y;
    int width;
    int height;
  };
};

// The source pixels `pixels` holds: its first byte is pixel (x, y) of the whole source.
struct SourceWindow {
  const uint8_t* pixels;
  int x;
  int y;
  int stride;
};

OutputRegion::Reach ReachOf(int src_width, int src_height, int dst_width, int dst_height,
                            const OutputRegion& region);

// `window` must hold ReachOf(...) of the region.
void ScaleBilinearRegion(const SourceWindow& window, int src_width, int src_height, uint8_t* dst,
                         int dst_stride, int dst_width, int dst_height, const OutputRegion& region);

}  // namespace screencap
