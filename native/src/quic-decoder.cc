#include "quic-decoder.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "arguments.h"

// The model below mirrors the JavaScript decoder (src/sources/spice/decoders/quic.ts), which
// mirrors the encoder's model updates in spice-common's quic.c: every table and every update
// schedule must match bit for bit, or the decoder drifts from the encoder after the first model
// update. The tests hold the two decoders to the same bytes on captured and synthetic images.

namespace screencap {

namespace {

#define QUIC_INLINE inline __attribute__((always_inline))

constexpr uint32_t kMagic = 0x43495551;  // "QUIC", little-endian
constexpr uint32_t kVersion = 0;
enum QuicType : uint32_t { kGray = 1, kRgb16 = 2, kRgb24 = 3, kRgb32 = 4, kRgba = 5 };

// The same bounds as checkDimensions in decoded-image.ts.
constexpr uint32_t kMaxSide = 16384;
constexpr uint64_t kMaxPixels = 64ull * 1024 * 1024;

constexpr int kDefEvol = 3;
constexpr int kDefWmiMax = 6;
constexpr int kDefWmiNext = 2048;
constexpr int kDefMaxCodeLength = 26;
constexpr int kMelcStates = 32;

constexpr int kBestTrigTab[3][11] = {
    {550, 900, 800, 700, 500, 350, 300, 200, 180, 180, 160},
    {110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140},
    {100, 120, 550, 900, 700, 500, 400, 300, 220, 250, 160},
};

// MELCODE state -> run-length code order; one spare entry, indexed at saturation.
constexpr uint8_t kJ[kMelcStates + 1] = {0, 0, 0, 0, 1, 1, 1, 1, 2,  2,  2,  2,  3,  3,  3,  3, 4,
                                         4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15};

// The pseudo-random schedule of model updates (quic.c's tabrand_chaos).
constexpr uint32_t kTabrandChaos[256] = {
    0x02c57542, 0x35427717, 0x2f5a2153, 0x9244f155, 0x7bd26d07, 0x354c6052, 0x57329b28, 0x2993868e,
    0x6cd8808c, 0x147b46e0, 0x99db66af, 0xe32b4cac, 0x1b671264, 0x9d433486, 0x62a4c192, 0x06089a4b,
    0x9e3dce44, 0xdaabee13, 0x222425ea, 0xa46f331d, 0xcd589250, 0x8bb81d7f, 0xc8b736b9, 0x35948d33,
    0xd7ac7fd0, 0x5fbe2803, 0x2cfbc105, 0x013dbc4e, 0x7a37820f, 0x39f88e9e, 0xedd58794, 0xc5076689,
    0xfcada5a4, 0x64c2f46d, 0xb3ba3243, 0x8974b4f9, 0x5a05aebd, 0x20afcd00, 0x39e2b008, 0x88a18a45,
    0x600bde29, 0xf3971ace, 0xf37b0a6b, 0x7041495b, 0x70b707ab, 0x06beffbb, 0x4206051f, 0xe13c4ee3,
    0xc1a78327, 0x91aa067c, 0x8295f72a, 0x732917a6, 0x1d871b4d, 0x4048f136, 0xf1840e7e, 0x6a6048c1,
    0x696cb71a, 0x7ff501c3, 0x0fc6310b, 0x57e0f83d, 0x8cc26e74, 0x11a525a2, 0x946934c7, 0x7cd888f0,
    0x8f9d8604, 0x4f86e73b, 0x04520316, 0xdeeea20c, 0xf1def496, 0x67687288, 0xf540c5b2, 0x22401484,
    0x3478658a, 0xc2385746, 0x01979c2c, 0x5dad73c8, 0x0321f58b, 0xf0fedbee, 0x92826ddf, 0x284bec73,
    0x5b1a1975, 0x03df1e11, 0x20963e01, 0xa17cf12b, 0x740d776e, 0xa7a6bf3c, 0x01b5cce4, 0x1118aa76,
    0xfc6fac0a, 0xce927e9b, 0x00bf2567, 0x806f216c, 0xbca69056, 0x795bd3e9, 0xc9dc4557, 0x8929b6c2,
    0x789d52ec, 0x3f3fbf40, 0xb9197368, 0xa38c15b5, 0xc3b44fa8, 0xca8333b0, 0xb7e8d590, 0xbe807feb,
    0xbf5f8360, 0xd99e2f5c, 0x372928e1, 0x7c757c4c, 0x0db5b154, 0xc01ede02, 0x1fc86e78, 0x1f3985be,
    0xb4805c77, 0x00c880fa, 0x974c1b12, 0x35ab0214, 0xb2dc840d, 0x5b00ae37, 0xd313b026, 0xb260969d,
    0x7f4c8879, 0x1734c4d3, 0x49068631, 0xb9f6a021, 0x6b863e6f, 0xcee5debf, 0x29f8c9fb, 0x53dd6880,
    0x72b61223, 0x1f67a9fd, 0x0a0f6993, 0x13e59119, 0x11cca12e, 0xfe6b6766, 0x16b6effc, 0x97918fc4,
    0xc2b8a563, 0x94f2f741, 0x0bfa8c9a, 0xd1537ae8, 0xc1da349c, 0x873c60ca, 0x95005b85, 0x9b5c080e,
    0xbc8abbd9, 0xe1eab1d2, 0x6dac9070, 0x4ea9ebf1, 0xe0cf30d4, 0x1ef5bd7b, 0xd161043e, 0x5d2fa2e2,
    0xff5d3cae, 0x86ed9f87, 0x2aa1daa1, 0xbd731a34, 0x9e8f4b22, 0xb1c2c67a, 0xc21758c9, 0xa182215d,
    0xccb01948, 0x8d168df7, 0x04238cfe, 0x368c3dbc, 0x0aeadca5, 0xbad21c24, 0x0a71fee5, 0x9fc5d872,
    0x54c152c6, 0xfc329483, 0x6783384a, 0xeddb3e1c, 0x65f90e30, 0x884ad098, 0xce81675a, 0x4b372f7d,
    0x68bf9a39, 0x43445f1e, 0x40f8d8cb, 0x90d5acb6, 0x4cd07282, 0x349eeb06, 0x0c9d5332, 0x520b24ef,
    0x80020447, 0x67976491, 0x2f931ca3, 0xfe9b0535, 0xfcd30220, 0x61a9e6cc, 0xa487d8d7, 0x3f7c5dd1,
    0x7d0127c5, 0x48f51d15, 0x60dea871, 0xc9a91cb7, 0x58b53bb3, 0x9d5e0b2d, 0x624a78b4, 0x30dbee1b,
    0x9bdf22e7, 0x1df5c299, 0x2d5643a7, 0xf4dd35ff, 0x03ca8fd6, 0x53b47ed8, 0x6f2c19aa, 0xfeb0c1f4,
    0x49e54438, 0x2f2577e6, 0xbf876969, 0x72440ea9, 0xfa0bafb8, 0x74f5b3a0, 0x7dd357cd, 0x89ce1358,
    0x6ef2cdda, 0x1e7767f3, 0xa6be9fdb, 0x4f5f88f8, 0xba994a3a, 0x08ca6b65, 0xe0893818, 0x9e00a16a,
    0xf42bfc8f, 0x9972eedc, 0x749c8b51, 0x32c05f5e, 0xd706805f, 0x6bfbb7cf, 0xd9210a10, 0x31a1db97,
    0x923a9559, 0x37a7a1f6, 0x059f8861, 0xca493e62, 0x65157e81, 0x8f6467dd, 0xab85ff9f, 0x9331aff2,
    0x8616b9f5, 0xedbd5695, 0xee7e29b1, 0x313ac44f, 0xb903112f, 0x432ef649, 0xdc0a36c0, 0x61cf2bba,
    0x81474925, 0xa8b6c7ad, 0xee5931de, 0xb2f8158d, 0x59fb7409, 0x2e3dfaed, 0x9af25a3f, 0xe1fed4d5,
};

// Masks of n low bits, n = 0..32.
constexpr uint32_t LowBits(int n) { return n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1; }

constexpr int CeilLog2(uint32_t value) {
  if (value == 1) return 0;
  int result = 1;
  value -= 1;
  while ((value >>= 1)) result++;
  return result;
}

// What a channel depth (8 or 5 bits) decodes with: the Golomb code family (quic.c's
// family_init), the sign-folding table and the model's bucket map (evol 3).
struct Depth {
  int bpc;
  uint32_t mask;
  uint32_t ngr[8];              // nGRcodewords
  int not_gr_len[8];            // notGRcwlen
  uint32_t not_gr_mask[8];      // notGRprefixmask
  uint32_t not_gr_suffix[8];    // mask of notGRsuffixlen bits
  uint8_t xlat[256];            // xlatL2U
  uint8_t bucket_of[256];
  int buckets;

