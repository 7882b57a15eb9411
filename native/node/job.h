// The base of every long native operation: one AsyncWorker subclass per operation.
//
// A job runs on a libuv worker thread and settles a Promise. It
//  - holds references on the JS objects it reads (Keep), released when it settles;
//  - reports progress through the worker's thread-safe function, which node-addon-api always
//    releases when Execute returns, whether it succeeded, failed or was aborted;
//  - checks a shared abort flag between steps (JobContext::CheckAborted, core/job_context.h) and
//    then rejects with an AbortError (code ABORT_ERR);
//  - catches every exception in Execute and maps it at the boundary (errors.h);
//  - when it runs code camu did not write (a TorchScript module), runs it on a camu-owned thread
//    under a CallWatch (core/call_watch.h) and gives up on it when one call outlives its limit:
//    the promise rejects with ERR_CAMU_STUCK, the libuv worker is free again, and the abandoned
//    thread, with everything the job holds, is left to the process's exit (a libuv worker stuck
//    in a call would keep the process from exiting at all).
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/job_context.h"
#include "models/model.h"
#include "node/errors.h"
#include "node/type_tags.h"

namespace camu {

// The AbortFlag exported to JS: lib/ connects an AbortSignal to it.
class AbortFlag : public Napi::ObjectWrap<AbortFlag> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  explicit AbortFlag(const Napi::CallbackInfo& info);
  // node-addon-api's method and accessor wrappers unwrap `this` with this: tag-checked.
  static AbortFlag* Unwrap(const Napi::Object& object) { return UnwrapTagged<AbortFlag>(object, HandleType::kAbortFlag); }
  const AbortToken& state() const { return state_; }
  // Accepts undefined (a fresh flag nobody can raise) or an AbortFlag instance.
  static AbortToken FromValue(const Napi::Value& value, const std::string& name);

 private:
  Napi::Value Abort(const Napi::CallbackInfo& info);
  Napi::Value GetAborted(const Napi::CallbackInfo& info);
  AbortToken state_ = NewAbortToken();
};

// The validated (onProgress, abortFlag) pair every async entry point takes as its last two
// arguments. Parse it, and every other argument, before constructing the job: a job's base
// class owns a thread-safe function from construction on, so a job must never fail to start.
struct JobHooks {
  Napi::Function onProgress;     // empty when undefined
  Napi::Object abortFlagObject;  // empty when undefined
  AbortToken abort;
  static JobHooks Parse(const Napi::Value& onProgress, const Napi::Value& abortFlag, const std::string& fn);
};

class Job : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  // Queues the job; returns its promise. The job deletes itself once settled.
  Napi::Promise Start();

 protected:
  Job(Napi::Env env, const char* name, const JobHooks& hooks);
  void Keep(const Napi::Object& object) { kept_.push_back(Napi::Persistent(object)); }
  // The job runs a model's code under a time limit (models::Model::CallTimeLimit): watched calls.
  void WatchCallsOf(std::shared_ptr<models::Model> model);
  // The job runs code under a limit with no model to mark (a TorchScript load).
  void WatchCalls() { watchCalls_ = true; }

  virtual void Run(const JobContext& context) = 0;     // worker thread; throw to fail
  virtual Napi::Value Result(Napi::Env env) = 0;       // JS thread, after Run returned

 private:
  void Execute(const ExecutionProgress& progress) override;
  void OnProgress(const Progress* data, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;
  void Settle(Napi::Env env);
  void RunWatched(const ExecutionProgress& progress);

  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> kept_;
  Napi::FunctionReference onProgress_;
  AbortToken abort_;
  std::optional<ErrorInfo> error_;
  Napi::Reference<Napi::Value> callbackError_;  // a throw from onProgress rejects the job with it
  std::string name_;
  bool watchCalls_ = false;
  std::vector<std::shared_ptr<models::Model>> watchedModels_;  // marked stuck when a call is given up
  bool stuck_ = false;  // a call was given up: the job and what it keeps live until the process exits
};

Napi::Object ProgressToJs(Napi::Env env, const Progress& progress);

}  // namespace camu
