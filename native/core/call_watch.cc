#include "core/call_watch.h"

#include <utility>

namespace camu {

namespace {
thread_local CallWatch* currentWatch = nullptr;
}  // namespace

CallWatch* CallWatch::Current() { return currentWatch; }

CallWatch::ScopedCurrent::ScopedCurrent(CallWatch* watch) : previous_(currentWatch) { currentWatch = watch; }
CallWatch::ScopedCurrent::~ScopedCurrent() { currentWatch = previous_; }

CallWatch::Call::Call(double limitSeconds, std::string what) : watch_(currentWatch) {
  if (watch_ != nullptr) watch_->Begin(limitSeconds, std::move(what));
}

CallWatch::Call::~Call() {
  if (watch_ != nullptr) watch_->End();
}

void CallWatch::Begin(double limitSeconds, std::string what) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A forward inside the load's probe is part of the load: the outermost call's clock runs.
  if (depth_++ > 0) return;
  start_ = Clock::now();
  limitSeconds_ = limitSeconds;
  what_ = std::move(what);
}

void CallWatch::End() {
  std::lock_guard<std::mutex> lock(mutex_);
  --depth_;
}

std::optional<CallWatch::Overrun> CallWatch::CheckOverrun(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (depth_ == 0 || limitSeconds_ <= 0) return std::nullopt;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed <= limitSeconds_) return std::nullopt;
  return Overrun{what_, limitSeconds_, elapsed};
}

}  // namespace camu
