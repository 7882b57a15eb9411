#include "node/args.h"

#include <cmath>

#include "node/errors.h"

namespace camu {

namespace {
constexpr double kMaxSafeInteger = 9007199254740991.0;
}

std::string DescribeJsValue(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    case napi_external: return "an external";
    default: break;
  }
  if (value.IsArray()) return "an array";
  if (value.IsTypedArray()) return "a typed array";
  if (value.IsArrayBuffer()) return "an ArrayBuffer";
  return "an object";
}

void CheckArgCount(const Napi::CallbackInfo& info, size_t min, size_t max, const std::string& fn) {
  size_t n = info.Length();
  if (n < min || n > max) {
    std::string expected = min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
    ThrowTypeError(fn + ": expected " + expected + " argument(s), got " + std::to_string(n));
  }
}

double NumberArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) ThrowTypeError(name + " must be a number, got " + DescribeJsValue(value));
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number)) ThrowRangeError(name + " must be finite, got " + std::to_string(number));
  return number;
}

int64_t IntegerArg(const Napi::Value& value, const std::string& name, int64_t min, int64_t max) {
  if (!value.IsNumber()) ThrowTypeError(name + " must be an integer, got " + DescribeJsValue(value));
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::floor(number) != number || std::fabs(number) > kMaxSafeInteger) {
    ThrowRangeError(name + " must be an integer, got " + std::to_string(number));
  }
  auto integer = static_cast<int64_t>(number);
  if (integer < min || integer > max) {
    ThrowRangeError(name + " must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                    std::to_string(integer));
  }
  return integer;
}

std::string StringArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsString()) ThrowTypeError(name + " must be a string, got " + DescribeJsValue(value));
  return value.As<Napi::String>().Utf8Value();
}

bool BooleanArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsBoolean()) ThrowTypeError(name + " must be a boolean, got " + DescribeJsValue(value));
  return value.As<Napi::Boolean>().Value();
}

Napi::Object ObjectArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) {
    ThrowTypeError(name + " must be an object, got " + DescribeJsValue(value));
  }
  return value.As<Napi::Object>();
}

Napi::Function FunctionArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsFunction()) ThrowTypeError(name + " must be a function, got " + DescribeJsValue(value));
  return value.As<Napi::Function>();
}

std::vector<int64_t> ShapeArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) ThrowTypeError(name + " must be an array of integers, got " + DescribeJsValue(value));
  auto array = value.As<Napi::Array>();
  if (array.Length() > 8) ThrowRangeError(name + " has " + std::to_string(array.Length()) + " dimensions; at most 8");
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    shape.push_back(IntegerArg(array.Get(i), name + "[" + std::to_string(i) + "]", 0, INT32_MAX));
  }
  return shape;
}

Options::Options(const Napi::Value& value, std::string context) : env_(value.Env()), context_(std::move(context)) {
  if (value.IsUndefined()) return;
  object_ = ObjectArg(value, context_);
}

bool Options::Has(const char* key) const {
  return object_ && object_->Has(key) && !object_->Get(key).IsUndefined();
}

Napi::Value Options::Get(const char* key) const { return object_ ? object_->Get(key) : env_.Undefined(); }

double Options::Number(const char* key, double fallback) const {
  return Has(key) ? NumberArg(Get(key), Name(key)) : fallback;
}

int64_t Options::Integer(const char* key, int64_t fallback, int64_t min, int64_t max) const {
  return Has(key) ? IntegerArg(Get(key), Name(key), min, max) : fallback;
}

std::string Options::String(const char* key, const std::string& fallback) const {
  return Has(key) ? StringArg(Get(key), Name(key)) : fallback;
}

std::string Options::OneOf(const char* key, const std::string& fallback,
                           const std::vector<std::string>& allowed) const {
  std::string value = String(key, fallback);
  for (const auto& candidate : allowed) {
    if (candidate == value) return value;
  }
  std::string list;
  for (const auto& candidate : allowed) list += (list.empty() ? "'" : ", '") + candidate + "'";
  ThrowRangeError(Name(key) + " must be one of " + list + ", got '" + value + "'");
}

bool Options::Boolean(const char* key, bool fallback) const {
  return Has(key) ? BooleanArg(Get(key), Name(key)) : fallback;
}

}  // namespace camu