  explicit constexpr Depth(int bits) : bpc(bits), mask(LowBits(bits)), ngr(), not_gr_len(), not_gr_mask(),
                             not_gr_suffix(), xlat(), bucket_of(), buckets(0) {
    for (int l = 0; l < bpc; l++) {
      uint32_t alt_prefix_len = kDefMaxCodeLength - bpc;
      if (alt_prefix_len > LowBits(bpc - l)) alt_prefix_len = LowBits(bpc - l);
      const uint32_t alt_codewords = mask + 1 - (alt_prefix_len << l);
      ngr[l] = alt_prefix_len << l;
      not_gr_len[l] = static_cast<int>(alt_prefix_len) + CeilLog2(alt_codewords);
      not_gr_mask[l] = LowBits(32 - static_cast<int>(alt_prefix_len));
      not_gr_suffix[l] = LowBits(CeilLog2(alt_codewords));
    }
    for (uint32_t s = 0; s <= mask; s++) xlat[s] = (s & 1) ? mask - (s >> 1) : s >> 1;
    const int levels = 1 << bpc;
    int bend = 0, bnumber = 0, repcntr = 2, bsize = 1;
    do {
      const int bstart = bnumber ? bend + 1 : 0;
      if (!--repcntr) {
        repcntr = 1;
        bsize *= 2;
      }
      bend = bstart + bsize - 1;
      if (bend + bsize >= levels) bend = levels - 1;
      for (int i = bstart; i <= bend; i++) bucket_of[i] = static_cast<uint8_t>(bnumber);
      bnumber++;
    } while (bend < levels - 1);
    buckets = bnumber;
  }
};

// Compile-time tables: the decoding loops fold the masks and index the tables at fixed addresses.
constexpr Depth kDepth8(8);
constexpr Depth kDepth5(5);

// Model arrays are sized for 8 bits per channel, which the 5-bit buckets fit in.
constexpr int kBuckets = 12;

// The adaptive model of all four channels. Apart from the Decoder so that the Decoder holds only
// scalars and pointers, which the compiler keeps in registers.
struct Model {
  uint8_t zero[4] = {0, 0, 0, 0};  // each channel's first residual on the previous row
  uint8_t bestcode[4 * kBuckets];
  uint32_t counters[4 * kBuckets * 8];
};

// Corrupt data ends a decode by this exception, caught in DecodeQuicPixels; valid data never
// throws, so the hot paths carry no error plumbing.
struct CorruptData {
  const char* reason;
};

// The model-update schedule and run-length coder state of one pass (quic.c's CommonState).
struct PassState {
  int waitcnt = 0;
  uint32_t tabrand_seed = 0xFF;
  int wm_trigger = 0;
  int wmidx = 0;
  int wmileft = kDefWmiNext;
  int melcstate = 0;
  int melclen = kJ[0];
  uint32_t melcorder = 1u << kJ[0];

