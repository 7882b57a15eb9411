// Error mapping at the Node-API boundary. Every error that reaches JS is a TypeError, a RangeError
// or a CamuError, each with a stable `code` (core/errors.h), and never carries a C++ backtrace.
#pragma once
#include <napi.h>

#include "core/errors.h"

namespace camu {

Napi::Error ToJsError(Napi::Env env, const ErrorInfo& error);

// Runs an entry point's body and turns every C++ exception into the matching JS exception.
template <typename Body>
Napi::Value Guard(const Napi::CallbackInfo& info, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;  // already a JS exception; node-addon-api rethrows it
  } catch (...) {
    throw ToJsError(info.Env(), CaptureCurrentException());
  }
}

}  // namespace camu
