// camu's error type: every failure of the core carries a stable code and a kind (a bad argument's
// type, a value out of range, or anything else), so that a host (the Node-API layer in native/node,
// a C++ program, a test) can map it without parsing messages. Safe to throw on any thread.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace camu {

namespace codes {
inline constexpr const char* kInvalidArgType = "ERR_INVALID_ARG_TYPE";
inline constexpr const char* kInvalidArgValue = "ERR_INVALID_ARG_VALUE";
inline constexpr const char* kOutOfRange = "ERR_OUT_OF_RANGE";
inline constexpr const char* kAborted = "ABORT_ERR";
inline constexpr const char* kTorch = "ERR_CAMU_TORCH";
inline constexpr const char* kXgboost = "ERR_CAMU_XGBOOST";
inline constexpr const char* kIo = "ERR_CAMU_IO";
inline constexpr const char* kFormat = "ERR_CAMU_FORMAT";
inline constexpr const char* kOutOfMemory = "ERR_CAMU_OUT_OF_MEMORY";
inline constexpr const char* kUnsupported = "ERR_CAMU_UNSUPPORTED";
inline constexpr const char* kState = "ERR_CAMU_STATE";
inline constexpr const char* kInternal = "ERR_CAMU_INTERNAL";
// An unlearning run stopped because its model's accuracy on the retained data fell below the floor.
inline constexpr const char* kRetainFloor = "ERR_CAMU_RETAIN_FLOOR";
// A training or unlearning step's loss became NaN or infinite: the weights diverged.
inline constexpr const char* kNonFinite = "ERR_CAMU_NON_FINITE";
// Loading TorchScript (which runs code stored in the file) without the caller's explicit trust.
inline constexpr const char* kUntrustedCode = "ERR_CAMU_UNTRUSTED_CODE";
// A call into a user's module outlived its time limit; the operation was given up (core/call_watch.h).
inline constexpr const char* kStuck = "ERR_CAMU_STUCK";
// Distributed work failed: the rendezvous, a collective (a peer rank exited or outlived the timeout),
// or ranks that no longer agree (distributed/process_group.h).
inline constexpr const char* kDistributed = "ERR_CAMU_DISTRIBUTED";
}  // namespace codes

enum class ErrorKind { kType, kRange, kCamu };

// An error raised by camu's own C++ code; safe to throw on any thread.
class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message, ErrorKind kind = ErrorKind::kCamu)
      : std::runtime_error(message), code_(std::move(code)), kind_(kind) {}
  const std::string& code() const { return code_; }
  ErrorKind kind() const { return kind_; }

 private:
  std::string code_;
  ErrorKind kind_;
};

[[noreturn]] void ThrowTypeError(const std::string& message);
[[noreturn]] void ThrowRangeError(const std::string& message);
[[noreturn]] void ThrowValueError(const std::string& message);  // a well-typed argument that is wrong

// Throws ERR_CAMU_NON_FINITE unless `value`, the step's `term` (a loss term), is finite. `job` names
// the work ("training", "unlearning with neggrad"); `step` counts from 1. The check costs nothing:
// every caller already holds the value on the host for its progress report.
void CheckFiniteStep(double value, const std::string& term, const std::string& job, int64_t step, int64_t epoch);

// A captured exception, carried from a worker thread to the thread that reports it.
struct ErrorInfo {
  ErrorKind kind = ErrorKind::kCamu;
  std::string code;
  std::string message;
};

// Call only inside a catch block: classifies the in-flight exception.
ErrorInfo CaptureCurrentException();

}  // namespace camu
