#include "core/errors.h"

#include <c10/util/Exception.h>

#include <cmath>

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

void CheckFiniteStep(double value, const std::string& term, const std::string& job, int64_t step, int64_t epoch) {
  if (std::isfinite(value)) return;
  std::string what = std::isnan(value) ? "NaN" : (value > 0 ? "+Infinity" : "-Infinity");
  throw Error(codes::kNonFinite, job + " stopped at step " + std::to_string(step) + " (epoch " + std::to_string(epoch) +
                                     "): its " + term + " became " + what +
                                     ", so the weights have diverged; lower the learning rate, or check the input data "
                                     "for NaN or infinite values");
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

}  // namespace camu