  PassState() { SetWmTrigger(); }

  QUIC_INLINE void SetWmTrigger() {
    wm_trigger = kBestTrigTab[kDefEvol >> 1][wmidx < 10 ? wmidx : 10];
  }

  QUIC_INLINE uint32_t Tabrand() {
    tabrand_seed = (tabrand_seed + 1) & 0xFF;
    return kTabrandChaos[tabrand_seed];
  }
};

// One image's decode. Lives on the stack of DecodeQuicPixels and never lets its address out, so
// the compiler can keep the bit window in registers although the pixel writes are byte stores.
template <int kBpc>
class Decoder {
 public:
  Decoder(const uint8_t* data, size_t length, uint32_t width, uint8_t* out, uint8_t* corr,
          Model* model)
      : data_(data), length_(length), width_(static_cast<int>(width)), out_(out), corr_(corr),
        zero_(model->zero), bestcode_(model->bestcode), counters_(model->counters) {
    std::memset(model->bestcode, kBpc - 1, sizeof model->bestcode);
    std::memset(model->counters, 0, sizeof model->counters);
    // The header's five words were checked by ReadQuicHeader; decoding starts after them.
    idx_ = 20;
    ReadWord();
    word_ = next_;
    ReadWord();
    avail_ = 32;
  }

  int overrun() const { return overrun_; }

