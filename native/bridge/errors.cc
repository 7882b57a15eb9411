#include "bridge/errors.h"

#include "bridge/addon_data.h"

namespace camu {

void ThrowTypeError(const std::string& message) {
  throw Error(codes::kInvalidArgType, message, ErrorKind::kType);
}

void ThrowRangeError(const std::string& message) {
  throw Error(codes::kOutOfRange, message, ErrorKind::kRange);
}

void ThrowValueError(const std::string& message) {
  throw Error(codes::kInvalidArgValue, message, ErrorKind::kCamu);
}

ErrorInfo CaptureCurrentException() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.kind(), e.code(), e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    return {ErrorKind::kCamu, codes::kOutOfMemory, e.what_without_backtrace()};
  } catch (const c10::Error& e) {
    return {ErrorKind::kCamu, codes::kTorch, e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    return {ErrorKind::kCamu, codes::kOutOfMemory, "out of memory"};
  } catch (const std::exception& e) {
    return {ErrorKind::kCamu, codes::kInternal, e.what()};
  } catch (...) {
    return {ErrorKind::kCamu, codes::kInternal, "unknown native exception"};
  }
}

Napi::Error ToJsError(Napi::Env env, const ErrorInfo& error) {
  Napi::Error jsError;
  if (error.kind == ErrorKind::kType) {
    jsError = Napi::TypeError::New(env, error.message);
  } else if (error.kind == ErrorKind::kRange) {
    jsError = Napi::RangeError::New(env, error.message);
  } else {
    auto* data = env.GetInstanceData<AddonData>();
    if (data != nullptr && !data->errorFactory.IsEmpty()) {
      Napi::Value instance = data->errorFactory.Call(
          {Napi::String::New(env, error.message), Napi::String::New(env, error.code)});
      if (instance.IsObject()) return Napi::Error(env, instance);
    }
    jsError = Napi::Error::New(env, error.message);
  }
  jsError.Set("code", Napi::String::New(env, error.code));
  return jsError;
}

}  // namespace camu
