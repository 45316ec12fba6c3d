#include "transform-worker.h"

#include <algorithm>
#include <atomic>
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

// A batch is one frame's writes for every client; a few hundred is already far more clients
// than one server feeds.
constexpr uint32_t kMaxTasks = 4096;

// libuv's pool has four threads unless UV_THREADPOOL_SIZE says otherwise; more workers than
// threads would only queue behind each other.
constexpr int kMaxThreads = 4;

// One image to write: what to read, where to write, and the references that keep both Buffers
// alive (and unmoved) while a worker thread uses them.
struct TransformTask {
  Napi::Reference<Napi::Buffer<uint8_t>> source_ref;
  Napi::Reference<Napi::Buffer<uint8_t>> destination_ref;
  SourceImage source{};
  TransformTarget target{};
  // Only these parts of the destination are written (see TransformImageRegion); all when empty.
  std::vector<ContentRect> regions;
  // The image, when the task has no destination of its own.
  std::unique_ptr<uint8_t[]> output;
  size_t size = 0;
};

// Reads and checks one task's arguments; a TypeError naming the field otherwise (the caller
// adds which task).
std::unique_ptr<TransformTask> ParseTask(const Napi::Array& args) {
  const Napi::Env env = args.Env();
  auto arg = [&](uint32_t i) { return i < args.Length() ? args.Get(i) : env.Undefined(); };
  auto fail = [&](const std::string& reason) { throw Napi::TypeError::New(env, reason); };
  auto task = std::make_unique<TransformTask>();

  Napi::Buffer<uint8_t> buffer = RequireBuffer(arg(0), "src");
  SourceImage& source = task->source;
  source.pixels = buffer.Data();
  source.width = RequireInt(arg(1), "srcWidth", 1, kMaxSide);
  source.height = RequireInt(arg(2), "srcHeight", 1, kMaxSide);
  source.stride = RequireInt(arg(3), "srcStride", 4, kMaxSide * 8);
  source.format = RequirePixelFormat(arg(4), "srcFormat");
  RequireImageFits(buffer, "src", source.width, source.height, source.stride);

  TransformTarget& target = task->target;
  target.width = RequireInt(arg(5), "dstWidth", 1, kMaxSide);
  target.height = RequireInt(arg(6), "dstHeight", 1, kMaxSide);
  target.rotation = RequireInt(arg(7), "rotation", 0, 270);
  if (target.rotation % 90 != 0) fail("rotation must be 0, 90, 180 or 270");
  target.format = RequirePixelFormat(arg(8), "dstFormat");
  target.fit = RequireBool(arg(9), "fit");
  task->size = static_cast<size_t>(target.width) * target.height * 4;

  if (!arg(10).IsUndefined()) {
    Napi::Buffer<uint8_t> destination = RequireBuffer(arg(10), "into");
    if (destination.Length() < task->size) fail("into must hold at least dstWidth * dstHeight * 4 bytes");
    const uint8_t* src_begin = buffer.Data();
    const uint8_t* src_end = src_begin + buffer.Length();
    const uint8_t* dst_begin = destination.Data();
    if (dst_begin < src_end && src_begin < dst_begin + task->size) fail("into must not overlap src");
    task->destination_ref = Napi::Persistent(destination);
    target.pixels = destination.Data();
  }

  // regions (optional): an Int32Array of x, y, width, height quadruples, each inside the target;
  // only they are written, into `into`.
  if (!arg(11).IsUndefined()) {
    if (task->destination_ref.IsEmpty()) fail("regions need into");
    const Napi::Value value = arg(11);
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        value.As<Napi::TypedArray>().ElementLength() % 4 != 0 || value.As<Napi::TypedArray>().ElementLength() == 0) {
      fail("regions must be an Int32Array of x, y, width, height quadruples");
    }
    Napi::Int32Array quads = value.As<Napi::Int32Array>();
    for (size_t i = 0; i < quads.ElementLength(); i += 4) {
      const ContentRect region{quads[i], quads[i + 1], quads[i + 2], quads[i + 3]};
      if (region.x < 0 || region.y < 0 || region.width < 1 || region.height < 1 ||
          region.x > target.width - region.width || region.y > target.height - region.height) {
        fail("regions[" + std::to_string(i / 4) + "] is not a rectangle inside the target");
      }
      task->regions.push_back(region);
    }
  }
  task->source_ref = Napi::Persistent(buffer);
  return task;
}

// Writes one task's image, into a new allocation when the task has no destination of its own.
void WriteImage(TransformTask& task, TransformScratch& scratch) {
  if (task.target.pixels == nullptr) {
    // Uninitialised, where it is written: a zero-filled Buffer made on the JS thread would cost
    // it a clear of a whole image about to be overwritten.
    task.output.reset(new uint8_t[task.size]);
    task.target.pixels = task.output.get();
  }
  if (task.regions.empty()) {
    TransformImage(task.source, task.target, scratch);
  } else {
    for (const ContentRect& region : task.regions) TransformImageRegion(task.source, task.target, region, scratch);
  }
}

