// MappedFile: a file descriptor's bytes mapped into memory (mmap, MAP_SHARED), seen from
// JavaScript as an external ArrayBuffer. SHARED_MEMORY frames go through such mappings on both
// sides, so a frame is written once by the server and read in place by the client, with no
// copy through the kernel.
//
//   new MappedFile(fd, length, writable)  maps bytes [0, length) of fd.
//   .buffer                                the ArrayBuffer over the mapping.
//   .unmap()                               detaches the ArrayBuffer (every view of it becomes
//                                          empty, so nothing can read or write the freed
//                                          address range) and unmaps. Idempotent.
//
// Without unmap() the mapping goes when the ArrayBuffer is collected. The descriptor may be
// closed right after mapping: the mapping keeps the file's memory.
#pragma once

#include <napi.h>

namespace screencap {

Napi::Function DefineMappedFile(Napi::Env env);

}  // namespace screencap
