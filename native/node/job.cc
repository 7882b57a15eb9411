#include "node/job.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/call_watch.h"
#include "core/memory.h"
#include "node/addon_data.h"
#include "node/args.h"

namespace camu {

void AbortFlag::Register(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "AbortFlag",
                                    {InstanceMethod<&AbortFlag::Abort>("abort"),
                                     InstanceAccessor<&AbortFlag::GetAborted>("aborted")});
  GetAddonData(env).abortFlagClass = Napi::Persistent(ctor);
  exports.Set("AbortFlag", ctor);
}

AbortFlag::AbortFlag(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AbortFlag>(info) {
  if (!info.IsConstructCall()) throw Napi::TypeError::New(info.Env(), "AbortFlag must be called with new");
  if (info.Length() != 0) throw Napi::TypeError::New(info.Env(), "AbortFlag: expected 0 arguments");
  TagHandle(info.Env(), info.This().As<Napi::Object>(), HandleType::kAbortFlag);
}

Napi::Value AbortFlag::Abort(const Napi::CallbackInfo& info) {
  state_->store(true);
  return info.Env().Undefined();
}

Napi::Value AbortFlag::GetAborted(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), state_->load());
}

AbortToken AbortFlag::FromValue(const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined()) return NewAbortToken();
  if (!IsHandle(value, HandleType::kAbortFlag)) {
    ThrowTypeError(name + " must be an AbortFlag or undefined, got " + DescribeNonHandle(value));
  }
  return Napi::ObjectWrap<AbortFlag>::Unwrap(value.As<Napi::Object>())->state();
}

JobHooks JobHooks::Parse(const Napi::Value& onProgress, const Napi::Value& abortFlag, const std::string& fn) {
  JobHooks hooks;
  if (!onProgress.IsUndefined()) hooks.onProgress = FunctionArg(onProgress, fn + ": onProgress");
  hooks.abort = AbortFlag::FromValue(abortFlag, fn + ": abortFlag");
  if (!abortFlag.IsUndefined()) hooks.abortFlagObject = abortFlag.As<Napi::Object>();
  return hooks;
}

Job::Job(Napi::Env env, const char* name, const JobHooks& hooks)
    : Napi::AsyncProgressQueueWorker<Progress>(env, name),
      deferred_(Napi::Promise::Deferred::New(env)),
      abort_(hooks.abort),
      name_(name) {
  if (!hooks.onProgress.IsEmpty()) onProgress_ = Napi::Persistent(hooks.onProgress);
  if (!hooks.abortFlagObject.IsEmpty()) Keep(hooks.abortFlagObject);
}

Napi::Promise Job::Start() {
  Queue();
  return deferred_.Promise();
}

void Job::WatchCallsOf(std::shared_ptr<models::Model> model) {
  if (model->CallTimeLimit() <= 0) return;
  watchCalls_ = true;
  watchedModels_.push_back(std::move(model));
}

void Job::Execute(const ExecutionProgress& progress) {
  // What the last job left in the large-block cache gives way to this job's own sizes.
  StartCacheGeneration();
  if (watchCalls_) {
    RunWatched(progress);
    return;
  }
  // libtorch's OpenMP pool size is per thread: apply the process-wide setting to this worker,
  // once per thread. at::init_num_threads() also rebuilds libtorch's pthreadpool (a thread joined,
  // one started: 4-10 ms per job at 2 threads on this 2-core machine); the lazy form is the
  // per-thread initialisation libtorch's own parallel_for runs, so 1.13 does it once, not twice.
  at::internal::lazy_init_num_threads();
  JobContext context(abort_, [&progress](Progress&& item) { progress.Send(&item, 1); });
  try {
    context.CheckAborted();
    Run(context);
  } catch (...) {
    error_ = CaptureCurrentException();
  }
}

namespace {
// Threads for watched runs, kept between jobs: a thread's first job pays libtorch's per-thread
// initialisation (a pthreadpool and an OpenMP team: about 7 ms per job at 2 threads on this
// project's machine when every job had a fresh thread), later jobs do not. A thread whose run was
// given up never comes back; the pool starts another when every thread is busy. Never destroyed,
// since its threads are detached and may still wait on it while the process exits.
class RunnerThreads {
 public:
  static RunnerThreads& Instance() {
    static RunnerThreads* pool = new RunnerThreads();
    return *pool;
  }
  void Submit(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    if (tasks_.size() <= idle_) {
      wake_.notify_one();
    } else {
      std::thread([this] { Serve(); }).detach();
    }
  }

