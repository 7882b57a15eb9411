#include "node/type_tags.h"

#include "node/args.h"
#include "node/errors.h"

namespace camu {

namespace {

// One fixed random 128-bit tag per handle type.
const napi_type_tag kTags[] = {
    {0x6c2f1e8b9a4d4f21ULL, 0x8e3b5a7c1d9f0e42ULL},  // Model
    {0x3a9d7c5e1b2f4a68ULL, 0x97c1e4b3d5a2f806ULL},  // Tensor
    {0xd41b8e6f2c7a3959ULL, 0x5f0a2c9e8b1d7e3cULL},  // AbortFlag
};

const char* const kNames[] = {"a Model", "a Tensor", "an AbortFlag"};

const char* const kTypeNames[] = {"Model", "Tensor", "AbortFlag"};

const napi_type_tag* TagOf(HandleType type) { return &kTags[static_cast<int>(type)]; }

}  // namespace

void TagHandle(Napi::Env env, const Napi::Object& object, HandleType type) {
  NAPI_THROW_IF_FAILED_VOID(env, napi_type_tag_object(env, object, TagOf(type)));
}

bool IsHandle(const Napi::Value& value, HandleType type) {
  if (!value.IsObject()) return false;
  bool tagged = false;
  napi_status status = napi_check_object_type_tag(value.Env(), value, TagOf(type), &tagged);
  return status == napi_ok && tagged;
}

Napi::Value HandleTypeOf(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "handleType");
    for (HandleType type : {HandleType::kModel, HandleType::kTensor, HandleType::kAbortFlag}) {
      if (IsHandle(info[0], type)) return Napi::String::New(info.Env(), kTypeNames[static_cast<int>(type)]);
    }
    return info.Env().Null();
  });
}

std::string DescribeNonHandle(const Napi::Value& value) {
  return value.IsObject() ? "an object that is not one (only camu's functions make them)" : DescribeJsValue(value);
}

void CheckHandle(const Napi::Value& value, HandleType type, const std::string& what) {
  if (IsHandle(value, type)) return;
  ThrowTypeError(what + " must be " + kNames[static_cast<int>(type)] + ", got " + DescribeNonHandle(value));
}

void CheckThisHandle(const Napi::Object& object, HandleType type) {
  try {
    CheckHandle(object, type, "this");
  } catch (...) {
    throw ToJsError(object.Env(), CaptureCurrentException());
  }
}

}  // namespace camu
