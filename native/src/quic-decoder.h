// decodeQuic(data, pixels): decodes one SPICE QUIC image (spice-common's quic.c format: a
// predictive codec with adaptive Golomb codes and MELCODE run lengths) into `pixels`, 32-bit
// pixels with bytes B,G,R,A as SPICE surfaces hold them, rows packed. Synchronous: it is the
// same work the JavaScript decoder does (src/sources/spice/decoders/quic.ts), bit for bit, and
// its output must equal that decoder's byte for byte.
//
// Returns undefined when the image decoded, or a string saying why the data is not a valid QUIC
// image (the caller turns it into a protocol error). Wrong arguments throw a TypeError naming the
// field. No input, however corrupt, makes it read or write outside `data` or `pixels`.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace screencap {

// The image header's fields, as the first 20 bytes hold them.
struct QuicHeader {
  uint32_t type;
  uint32_t width;
  uint32_t height;
};

// Reads and checks the header. Returns an empty string, or the reason the data is not QUIC.
std::string ReadQuicHeader(const uint8_t* data, size_t length, QuicHeader* header);

// Decodes a whole image into `pixels` (header.width * header.height entries). Returns an empty
// string, or the reason the data is corrupt; `pixels` then holds a partial picture.
std::string DecodeQuicPixels(const uint8_t* data, size_t length, const QuicHeader& header,
                             uint32_t* pixels);

Napi::Value DecodeQuic(const Napi::CallbackInfo& info);

}  // namespace screencap
