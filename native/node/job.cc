#include "node/job.h"

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
      abort_(hooks.abort) {
  if (!hooks.onProgress.IsEmpty()) onProgress_ = Napi::Persistent(hooks.onProgress);
  if (!hooks.abortFlagObject.IsEmpty()) Keep(hooks.abortFlagObject);
}

Napi::Promise Job::Start() {
  Queue();
  return deferred_.Promise();
}

void Job::Execute(const ExecutionProgress& progress) {
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
  kept_.clear();
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
