// One declaration per native operation gives both of its entry points:
//   name(args..., onProgress?, abortFlag?) -> Promise   (a Job on a libuv worker thread)
//   nameSync(args...)                         -> result   (the same work on the caller's thread)
// An operation is a struct with
//   static constexpr const char* kName;            // the async name; the twin adds "Sync"
//   static constexpr size_t kMinArgs, kMaxArgs;    // its own arguments, without the two hooks
//   static Op Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>& keep);
//   void Run(const JobContext& context);           // any thread; throw to fail
//   Napi::Value Result(Napi::Env env);             // JS thread, after Run returned
// and, when it runs code from a file itself (not through a model it was given),
//   bool RunsUserCode() const;                     // then the job watches Run's calls (job.h)
// A job also watches the calls of every model among its arguments whose code runs under a time
// limit (models::Model::CallTimeLimit).
// Parse validates every argument on the JS thread (so bad arguments throw, they never reject) and
// lists in `keep` the JS objects whose native data Run reads; the job holds them until it settles.
#pragma once
#include <napi.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "node/args.h"
#include "node/errors.h"
#include "node/job.h"
#include "node/model_handle.h"
#include "node/type_tags.h"

namespace camu {

template <typename Op, typename = void>
struct DeclaresUserCode : std::false_type {};
template <typename Op>
struct DeclaresUserCode<Op, std::void_t<decltype(std::declval<const Op&>().RunsUserCode())>> : std::true_type {};

template <typename Op>
class OperationJob : public Job {
 public:
  OperationJob(Napi::Env env, const JobHooks& hooks, Op op, const std::vector<Napi::Object>& keep,
               const std::vector<std::shared_ptr<models::Model>>& models)
      : Job(env, Op::kName, hooks), op_(std::move(op)) {
    for (const Napi::Object& object : keep) Keep(object);
    for (const auto& model : models) WatchCallsOf(model);
    if constexpr (DeclaresUserCode<Op>::value) {
      if (op_.RunsUserCode()) WatchCalls();
    }
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
    std::vector<std::shared_ptr<models::Model>> models;  // every model is an argument of its own
    for (size_t i = 0; i < Op::kMaxArgs; ++i) {
      if (IsHandle(info[i], HandleType::kModel)) models.push_back(models::ModelHandle::FromValue(info[i], fn));
    }
    return (new OperationJob<Op>(info.Env(), hooks, std::move(op), keep, models))->Start();
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