  // Row 0 of a pass: each channel predicted from the left.
  template <int kChannels>
  QUIC_INLINE void Row0(PassState& st) {
    int pos = 0;
    int width = width_;
    while (kDefWmiMax > st.wmidx && st.wmileft <= width) {
      if (st.wmileft) {
        Row0Seg<kChannels>(st, pos, pos + st.wmileft, LowBits(st.wmidx));
        pos += st.wmileft;
        width -= st.wmileft;
      }
      st.wmidx++;
      st.SetWmTrigger();
      st.wmileft = kDefWmiNext;
    }
    if (width) {
      Row0Seg<kChannels>(st, pos, pos + width, LowBits(st.wmidx));
      if (kDefWmiMax > st.wmidx) st.wmileft -= width;
    }
  }

  // Row y > 0 of a pass: the mean of left and above, and runs where the row repeats.
  template <int kChannels>
  QUIC_INLINE void Row(PassState& st, int y) {
    const size_t stride = static_cast<size_t>(width_) * 4;
    uint8_t* prev = out_ + (y - 1) * stride;
    uint8_t* cur = prev + stride;
    int pos = 0;
    int width = width_;
    while (kDefWmiMax > st.wmidx && st.wmileft <= width) {
      if (st.wmileft) {
        RowSeg<kChannels>(st, prev, cur, pos, pos + st.wmileft);
        pos += st.wmileft;
        width -= st.wmileft;
      }
      st.wmidx++;
      st.SetWmTrigger();
      st.wmileft = kDefWmiNext;
    }
    if (width) {
      RowSeg<kChannels>(st, prev, cur, pos, pos + width);
      if (kDefWmiMax > st.wmidx) st.wmileft -= width;
    }
  }

  // Each row's first pixel is predicted from the previous row's first residuals.
  QUIC_INLINE void StartRow() {
    for (int c = 0; c < 4; c++) zero_[c] = corr_[c * width_];
  }

 private:
  // Byte offset in a pixel of channel k: R, G, B at 2, 1, 0 for three channels, alpha (or the
  // one grey channel) at 3.
  template <int kChannels>
  static constexpr int Offset(int k) {
    return kChannels == 3 ? 2 - k : 3;
  }
  template <int kChannels>
  static constexpr int Channel(int k) {
    return kChannels == 3 ? k : 3;
  }

  QUIC_INLINE void ReadWord() {
    if (idx_ + 4 > length_) {
      // One word of look-ahead runs past the end of any stream; more than that is corrupt data.
      if (++overrun_ > 2) throw CorruptData{"compressed data ends before the image does"};
      next_ = 0;
      return;
    }
    next_ = static_cast<uint32_t>(data_[idx_]) | (static_cast<uint32_t>(data_[idx_ + 1]) << 8) |
            (static_cast<uint32_t>(data_[idx_ + 2]) << 16) |
            (static_cast<uint32_t>(data_[idx_ + 3]) << 24);
    idx_ += 4;
  }

