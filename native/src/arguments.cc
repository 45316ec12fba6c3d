#include "arguments.h"

#include <cmath>
#include <string>

namespace screencap {

namespace {

[[noreturn]] void ThrowTypeError(const Napi::Value& value, const char* field,
                                 const std::string& reason) {
  throw Napi::TypeError::New(value.Env(), std::string(field) + " " + reason);
}

}  // namespace

PixelFormat RequirePixelFormat(const Napi::Value& value, const char* field) {
  return RequireOneOf(value, field, {"rgba8", "bgra8"}) == "rgba8" ? PixelFormat::kRgba8
                                                                    : PixelFormat::kBgra8;
}

int RequireInt(const Napi::Value& value, const char* field, int min, int max) {
  if (!value.IsNumber()) ThrowTypeError(value, field, "must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::floor(number) != number || number < min || number > max) {
    ThrowTypeError(value, field,
                   "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(number);
}

double RequireNumber(const Napi::Value& value, const char* field) {
  if (!value.IsNumber() || !std::isfinite(value.As<Napi::Number>().DoubleValue())) {
    ThrowTypeError(value, field, "must be a finite number");
  }
  return value.As<Napi::Number>().DoubleValue();
}

std::string RequireOneOf(const Napi::Value& value, const char* field,
                         std::initializer_list<const char*> names) {
  std::string list;
  for (const char* name : names) {
    if (value.IsString() && value.As<Napi::String>().Utf8Value() == name) return name;
    list += list.empty() ? "" : " or ";
    list += std::string("'") + name + "'";
  }
  ThrowTypeError(value, field, "must be " + list);
}

bool RequireBool(const Napi::Value& value, const char* field) {
  if (!value.IsBoolean()) ThrowTypeError(value, field, "must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

Napi::Buffer<uint8_t> RequireBuffer(const Napi::Value& value, const char* field) {
  if (!value.IsBuffer()) ThrowTypeError(value, field, "must be a Buffer");
  return value.As<Napi::Buffer<uint8_t>>();
}

void RequireImageFits(const Napi::Buffer<uint8_t>& buffer, const char* field, int width,
                      int height, int stride) {
  const size_t row = static_cast<size_t>(width) * 4;
  if (static_cast<size_t>(stride) < row) {
    ThrowTypeError(buffer, field, "stride " + std::to_string(stride) + " is less than width * 4");
  }
  const size_t needed = static_cast<size_t>(stride) * (height - 1) + row;
  if (buffer.Length() < needed) {
    ThrowTypeError(buffer, field,
                   "holds " + std::to_string(buffer.Length()) + " bytes; a " +
                       std::to_string(width) + "x" + std::to_string(height) + " image with stride " +
                       std::to_string(stride) + " needs " + std::to_string(needed));
  }
}

Bytes RequireTypedArray(const Napi::Value& value, const char* field) {
  if (!value.IsTypedArray()) {
    throw Napi::TypeError::New(value.Env(), std::string(field) + " must be a typed array");
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  return Bytes{static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(),
               array.ByteLength()};
}

void RequireRectFits(const Napi::Env& env, const Bytes& bytes, const char* field, int offset,
                     int stride, int row_bytes, int height) {
  if (stride < row_bytes) {
    throw Napi::TypeError::New(env, std::string(field) + " stride " + std::to_string(stride) +
                                        " is less than a row's " + std::to_string(row_bytes) +
                                        " bytes");
  }
  const size_t needed = static_cast<size_t>(offset) + static_cast<size_t>(stride) * (height - 1) +
                        static_cast<size_t>(row_bytes);
  if (bytes.length < needed) {
    throw Napi::TypeError::New(env, std::string(field) + " holds " + std::to_string(bytes.length) +
                                        " bytes; the rows need " + std::to_string(needed));
  }
}

}  // namespace screencap
