#include "stream-copy.h"

#include <libyuv.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace screencap {

namespace {

#if defined(__SSE2__)
// The streaming stores go a whole cache line at a time.
constexpr uintptr_t kCacheLine = 64;

// One row: up to the first cache-line-aligned destination byte with memcpy, then one line at a
// time with streaming stores (unaligned loads), the rest with memcpy. Four stores that straddle
// two lines leave both half written in the CPU's write-combining buffers: a window's rows copied
// that way took 220-240 µs instead of 120-130 on the benchmark's VM (docs/PERFORMANCE.md).
void StreamCopyRow(const uint8_t* src, uint8_t* dst, size_t bytes) {
  const size_t head =
      std::min(bytes, static_cast<size_t>((kCacheLine - (reinterpret_cast<uintptr_t>(dst) & (kCacheLine - 1))) & (kCacheLine - 1)));
  std::memcpy(dst, src, head);
  size_t i = head;
  for (; i + 64 <= bytes; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 32), c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 48), d);
  }
  std::memcpy(dst + i, src + i, bytes - i);
}
#endif

}  // namespace

void StreamCopyPlane(const uint8_t* src, int src_stride, uint8_t* dst, int dst_stride, int row_bytes, int height) {
  const int64_t total = static_cast<int64_t>(row_bytes) * height;
#if defined(__SSE2__)
  if (total >= kStreamCopyMinBytes) {
    if (src_stride == row_bytes && dst_stride == row_bytes) {
      StreamCopyRow(src, dst, static_cast<size_t>(total));
    } else {
      for (int y = 0; y < height; y++) {
        StreamCopyRow(src + static_cast<size_t>(y) * src_stride, dst + static_cast<size_t>(y) * dst_stride,
                      static_cast<size_t>(row_bytes));
      }
    }
    // Streaming stores are weakly ordered: make them visible before the caller reports the copy
    // done (another thread, or another process, reads the buffer next).
    _mm_sfence();
    return;
  }
#endif
  libyuv::CopyPlane(src, src_stride, dst, dst_stride, row_bytes, height);
}

}  // namespace screencap
