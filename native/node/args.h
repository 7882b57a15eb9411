// Argument validation for native entry points. Each helper names the function and the argument
// in its message and throws camu::Error (TypeError / RangeError), which Guard maps to JS.
#pragma once
#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace camu {

// "a string", "an array", "null", ... for messages.
std::string DescribeJsValue(const Napi::Value& value);

void CheckArgCount(const Napi::CallbackInfo& info, size_t min, size_t max, const std::string& fn);

double NumberArg(const Napi::Value& value, const std::string& name);
int64_t IntegerArg(const Napi::Value& value, const std::string& name, int64_t min, int64_t max);
std::string StringArg(const Napi::Value& value, const std::string& name);
bool BooleanArg(const Napi::Value& value, const std::string& name);
Napi::Object ObjectArg(const Napi::Value& value, const std::string& name);
Napi::Function FunctionArg(const Napi::Value& value, const std::string& name);
// A shape: an array of non-negative safe integers.
std::vector<int64_t> ShapeArg(const Napi::Value& value, const std::string& name);

// Reads an options object ({} when undefined). Missing keys fall back to defaults; present keys
// are validated with the helpers above under the name "<context>.<key>".
class Options {
 public:
  Options(const Napi::Value& value, std::string context);
  bool Has(const char* key) const;
  Napi::Value Get(const char* key) const;  // undefined when absent
  double Number(const char* key, double fallback) const;
  int64_t Integer(const char* key, int64_t fallback, int64_t min, int64_t max) const;
  std::string String(const char* key, const std::string& fallback) const;
  std::string OneOf(const char* key, const std::string& fallback, const std::vector<std::string>& allowed) const;
  bool Boolean(const char* key, bool fallback) const;
  std::string Name(const char* key) const { return context_ + "." + key; }

 private:
  Napi::Env env_;
  std::optional<Napi::Object> object_;
  std::string context_;
};

}  // namespace camu