  // Drops `len` (1..31) bits from the window.
  QUIC_INLINE void Eat(int len) {
    uint32_t word = word_ << len;
    const int delta = avail_ - len;
    if (delta >= 0) {
      avail_ = delta;
      word |= next_ >> delta;  // delta < 32: avail_ is 32 at most and len at least 1
    } else {
      word |= next_ << -delta;
      ReadWord();
      avail_ = 32 + delta;
      word |= next_ >> avail_;
    }
    word_ = word;
  }

  // Golomb-decodes one residual with code parameter l.
  QUIC_INLINE uint32_t Symbol(int l) {
    const uint32_t bits = word_;
    uint32_t rc;
    int len;
    if (bits > depth_.not_gr_mask[l]) {
      const int zeroprefix = __builtin_clz(bits);  // bits > mask >= 0, so never zero
      len = zeroprefix + 1 + l;
      rc = (static_cast<uint32_t>(zeroprefix) << l) | ((bits >> (32 - len)) & LowBits(l));
    } else {
      len = depth_.not_gr_len[l];
      rc = depth_.ngr[l] + ((bits >> (32 - len)) & depth_.not_gr_suffix[l]);
    }
    Eat(len);
    // Corrupt data can yield values past the channel's bits; keep table lookups in range.
    return rc & depth_.mask;
  }

  QUIC_INLINE int CodeLength(uint32_t n, int l) const {
    return n < depth_.ngr[l] ? static_cast<int>(n >> l) + 1 + l : depth_.not_gr_len[l];
  }

  QUIC_INLINE void UpdateModel(const PassState& st, int c, int bucket, uint32_t value) {
    const int b = c * kBuckets + bucket;
    uint32_t* counters = counters_ + b * 8;
    const int bpc = kBpc;
    int best = bpc - 1;
    uint32_t best_len = (counters[best] += CodeLength(value, best));
    for (int i = bpc - 2; i >= 0; i--) {
      const uint32_t len = (counters[i] += CodeLength(value, i));
      if (len < best_len) {
        best = i;
        best_len = len;
      }
    }
    bestcode_[b] = static_cast<uint8_t>(best);
    if (best_len > static_cast<uint32_t>(st.wm_trigger)) {
      for (int i = 0; i < bpc; i++) counters[i] >>= 1;
    }
  }

  QUIC_INLINE int64_t RunLength(PassState& st) {
    int64_t runlen = 0;
    for (;;) {
      const uint32_t x = ~(word_ >> 24) & 0xFF;
      const int ones = x ? __builtin_clz(x) - 24 : 8;  // leading ones of the top byte
      for (int hits = 1; hits <= ones; hits++) {
        runlen += st.melcorder;
        if (st.melcstate < kMelcStates) {
          st.melclen = kJ[++st.melcstate];
          st.melcorder = 1u << st.melclen;
        }
      }
      if (ones != 8) {
        Eat(ones + 1);
        break;
      }
      Eat(8);
    }
    if (st.melclen) {
      runlen += word_ >> (32 - st.melclen);
      Eat(st.melclen);
    }
    if (st.melcstate) {
      st.melclen = kJ[--st.melcstate];
      st.melcorder = 1u << st.melclen;
    }
    return runlen;
  }

