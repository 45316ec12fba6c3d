#include "mapped-file.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "arguments.h"

namespace screencap {

namespace {

// One mapping, shared by the wrapper (for unmap()) and the ArrayBuffer's finaliser (for
// garbage collection), whichever of the two goes last unmaps it if unmap() was never called.
struct Mapping {
  void* address = nullptr;
  size_t length = 0;

  void Unmap() {
    if (address == nullptr) return;
    munmap(address, length);
    address = nullptr;
  }
  ~Mapping() { Unmap(); }
};

using SharedMapping = std::shared_ptr<Mapping>;

class MappedFile : public Napi::ObjectWrap<MappedFile> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MappedFile",
                       {InstanceAccessor<&MappedFile::Buffer>("buffer"),
                        InstanceMethod<&MappedFile::Unmap>("unmap")});
  }

  explicit MappedFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedFile>(info) {
    const Napi::Env env = info.Env();
    const int fd = RequireInt(info[0], "fd", 0, INT32_MAX);
    const double length = RequireNumber(info[1], "length");
    // 2^40 bytes: far beyond any collection (64 buffers of 8192 x 8192 x 4), far inside size_t.
    if (!(length >= 1 && length <= 1099511627776.0) || length != static_cast<double>(static_cast<size_t>(length))) {
      throw Napi::TypeError::New(env, "length must be a whole number of bytes from 1 to 2^40");
    }
    const bool writable = RequireBool(info[2], "writable");
    mapping_ = std::make_shared<Mapping>();
    mapping_->length = static_cast<size_t>(length);
    void* address = mmap(nullptr, mapping_->length, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                         MAP_SHARED, fd, 0);
    if (address == MAP_FAILED) {
      throw Napi::Error::New(env, std::string("mmap of descriptor ") + std::to_string(fd) + " (" +
                                      std::to_string(mapping_->length) + " bytes) failed: " +
                                      std::strerror(errno));
    }
    mapping_->address = address;
    // The finaliser's hint holds its own reference to the mapping.
    auto* hint = new SharedMapping(mapping_);
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
        env, address, mapping_->length, [](Napi::Env, void*, SharedMapping* held) { delete held; },
        hint);
    buffer_ = Napi::Persistent(buffer);
  }

 private:
  Napi::Value Buffer(const Napi::CallbackInfo& info) {
    if (buffer_.IsEmpty()) return info.Env().Undefined();
    return buffer_.Value();
  }

  Napi::Value Unmap(const Napi::CallbackInfo& info) {
    if (mapping_->address != nullptr) {
      Napi::ArrayBuffer buffer = buffer_.Value();
      // Detached first: a Buffer or typed array over it then has length 0 and reads nothing,
      // instead of touching an address range that may be mapped to something else next.
      if (!buffer.IsDetached()) buffer.Detach();
      mapping_->Unmap();
    }
    return info.Env().Undefined();
  }

  SharedMapping mapping_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

}  // namespace

Napi::Function DefineMappedFile(Napi::Env env) { return MappedFile::Define(env); }

}  // namespace screencap
