// A time limit on code the core runs but did not write: a user's TorchScript module (its forward,
// its __setstate__ at load) can loop forever, and no libtorch call can interrupt it.
//
// The thread that runs such code marks each call with a CallWatch::Call (nested calls count
// once); whoever set a CallWatch for that thread (native/node/job.cc, for an async job) reads
// Overrun() from another thread and gives up on the operation when a call outlives its limit.
// Without a watch set for the thread (synchronous calls, C++ programs) the marks cost one
// thread-local read and nothing is limited.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace camu {

class CallWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // The watch of the calling thread, or nullptr. A ScopedCurrent sets it for a scope.
  static CallWatch* Current();
  class ScopedCurrent {
   public:
    explicit ScopedCurrent(CallWatch* watch);
    ~ScopedCurrent();
    ScopedCurrent(const ScopedCurrent&) = delete;
    ScopedCurrent& operator=(const ScopedCurrent&) = delete;

   private:
    CallWatch* previous_;
  };

  // Marks one call of user code on this thread, limited to `limitSeconds` (<= 0: no limit);
  // `what` names it in the overrun message ("model.pt: forward").
  class Call {
   public:
    Call(double limitSeconds, std::string what);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    CallWatch* watch_;
  };

  struct Overrun {
    std::string what;
    double limitSeconds = 0;
    double elapsedSeconds = 0;
  };
  // Any thread: the call in progress when it has run longer than its limit at `now`.
  std::optional<Overrun> CheckOverrun(Clock::time_point now = Clock::now()) const;

 private:
  void Begin(double limitSeconds, std::string what);
  void End();

  mutable std::mutex mutex_;  // guards the fields below; taken once per outermost call
  int depth_ = 0;
  Clock::time_point start_;
  double limitSeconds_ = 0;
  std::string what_;
};

}  // namespace camu
