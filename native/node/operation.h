// One declaration per native operation gives both of its entry points:
//   name(args..., onProgress?, abortFlag?) -> Promise   (a Job on a libuv worker thread)
//   nameSync(args...)                         -> result   (the same work on the caller's thread)
// An operation is a struct with
//   static constexpr const char* kName;            // the async name; the twin adds "Sync"
//   static constexpr size_t kMinArgs, kMaxArgs;    // its own arguments, without the two hooks
//   static Op Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>& keep);
//   void Run(const JobContext& context);           // any thread; throw to fail
//   Napi::Value Result(Napi::Env env);             // JS thread, after Run returned
// Parse validates every argument on the JS thread (so bad arguments throw, they never reject) and
// lists in `keep` the JS objects whose native data Run reads; the job holds them until it settles.
#pragma once
#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "node/args.h"
#include "node/errors.h"
#include "node/job.h"

namespace camu {

template <typename Op>
class OperationJob : public Job {
 public:
  OperationJob(Napi::Env env, const JobHooks& hooks, Op op, const std::vector<Napi::Object>& keep)
      : Job(env, Op::kName, hooks), op_(std::move(op)) {
    for (const Napi::Object& object : keep) Keep(object);
  }

 private:
  void Run(const JobContext& context) override { op_.Run(context); }
  Napi::Value Result(Napi::Env env) override { return op_.Result(env); }

  Op op_;
};

template <typename Op>
Napi::Value RunOperationAsync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = Op::kName;
    CheckArgCount(info, Op::kMinArgs, Op::kMaxArgs + 2, fn);
    std::vector<Napi::Object> keep;
    Op op = Op::Parse(info, fn, keep);
    JobHooks hooks = JobHooks::Parse(info[Op::kMaxArgs], info[Op::kMaxArgs + 1], fn);
    return (new OperationJob<Op>(info.Env(), hooks, std::move(op), keep))->Start();
  });
}

template <typename Op>
Napi::Value RunOperationSync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = std::string(Op::kName) + "Sync";
    CheckArgCount(info, Op::kMinArgs, Op::kMaxArgs, fn);
    std::vector<Napi::Object> keep;
    Op op = Op::Parse(info, fn, keep);
    op.Run(JobContext::Synchronous());
    return op.Result(info.Env());
  });
}

// Exports `kName` and `kName + "Sync"`.
template <typename Op>
void ExportOperation(Napi::Env env, Napi::Object exports) {
  const std::string name = Op::kName;
  exports.Set(name, Napi::Function::New<RunOperationAsync<Op>>(env, name));
  exports.Set(name + "Sync", Napi::Function::New<RunOperationSync<Op>>(env, name + "Sync"));
}

}  // namespace camu
