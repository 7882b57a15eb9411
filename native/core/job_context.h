// What a long operation of the core sees while it runs: an abort token to check between steps and
// a progress sink. A host supplies both (native/node/job.h turns them into an AbortSignal and an
// onProgress callback; a C++ program or test passes its own, or none).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace camu {

// One progress report: a phase, a step of a total, and named scalars (loss terms, epoch, ...).
struct Progress {
  std::string phase;
  int64_t step = 0;
  int64_t total = 0;
  std::vector<std::pair<std::string, double>> values;
};

// Shared between the operation and whoever may abort it; raising it stops the operation at its
// next step.
using AbortToken = std::shared_ptr<std::atomic<bool>>;

inline AbortToken NewAbortToken() { return std::make_shared<std::atomic<bool>>(false); }

class JobContext {
 public:
  using ProgressSink = std::function<void(Progress&&)>;

  // `blocking`: the operation may wait for a model's lock (a worker thread); a context for the
  // caller's own thread (a synchronous call) must not, so model locks are tried instead.
  JobContext(AbortToken abort, ProgressSink report, bool blocking = true)
      : abort_(std::move(abort)), report_(std::move(report)), blocking_(blocking) {}
  // A synchronous call on the caller's thread: nothing can abort it and nobody listens.
  static JobContext Synchronous() { return JobContext(NewAbortToken(), nullptr, false); }

  bool Aborted() const { return abort_->load(std::memory_order_relaxed); }
  void CheckAborted() const {
    if (Aborted()) throw Error(codes::kAborted, "the operation was aborted");
  }
  void Report(Progress&& progress) const {
    if (report_) report_(std::move(progress));
  }
  bool Blocking() const { return blocking_; }
  // The same abort token and blocking mode with nobody listening: for work inside an operation
  // whose progress its caller should not see (the retained-accuracy checks of unlearn/retain_guard.h).
  JobContext Unreported() const { return JobContext(abort_, nullptr, blocking_); }

 private:
  AbortToken abort_;
  ProgressSink report_;
  bool blocking_;
};

}  // namespace camu