 private:
  void Serve() {
    at::internal::lazy_init_num_threads();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return !tasks_.empty(); });
      --idle_;
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  size_t idle_ = 0;  // threads waiting for a task
};

// What a watched run's thread shares with the worker that watches it; owned by both, so either
// may end first.
struct WatchedRun {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;       // the run returned (or threw)
  bool abandoned = false;  // the worker gave up: the run must not report progress any more
  std::optional<ErrorInfo> error;
  CallWatch watch;
};
}  // namespace

void Job::RunWatched(const ExecutionProgress& progress) {
  auto run = std::make_shared<WatchedRun>();
  const ExecutionProgress* sink = &progress;
  // `progress` lives until this function returns; an abandoned run never touches it again.
  JobContext context(abort_, [run, sink](Progress&& item) {
    std::lock_guard<std::mutex> lock(run->mutex);
    if (!run->abandoned) sink->Send(&item, 1);
  });
  RunnerThreads::Instance().Submit([this, run, context]() {
    CallWatch::ScopedCurrent current(&run->watch);
    std::optional<ErrorInfo> error;
    try {
      context.CheckAborted();
      Run(context);
    } catch (...) {
      error = CaptureCurrentException();
    }
    std::lock_guard<std::mutex> lock(run->mutex);
    run->error = std::move(error);
    run->done = true;
    run->finished.notify_all();
  });
  std::unique_lock<std::mutex> lock(run->mutex);
  while (!run->done) {
    run->finished.wait_for(lock, std::chrono::milliseconds(100));
    if (run->done) break;
    std::optional<CallWatch::Overrun> overrun = run->watch.CheckOverrun();
    if (!overrun) continue;
    run->abandoned = true;
    lock.unlock();
    // Should the call ever return, the run stops at its next step instead of finishing unseen.
    abort_->store(true);
    for (const auto& model : watchedModels_) model->MarkStuck();
    std::ostringstream message;
    message << name_ << ": " << overrun->what << " has run longer than its forwardTimeout of " << overrun->limitSeconds << " s ("
            << std::fixed << std::setprecision(3) << overrun->elapsedSeconds << " s); the module's code may never return. The job was given up: its thread keeps running until the "
               "process exits, and a model it was using fails with ERR_CAMU_STUCK while that call holds it.";
    error_ = ErrorInfo{ErrorKind::kCamu, codes::kStuck, message.str()};
    stuck_ = true;
    return;
  }
  error_ = std::move(run->error);
}

void Job::OnProgress(const Progress* data, size_t count) {
  if (onProgress_.IsEmpty() || !callbackError_.IsEmpty()) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  for (size_t i = 0; i < count; ++i) {
    try {
      onProgress_.Call({ProgressToJs(env, data[i])});
    } catch (const Napi::Error& error) {
      // The callback threw: stop the job at its next step and reject with what was thrown.
      callbackError_ = Napi::Persistent(error.Value().As<Napi::Value>());
      abort_->store(true);
      return;
    }
  }
}

void Job::OnOK() { Settle(Env()); }

void Job::OnError(const Napi::Error& error) {
  // Reached only if node-addon-api itself failed to run the work; Execute never calls SetError.
  kept_.clear();
  deferred_.Reject(error.Value());
}

void Job::Settle(Napi::Env env) {
  Napi::HandleScope scope(env);
  if (stuck_) {
    // The abandoned thread still runs this job's Run and reads what it keeps: keep both for good.
    SuppressDestruct();
  } else {
    kept_.clear();
  }
  if (!callbackError_.IsEmpty()) {
    deferred_.Reject(callbackError_.Value());
    return;
  }
  if (error_) {
    deferred_.Reject(ToJsError(env, *error_).Value());
    return;
  }
  try {
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error& error) {
    deferred_.Reject(error.Value());
  } catch (...) {
    deferred_.Reject(ToJsError(env, CaptureCurrentException()).Value());
  }
}

Napi::Object ProgressToJs(Napi::Env env, const Progress& progress) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("phase", progress.phase);
  object.Set("step", Napi::Number::New(env, static_cast<double>(progress.step)));
  object.Set("total", Napi::Number::New(env, static_cast<double>(progress.total)));
  for (const auto& [key, value] : progress.values) object.Set(key, Napi::Number::New(env, value));
  return object;
}

}  // namespace camu