  template <int kChannels>
  QUIC_INLINE void FirstPixel(PassState& st, const uint8_t* prev, uint8_t* cur, uint32_t waitmask) {
    for (int k = 0; k < kChannels; k++) {
      const int c = Channel<kChannels>(k);
      const uint32_t rc = Symbol(bestcode_[c * kBuckets + depth_.bucket_of[zero_[c]]]);
      corr_[c * width_] = static_cast<uint8_t>(rc);
      const uint32_t above = prev ? prev[Offset<kChannels>(k)] : 0;
      cur[Offset<kChannels>(k)] = static_cast<uint8_t>((depth_.xlat[rc] + above) & depth_.mask);
    }
    if (st.waitcnt) {
      st.waitcnt--;
    } else {
      st.waitcnt = static_cast<int>(st.Tabrand() & waitmask);
      for (int k = 0; k < kChannels; k++) {
        const int c = Channel<kChannels>(k);
        UpdateModel(st, c, depth_.bucket_of[zero_[c]], corr_[c * width_]);
      }
    }
  }

  // Pixel i (> 0) of a row; on row 0 (prev null) predicted from the left.
  template <int kChannels, bool kRow0>
  QUIC_INLINE void Pixel(const uint8_t* prev, uint8_t* cur, int i) {
    uint8_t* p = cur + i * 4;
    for (int k = 0; k < kChannels; k++) {
      const int c = Channel<kChannels>(k);
      const int o = Offset<kChannels>(k);
      uint8_t* corr = corr_ + c * width_;
      const uint32_t rc = Symbol(bestcode_[c * kBuckets + depth_.bucket_of[corr[i - 1]]]);
      corr[i] = static_cast<uint8_t>(rc);
      const uint32_t predicted = kRow0 ? p[o - 4] : (p[o - 4] + prev[i * 4 + o]) >> 1;
      p[o] = static_cast<uint8_t>((depth_.xlat[rc] + predicted) & depth_.mask);
    }
  }

  template <int kChannels>
  QUIC_INLINE void UpdateAt(const PassState& st, int stopidx) {
    for (int k = 0; k < kChannels; k++) {
      const int c = Channel<kChannels>(k);
      const uint8_t* corr = corr_ + c * width_;
      UpdateModel(st, c, depth_.bucket_of[corr[stopidx - 1]], corr[stopidx]);
    }
  }

  template <int kChannels>
  QUIC_INLINE void Row0Seg(PassState& st, int i, int end, uint32_t waitmask) {
    uint8_t* cur = out_;
    int stopidx;
    if (i == 0) {
      FirstPixel<kChannels>(st, nullptr, cur, waitmask);
      stopidx = ++i + st.waitcnt;
    } else {
      stopidx = i + st.waitcnt;
    }
    while (stopidx < end) {
      for (; i <= stopidx; i++) Pixel<kChannels, true>(nullptr, cur, i);
      UpdateAt<kChannels>(st, stopidx);
      stopidx = i + static_cast<int>(st.Tabrand() & waitmask);
    }
    for (; i < end; i++) Pixel<kChannels, true>(nullptr, cur, i);
    st.waitcnt = stopidx - end;
  }

  static QUIC_INLINE uint32_t Load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }

  // True when pixel i-1 equals pixel i above, and pixels i-2 and i-1 of this row are equal, in
  // the channels of this pass.
  template <int kChannels>
  QUIC_INLINE bool RunAhead(const uint8_t* prev, const uint8_t* cur, int i) const {
    constexpr uint32_t mask = kChannels == 3 ? 0x00FFFFFFu : 0xFF000000u;
    return ((Load32(prev + i * 4 - 4) ^ Load32(prev + i * 4)) & mask) == 0 &&
           ((Load32(cur + i * 4 - 4) ^ Load32(cur + i * 4 - 8)) & mask) == 0;
  }

  // Decodes a run starting at pixel i; returns the index after it.
  template <int kChannels>
  QUIC_INLINE int Run(PassState& st, uint8_t* cur, int i, int end) {
    const int64_t run_end = i + RunLength(st);
    if (run_end > end) throw CorruptData{"run length passes the end of the row"};
    for (; i < run_end; i++) {
      uint8_t* p = cur + i * 4;
      for (int k = 0; k < kChannels; k++) p[Offset<kChannels>(k)] = p[Offset<kChannels>(k) - 4];
    }
    return i;
  }

