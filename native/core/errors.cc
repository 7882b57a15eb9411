#include "core/errors.h"

#include <c10/util/Exception.h>

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

}  // namespace camu