// The image a written task hands back: its destination, or a Buffer that takes over the output.
Napi::Value ImageOf(Napi::Env env, TransformTask& task) {
  if (!task.destination_ref.IsEmpty()) return task.destination_ref.Value();
  uint8_t* pixels = task.output.release();
  return Napi::Buffer<uint8_t>::NewOrCopy(env, pixels, task.size, [](Napi::Env, uint8_t* data) { delete[] data; });
}

// One batch of tasks shared by the workers that run it: each takes the next task not yet
// taken, so that when the system stalls one thread the others write what it would have written
// next (a fixed share per thread made every client after the stalled copy wait as long). Owned
// by its workers; the last to finish settles the promise, on the JS thread.
struct SharedBatch {
  SharedBatch(Napi::Env env, std::vector<std::unique_ptr<TransformTask>> batch, Napi::Function on_image, int workers)
      : deferred(Napi::Promise::Deferred::New(env)),
        tasks(std::move(batch)),
        on_image(Napi::Persistent(on_image)),
        workers_left(workers) {}

  Napi::Promise::Deferred deferred;
  std::vector<std::unique_ptr<TransformTask>> tasks;
  Napi::FunctionReference on_image;
  std::atomic<size_t> next_task{0};
  // Only touched on the JS thread.
  int workers_left;
  Napi::ObjectReference error;
};

// Writes tasks of a SharedBatch until none is left, and hands each image to `on_image` on the
// JS thread as soon as it is written, while the next is being written: the first client's reply
// goes out after its own copy, not after everyone's.
class TransformWorker : public Napi::AsyncProgressQueueWorker<uint32_t> {
 public:
  TransformWorker(Napi::Env env, std::shared_ptr<SharedBatch> batch)
      : Napi::AsyncProgressQueueWorker<uint32_t>(env, "screencap:transform"), batch_(std::move(batch)) {}

 protected:
  void Execute(const ExecutionProgress& progress) override {
    // Kept per pool thread: see TransformScratch.
    thread_local TransformScratch scratch;
    std::vector<std::unique_ptr<TransformTask>>& tasks = batch_->tasks;
    for (size_t index = batch_->next_task++; index < tasks.size(); index = batch_->next_task++) {
      TransformTask& task = *tasks[index];
      WriteImage(task, scratch);
      const uint32_t handed = static_cast<uint32_t>(index);
      progress.Send(&handed, 1);
    }
  }

  // This worker's images have all been handed over by now: its queue of progress calls is
  // drained first.
  void OnOK() override { Finish(); }

  void OnError(const Napi::Error& error) override {
    if (batch_->error.IsEmpty()) batch_->error = Napi::Persistent(error.Value());
    Finish();
  }

  void OnProgress(const uint32_t* indexes, size_t count) override {
    Napi::HandleScope scope(Env());
    for (size_t i = 0; i < count; i++) {
      batch_->on_image.Call({Napi::Number::New(Env(), indexes[i]), ImageOf(Env(), *batch_->tasks[indexes[i]])});
    }
  }

 private:
  void Finish() {
    if (--batch_->workers_left > 0) return;
    if (batch_->error.IsEmpty()) {
      batch_->deferred.Resolve(Env().Undefined());
    } else {
      batch_->deferred.Reject(batch_->error.Value());
    }
  }

  std::shared_ptr<SharedBatch> batch_;
};

}  // namespace

Napi::Value Transform(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0 ||
      info[0].As<Napi::Array>().Length() > kMaxTasks) {
    throw Napi::TypeError::New(info.Env(), "tasks must be an array of 1 to " + std::to_string(kMaxTasks) + " tasks");
  }
  if (!info[1].IsFunction()) throw Napi::TypeError::New(info.Env(), "onImage must be a function");
  const Napi::Array list = info[0].As<Napi::Array>();
  std::vector<std::unique_ptr<TransformTask>> tasks;
  tasks.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    const Napi::Value args = list.Get(i);
    const std::string where = "tasks[" + std::to_string(i) + "]: ";
    if (!args.IsArray()) throw Napi::TypeError::New(info.Env(), where + "must be an array of arguments");
    try {
      tasks.push_back(ParseTask(args.As<Napi::Array>()));
    } catch (const Napi::Error& error) {
      // Name the task whose field is wrong.
      throw Napi::TypeError::New(info.Env(), where + error.Message());
    }
  }
  const int threads = std::min(static_cast<int>(tasks.size()),
                               info[2].IsUndefined() ? 1 : RequireInt(info[2], "threads", 1, kMaxThreads));
  auto batch = std::make_shared<SharedBatch>(info.Env(), std::move(tasks), info[1].As<Napi::Function>(), threads);
  // Each worker deletes itself after OnOK / OnError; the batch goes with the last.
  for (int i = 0; i < threads; i++) (new TransformWorker(info.Env(), batch))->Queue();
  return batch->deferred.Promise();
}

Napi::Value TransformNow(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "task must be an array of arguments");
  std::unique_ptr<TransformTask> task = ParseTask(info[0].As<Napi::Array>());
  // Kept per JS thread (the main one, or a worker_threads one): see TransformScratch.
  thread_local TransformScratch scratch;
  WriteImage(*task, scratch);
  return ImageOf(info.Env(), *task);
}

}  // namespace screencap