  template <int kChannels>
  QUIC_INLINE void RowSeg(PassState& st, const uint8_t* prev, uint8_t* cur, int i, int end) {
    const uint32_t waitmask = LowBits(st.wmidx);
    int run_index = 0;
    int stopidx;
    if (i == 0) {
      FirstPixel<kChannels>(st, prev, cur, waitmask);
      stopidx = ++i + st.waitcnt;
    } else {
      stopidx = i + st.waitcnt;
    }
    for (;;) {
      bool ran = false;
      while (stopidx < end && !ran) {
        for (; i <= stopidx; i++) {
          if (run_index != i && i > 2 && RunAhead<kChannels>(prev, cur, i)) {
            st.waitcnt = stopidx - i;
            run_index = i;
            i = Run<kChannels>(st, cur, i, end);
            if (i == end) return;
            stopidx = i + st.waitcnt;
            ran = true;
            break;
          }
          Pixel<kChannels, false>(prev, cur, i);
        }
        if (ran) break;
        UpdateAt<kChannels>(st, stopidx);
        stopidx = i + static_cast<int>(st.Tabrand() & waitmask);
      }
      if (!ran) {
        for (; i < end; i++) {
          if (run_index != i && i > 2 && RunAhead<kChannels>(prev, cur, i)) {
            st.waitcnt = stopidx - i;
            run_index = i;
            i = Run<kChannels>(st, cur, i, end);
            if (i == end) return;
            stopidx = i + st.waitcnt;
            ran = true;
            break;
          }
          Pixel<kChannels, false>(prev, cur, i);
        }
      }
      if (!ran) {
        st.waitcnt = stopidx - end;
        return;
      }
    }
  }

  static constexpr const Depth& depth_ = kBpc == 8 ? kDepth8 : kDepth5;
  static_assert(depth_.buckets <= kBuckets, "the model arrays hold every bucket");

  const uint8_t* const data_;
  const size_t length_;
  const int width_;
  uint8_t* const out_;
  // Per channel (0..3): the previous row's decoded residuals, width entries each.
  uint8_t* const corr_;
  size_t idx_ = 0;
  uint32_t word_ = 0;
  uint32_t next_ = 0;
  int avail_ = 0;
  int overrun_ = 0;
  uint8_t* const zero_;
  uint8_t* const bestcode_;
  uint32_t* const counters_;
};

// Row 0, then each later row, of the colour pass and the one-channel pass, interleaved row by
// row as the encoder wrote them.
template <int kBpc>
void DecodePasses(const uint8_t* data, size_t length, const QuicHeader& header, uint8_t* out,
                  uint8_t* corr, Model* model) {
  const bool has_rgb = header.type != kGray;
  // GRAY's one channel is decoded where RGBA keeps alpha (byte 3), with the same one-channel
  // model, then spread into grey pixels.
  const bool has_one_channel = header.type == kGray || header.type == kRgba;
  Decoder<kBpc> decoder(data, length, header.width, out, corr, model);
  PassState rgb_state;
  PassState alpha_state;
  if (has_rgb) decoder.template Row0<3>(rgb_state);
  if (has_one_channel) decoder.template Row0<1>(alpha_state);
  for (uint32_t y = 1; y < header.height; y++) {
    decoder.StartRow();
    if (has_rgb) decoder.template Row<3>(rgb_state, static_cast<int>(y));
    if (has_one_channel) decoder.template Row<1>(alpha_state, static_cast<int>(y));
  }
  if (decoder.overrun() > 1) throw CorruptData{"compressed data ends before the image does"};
}

uint32_t ReadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

std::string Hex(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", value);
  return text;
}

// Widens the decoded channels into opaque (or, for RGBA, as decoded) B,G,R,A pixels, as
// convertRows does for the JavaScript decoder.
void Finish(uint32_t type, uint32_t* pixels, size_t count) {
  switch (type) {
    case kRgb24:
    case kRgb32:
      for (size_t i = 0; i < count; i++) pixels[i] |= 0xFF000000u;
      break;
    case kRgb16:
      for (size_t i = 0; i < count; i++) {
        const uint32_t v = pixels[i];
        const uint32_t b = v & 31, g = (v >> 8) & 31, r = (v >> 16) & 31;
        pixels[i] = 0xFF000000u | (((r << 3) | (r >> 2)) << 16) | (((g << 3) | (g >> 2)) << 8) |
                    ((b << 3) | (b >> 2));
      }
      break;
    case kGray:
      for (size_t i = 0; i < count; i++) pixels[i] = 0xFF000000u | ((pixels[i] >> 24) * 0x010101u);
      break;
    default:
      break;
  }
}

}  // namespace

