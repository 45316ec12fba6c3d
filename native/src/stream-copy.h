// Copies of large images into a buffer that this process will not read again soon: a client's
// shared-memory buffer, a reply about to be sent.
#pragma once

#include <cstdint>

namespace screencap {

// Copies `height` rows of `row_bytes` from `src` (rows src_stride apart) to `dst` (rows
// dst_stride apart); src and dst must not overlap. From kStreamCopyMinBytes on, with
// non-temporal stores where the CPU has them (SSE2): the destination's cache lines are written
// without being read first and without evicting what the caches hold. A 1080p frame copied to
// eight clients' buffers every 16 ms cost 1.08 CPU ms a copy with memcpy and 0.71 with these
// stores on the benchmark's VM (docs/PERFORMANCE.md); glibc's memcpy switches to them only past
// three quarters of the reported shared cache, which a VM may report as hundreds of megabytes.
// A moving window's 600 kB into a client's buffer last written a frame ago cost 140 µs with
// memcpy and 100 with these stores: by then the buffer's lines have left the caches anyway.
// Copies under 64 KiB (a clock, a line of typing) are left to memcpy (through libyuv), whose
// destination stays cached for a reader that comes soon.
// Rows that start and end on a 64-byte line of `dst` copy fastest: the lines only partly written
// at each end are read from memory first (see toWholeCacheLines in src/render/frame-renderer.ts).
void StreamCopyPlane(const uint8_t* src, int src_stride, uint8_t* dst, int dst_stride, int row_bytes, int height);

constexpr int64_t kStreamCopyMinBytes = 64 << 10;

}  // namespace screencap
