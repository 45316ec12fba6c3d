// decodeLz4(data, start, out): SPICE's LZ4 image stream (spice-common canvas_get_lz4) after its
// two header bytes: LZ4 blocks (the block format, no frame), each behind a big-endian byte count,
// decompressed as one stream into `out` (a Uint8Array), where earlier blocks' output is the
// dictionary of later ones. The same work as src/sources/spice/decoders/lz4.ts and lz4-block.ts
// do in JavaScript, byte for byte, and with the same reasons for refusing data.
//
// Returns the number of bytes written, or a string saying why the data is not a valid stream
// ("literals overflow the image at input offset 1234"; the caller turns it into a protocol
// error). Wrong arguments throw a TypeError naming the field. No input, however corrupt, makes it
// read or write outside `data` or `out`.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Value DecodeLz4(const Napi::CallbackInfo& info);

}  // namespace screencap