std::string ReadQuicHeader(const uint8_t* data, size_t length, QuicHeader* header) {
  if (length < 20) return std::to_string(length) + " bytes cannot hold a header";
  const uint32_t magic = ReadLe32(data);
  if (magic != kMagic) return "bad magic " + Hex(magic);
  const uint32_t version = ReadLe32(data + 4);
  if (version != kVersion) return "unsupported version " + Hex(version);
  header->type = ReadLe32(data + 8);
  header->width = ReadLe32(data + 12);
  header->height = ReadLe32(data + 16);
  const uint64_t pixels = static_cast<uint64_t>(header->width) * header->height;
  if (header->width == 0 || header->height == 0 || header->width > kMaxSide ||
      header->height > kMaxSide || pixels > kMaxPixels) {
    return "implausible size " + std::to_string(header->width) + "x" + std::to_string(header->height);
  }
  if (header->type < kGray || header->type > kRgba) {
    return "image type " + std::to_string(header->type) + " is not a QUIC image type";
  }
  return "";
}

std::string DecodeQuicPixels(const uint8_t* data, size_t length, const QuicHeader& header,
                             uint32_t* pixels) {
  const bool rgb16 = header.type == kRgb16;
  const uint32_t width = header.width;
  // Reused between images: a decode allocates nothing once the widest image has been seen.
  thread_local std::vector<uint8_t> corr;
  if (corr.size() < 4 * static_cast<size_t>(width)) corr.resize(4 * static_cast<size_t>(width));
  std::memset(corr.data(), 0, 4 * static_cast<size_t>(width));
  uint8_t* out = reinterpret_cast<uint8_t*>(pixels);
  Model model;
  try {
    if (rgb16) {
      DecodePasses<5>(data, length, header, out, corr.data(), &model);
    } else {
      DecodePasses<8>(data, length, header, out, corr.data(), &model);
    }
  } catch (const CorruptData& corrupt) {
    return corrupt.reason;
  }
  Finish(header.type, pixels, static_cast<size_t>(width) * header.height);
  return "";
}

Napi::Value DecodeQuic(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Bytes data = RequireTypedArray(info[0], "data");
  const Bytes pixels = RequireTypedArray(info[1], "pixels");
  QuicHeader header;
  const std::string problem = ReadQuicHeader(data.data, data.length, &header);
  if (!problem.empty()) return Napi::String::New(env, problem);
  const size_t needed = static_cast<size_t>(header.width) * header.height * 4;
  if (pixels.length < needed) {
    throw Napi::TypeError::New(env, "pixels must hold " + std::to_string(needed) + " bytes for a " +
                                        std::to_string(header.width) + "x" +
                                        std::to_string(header.height) + " image; got " +
                                        std::to_string(pixels.length));
  }
  if (reinterpret_cast<uintptr_t>(pixels.data) % 4 != 0) {
    throw Napi::TypeError::New(env, "pixels must start on a 4-byte boundary");
  }
  const std::string corrupt =
      DecodeQuicPixels(data.data, data.length, header, reinterpret_cast<uint32_t*>(pixels.data));
  if (!corrupt.empty()) return Napi::String::New(env, corrupt);
  return env.Undefined();
}

}  // namespace screencap
