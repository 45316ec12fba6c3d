#include "transform-worker.h"

#include <memory>
#include <string>
#include <vector>

#include "arguments.h"
#include "image-transform.h"

namespace screencap {

namespace {

// libyuv takes int sizes and strides; 16384 keeps every byte offset of an image well inside
// int and size_t arithmetic.
constexpr int kMaxSide = 16384;

class TransformWorker : public Napi::AsyncWorker {
 public:
  TransformWorker(Napi::Env env, Napi::Buffer<uint8_t> source_buffer, SourceImage source,
                  TransformTarget target)
      : Napi::AsyncWorker(env, "screencap:transform"),
        deferred_(Napi::Promise::Deferred::New(env)),
        // Holding a reference keeps the source's memory alive (and unmoved) while a worker
        // thread reads it; the same for the caller's destination, if any.
        source_ref_(Napi::Persistent(source_buffer)),
        source_(source),
        target_(target),
        size_(static_cast<size_t>(target.width) * target.height * 4) {}

  void WriteInto(Napi::Buffer<uint8_t> destination) {
    destination_ref_ = Napi::Persistent(destination);
    target_.pixels = destination.Data();
  }

  // Only these parts of the destination are written (see TransformImageRegion).
  void OnlyRegions(std::vector<ContentRect> regions) { regions_ = std::move(regions); }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    // Kept per pool thread: see TransformScratch.
    thread_local TransformScratch scratch;
    if (target_.pixels == nullptr) {
      // Allocated here rather than on the JS thread so that the JS thread does not pay for
      // clearing a frame-sized buffer that is about to be overwritten.
      output_.reset(new uint8_t[size_]);
      target_.pixels = output_.get();
    }
    if (regions_.empty()) {
      TransformImage(source_, target_, scratch);
    } else {
      for (const ContentRect& region : regions_) TransformImageRegion(source_, target_, region, scratch);
    }
  }

  void OnOK() override {
    if (!destination_ref_.IsEmpty()) {
      deferred_.Resolve(destination_ref_.Value());
      return;
    }
    uint8_t* pixels = output_.release();
    deferred_.Resolve(Napi::Buffer<uint8_t>::NewOrCopy(
        Env(), pixels, size_, [](Napi::Env, uint8_t* data) { delete[] data; }));
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Buffer<uint8_t>> source_ref_;
  Napi::Reference<Napi::Buffer<uint8_t>> destination_ref_;
  SourceImage source_;
  TransformTarget target_;
  size_t size_;
  std::unique_ptr<uint8_t[]> output_;
  std::vector<ContentRect> regions_;
};

}  // namespace

Napi::Value Transform(const Napi::CallbackInfo& info) {
  Napi::Buffer<uint8_t> buffer = RequireBuffer(info[0], "src");
  SourceImage source{};
  source.pixels = buffer.Data();
  source.width = RequireInt(info[1], "srcWidth", 1, kMaxSide);
  source.height = RequireInt(info[2], "srcHeight", 1, kMaxSide);
  source.stride = RequireInt(info[3], "srcStride", 4, kMaxSide * 8);
  source.format = RequirePixelFormat(info[4], "srcFormat");
  RequireImageFits(buffer, "src", source.width, source.height, source.stride);

  TransformTarget target{};
  target.width = RequireInt(info[5], "dstWidth", 1, kMaxSide);
  target.height = RequireInt(info[6], "dstHeight", 1, kMaxSide);
  target.rotation = RequireInt(info[7], "rotation", 0, 270);
  if (target.rotation % 90 != 0) {
    throw Napi::TypeError::New(info.Env(), "rotation must be 0, 90, 180 or 270");
  }
  target.format = RequirePixelFormat(info[8], "dstFormat");
  target.fit = RequireBool(info[9], "fit");

  Napi::Buffer<uint8_t> destination;
  if (info.Length() > 10 && !info[10].IsUndefined()) {
    destination = RequireBuffer(info[10], "into");
    const size_t needed = static_cast<size_t>(target.width) * target.height * 4;
    if (destination.Length() < needed) {
      throw Napi::TypeError::New(info.Env(), "into must hold at least dstWidth * dstHeight * 4 bytes");
    }
    const uint8_t* src_begin = buffer.Data();
    const uint8_t* src_end = src_begin + buffer.Length();
    const uint8_t* dst_begin = destination.Data();
    if (dst_begin < src_end && src_begin < dst_begin + needed) {
      throw Napi::TypeError::New(info.Env(), "into must not overlap src");
    }
  }

  // regions (optional): an Int32Array of x, y, width, height quadruples, each inside the target;
  // only they are written, into `into`.
  std::vector<ContentRect> regions;
  if (info.Length() > 11 && !info[11].IsUndefined()) {
    if (destination.IsEmpty()) throw Napi::TypeError::New(info.Env(), "regions need into");
    if (!info[11].IsTypedArray() || info[11].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[11].As<Napi::TypedArray>().ElementLength() % 4 != 0 || info[11].As<Napi::TypedArray>().ElementLength() == 0) {
      throw Napi::TypeError::New(info.Env(), "regions must be an Int32Array of x, y, width, height quadruples");
    }
    Napi::Int32Array quads = info[11].As<Napi::Int32Array>();
    for (size_t i = 0; i < quads.ElementLength(); i += 4) {
      const ContentRect region{quads[i], quads[i + 1], quads[i + 2], quads[i + 3]};
      if (region.x < 0 || region.y < 0 || region.width < 1 || region.height < 1 ||
          region.x > target.width - region.width || region.y > target.height - region.height) {
        throw Napi::TypeError::New(info.Env(), "regions[" + std::to_string(i / 4) + "] is not a rectangle inside the target");
      }
      regions.push_back(region);
    }
  }

  auto* worker = new TransformWorker(info.Env(), buffer, source, target);
  if (!destination.IsEmpty()) worker->WriteInto(destination);
  if (!regions.empty()) worker->OnlyRegions(std::move(regions));
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

}  // namespace screencap
