#include "bilinear-scale.h"

#include <libyuv.h>

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace screencap {

namespace {

// Where output sample i reads from along one axis: the pair (index, index + 1) blended with
// weight fraction / 256 on the second.
struct Tap {
  int index;
  int fraction;  // 0..255
};

std::vector<Tap> ComputeTaps(int source_size, int target_size) {
  std::vector<Tap> taps(static_cast<size_t>(target_size));
  const int64_t last = static_cast<int64_t>(source_size - 1) << 16;
  for (int i = 0; i < target_size; ++i) {
    // The centre of output sample i, (i + 0.5) * source / target - 0.5, in 16.16 fixed point.
    int64_t position = ((2 * static_cast<int64_t>(i) + 1) * source_size << 16) / (2 * target_size) - (1 << 15);
    position = std::clamp<int64_t>(position, 0, last);
    int index = static_cast<int>(position >> 16);
    int fraction = static_cast<int>(((position & 0xffff) + 128) >> 8);
    if (fraction == 256) {
      ++index;
      fraction = 0;
    }
    taps[static_cast<size_t>(i)] = Tap{index, fraction};
  }
  return taps;
}

// Blends each output pixel from two neighbouring pixels of `row`, which holds one pixel more
// than the source width (the last repeated) so that index + 1 is always readable.
// `first` is the column `row` starts at: taps index whole-image columns.
void FilterColumns(const uint8_t* row, int first, const Tap* taps_begin, const Tap* taps_end, uint8_t* out) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i half = _mm_set1_epi16(128);
  for (const Tap* t = taps_begin; t != taps_end; ++t) {
    const Tap& tap = *t;
    const int16_t f = static_cast<int16_t>(tap.fraction);
    const int16_t g = static_cast<int16_t>(256 - tap.fraction);
    // The two neighbours are adjacent: one 8-byte load, widened to 16 bits, weighted g,g,g,g,f,f,f,f.
    // a * g + b * f is at most 255 * 256, so the unsigned 16-bit lanes do not overflow.
    const __m128i pair = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + (tap.index - first) * 4)), zero);
    const __m128i weighted = _mm_mullo_epi16(pair, _mm_setr_epi16(g, g, g, g, f, f, f, f));
    const __m128i sum = _mm_add_epi16(_mm_add_epi16(weighted, _mm_srli_si128(weighted, 8)), half);
    const __m128i pixel = _mm_srli_epi16(sum, 8);
    const uint32_t packed = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(pixel, pixel)));
    std::memcpy(out, &packed, 4);
    out += 4;
  }
#else
  for (const Tap* t = taps_begin; t != taps_end; ++t) {
    const Tap& tap = *t;
    const uint8_t* a = row + (tap.index - first) * 4;
    const int f = tap.fraction;
    const int g = 256 - f;
    for (int c = 0; c < 4; ++c) out[c] = static_cast<uint8_t>((a[c] * g + a[c + 4] * f + 128) >> 8);
    out += 4;
  }
#endif
}

}  // namespace

void ScaleBilinear(const uint8_t* src, int src_width, int src_height, int src_stride, uint8_t* dst,
                   int dst_width, int dst_height, int dst_stride) {
  ScaleBilinearRegion(SourceWindow{src, 0, 0, src_stride}, src_width, src_height, dst, dst_stride,
                      dst_width, dst_height, OutputRegion{0, 0, dst_width, dst_height});
}

OutputRegion::Reach ReachOf(int src_width, int src_height, int dst_width, int dst_height,
                            const OutputRegion& region) {
  const std::vector<Tap> columns = ComputeTaps(src_width, dst_width);
  const std::vector<Tap> rows = ComputeTaps(src_height, dst_height);
  const Tap& left = columns[static_cast<size_t>(region.x)];
  const Tap& right = columns[static_cast<size_t>(region.x + region.width - 1)];
  const Tap& top = rows[static_cast<size_t>(region.y)];
  const Tap& bottom = rows[static_cast<size_t>(region.y + region.height - 1)];
  const int x1 = std::min(right.index + 1, src_width - 1);
  const int y1 = std::min(bottom.index + 1, src_height - 1);
  return OutputRegion::Reach{left.index, top.index, x1 - left.index + 1, y1 - top.index + 1};
}

void ScaleBilinearRegion(const SourceWindow& window, int src_width, int src_height, uint8_t* dst,
                         int dst_stride, int dst_width, int dst_height, const OutputRegion& region) {
  const std::vector<Tap> columns = ComputeTaps(src_width, dst_width);
  const std::vector<Tap> rows = ComputeTaps(src_height, dst_height);
  const bool same_width = src_width == dst_width;
  // The source columns the region's taps read: index .. index + 1, the last repeated past the
  // image's edge (read only with weight 0 there).
  const int first = columns[static_cast<size_t>(region.x)].index;
  const int last = std::min(columns[static_cast<size_t>(region.x + region.width - 1)].index + 1, src_width - 1);
  const int span = last - first + 1;
  std::vector<uint8_t> row(static_cast<size_t>(span + 1) * 4);
  const Tap* taps_begin = columns.data() + region.x;
  const Tap* taps_end = taps_begin + region.width;
  for (int y = region.y; y < region.y + region.height; ++y) {
    const Tap& tap = rows[static_cast<size_t>(y)];
    const uint8_t* first_row = window.pixels + static_cast<size_t>(tap.index - window.y) * window.stride;
    // With fraction 0 the second row is not read, so it may be the first one (at the bottom edge).
    const uint8_t* second_row = tap.fraction == 0 ? first_row : first_row + window.stride;
    uint8_t* out = dst + static_cast<size_t>(y - region.y) * dst_stride;
    if (same_width) {
      const size_t offset = static_cast<size_t>(region.x - window.x) * 4;
      libyuv::ARGBInterpolate(first_row + offset, 0, second_row + offset, 0, out, 0, region.width, 1, tap.fraction);
      continue;
    }
    const size_t offset = static_cast<size_t>(first - window.x) * 4;
    libyuv::ARGBInterpolate(first_row + offset, 0, second_row + offset, 0, row.data(), 0, span, 1, tap.fraction);
    std::memcpy(row.data() + static_cast<size_t>(span) * 4, row.data() + static_cast<size_t>(span - 1) * 4, 4);
    FilterColumns(row.data(), first, taps_begin, taps_end, out);
  }
}

}  // namespace screencap
