// Checks of the values the TypeScript wrapper passes in. The wrapper validates for the user;
// these checks exist so that no caller, however wrong, can make the addon read or write outside
// a buffer. Each throws a TypeError naming the field.
#pragma once

#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "pixel-format.h"

namespace screencap {

PixelFormat RequirePixelFormat(const Napi::Value& value, const char* field);

int RequireInt(const Napi::Value& value, const char* field, int min, int max);

double RequireNumber(const Napi::Value& value, const char* field);

// One of a few names; returns it.
std::string RequireOneOf(const Napi::Value& value, const char* field,
                         std::initializer_list<const char*> names);

bool RequireBool(const Napi::Value& value, const char* field);

Napi::Buffer<uint8_t> RequireBuffer(const Napi::Value& value, const char* field);

// The bytes of a typed array (a Buffer, a Uint8Array...), wherever in its ArrayBuffer it starts.
struct Bytes {
  uint8_t* data;
  size_t length;
};

Bytes RequireTypedArray(const Napi::Value& value, const char* field);

// `height` rows of `row_bytes`, `stride` apart from `offset`, must lie inside `bytes`.
void RequireRectFits(const Napi::Env& env, const Bytes& bytes, const char* field, int offset,
                     int stride, int row_bytes, int height);

// A packed image of `height` rows of `stride` bytes, the last row needing only width * 4.
void RequireImageFits(const Napi::Buffer<uint8_t>& buffer, const char* field, int width,
                      int height, int stride);

}  // namespace screencap
