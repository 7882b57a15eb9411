// The task group of distributed/task_group.h for the TypeScript orchestration (lib/tasks.ts): a
// group is an opaque handle (an External tagged as camu's, so no other value passes for one);
// joining, waiting for results and closing run as jobs off the JS thread, the quick store calls
// (take, put, fail, problem) on it.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "core/errors.h"
#include "distributed/task_group.h"
#include "node/args.h"
#include "node/bindings.h"
#include "node/distributed_args.h"
#include "node/errors.h"
#include "node/operation.h"

namespace camu {

namespace {

using distributed::TaskGroup;
using GroupHandle = std::shared_ptr<TaskGroup>;

constexpr napi_type_tag kTaskGroupTag = {0x63616d755f746173ULL, 0x6b5f67726f757031ULL};

Napi::Value WrapGroup(Napi::Env env, GroupHandle group) {
  auto external = Napi::External<GroupHandle>::New(env, new GroupHandle(std::move(group)),
                                                   [](Napi::Env, GroupHandle* held) { delete held; });
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, external, &kTaskGroupTag), Napi::Value());
  return external;
}

GroupHandle GroupArg(const Napi::Value& value, const std::string& name) {
  bool tagged = false;
  if (value.IsExternal()) napi_check_object_type_tag(value.Env(), value, &kTaskGroupTag, &tagged);
  if (!tagged) ThrowTypeError(name + " must be a task group (from taskGroupConnect), got " + DescribeJsValue(value));
  GroupHandle group = *value.As<Napi::External<GroupHandle>>().Data();
  if (!group) throw Error(codes::kState, name + ": the task group is closed");
  return group;
}

std::string BytesArg(const Napi::Value& value, const std::string& name) {
  if (value.IsString()) return value.As<Napi::String>().Utf8Value();
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    auto bytes = value.As<Napi::Uint8Array>();
    return std::string(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  }
  ThrowTypeError(name + " must be a string or a Uint8Array, got " + DescribeJsValue(value));
}

// taskGroupConnect(distributed, name) -> group; blocks (off the JS thread) until every rank joined.
struct ConnectOp {
  static constexpr const char* kName = "taskGroupConnect";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 2;
  distributed::Options options;
  std::string name;
  GroupHandle group;

  static ConnectOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    ConnectOp op;
    op.options = ParseDistributedOptions(info[0], fn + ": distributed", nullptr);
    op.name = StringArg(info[1], fn + ": name");
    if (op.name.empty()) ThrowRangeError(fn + ": name must not be empty");
    return op;
  }
  void Run(const JobContext&) { group = TaskGroup::Connect(options, name); }
  Napi::Value Result(Napi::Env env) { return WrapGroup(env, group); }
};

// taskGroupGet(group, keys) -> Uint8Array[]; waits until every key is published.
struct GetOp {
  static constexpr const char* kName = "taskGroupGet";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 2;
  GroupHandle group;
  std::vector<std::string> keys, values;

  static GetOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    GetOp op;
    op.group = GroupArg(info[0], fn + ": group");
    if (!info[1].IsArray()) ThrowTypeError(fn + ": keys must be an array of strings, got " + DescribeJsValue(info[1]));
    auto keys = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < keys.Length(); ++i) op.keys.push_back(StringArg(keys.Get(i), fn + ": keys[" + std::to_string(i) + "]"));
    return op;
  }
  void Run(const JobContext& context) { values = group->Get(keys, context); }
  Napi::Value Result(Napi::Env env) {
    Napi::Array array = Napi::Array::New(env, values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      array.Set(static_cast<uint32_t>(i), Napi::Buffer<char>::Copy(env, values[i].data(), values[i].size()));
    }
    return array;
  }
};

// taskGroupClose(group): leaves; rank 0 serves the store until the others have left.
struct CloseOp {
  static constexpr const char* kName = "taskGroupClose";
  static constexpr size_t kMinArgs = 1, kMaxArgs = 1;
  GroupHandle group;

  static CloseOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {GroupArg(info[0], fn + ": group")};
  }
  void Run(const JobContext&) { group->Close(); }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

Napi::Value Take(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 2, 2, "taskGroupTake");
    GroupHandle group = GroupArg(info[0], "taskGroupTake: group");
    const int64_t index = group->Take(StringArg(info[1], "taskGroupTake: queue"));
    return Napi::Number::New(info.Env(), static_cast<double>(index));
  });
}

Napi::Value Put(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 3, 3, "taskGroupPut");
    GroupHandle group = GroupArg(info[0], "taskGroupPut: group");
    group->Put(StringArg(info[1], "taskGroupPut: key"), BytesArg(info[2], "taskGroupPut: value"));
    return info.Env().Undefined();
  });
}

Napi::Value Fail(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 2, 2, "taskGroupFail");
    GroupArg(info[0], "taskGroupFail: group")->Fail(StringArg(info[1], "taskGroupFail: message"));
    return info.Env().Undefined();
  });
}

Napi::Value Problem(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "taskGroupProblem");
    return Napi::String::New(info.Env(), GroupArg(info[0], "taskGroupProblem: group")->Problem());
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "taskGroupInfo");
    GroupHandle group = GroupArg(info[0], "taskGroupInfo: group");
    Napi::Object object = Napi::Object::New(info.Env());
    object.Set("rank", static_cast<double>(group->Rank()));
    object.Set("worldSize", static_cast<double>(group->WorldSize()));
    object.Set("timeoutSeconds", group->TimeoutSeconds());
    return object;
  });
}

}  // namespace

void RegisterTaskGroup(Napi::Env env, Napi::Object exports) {
  ExportOperation<ConnectOp>(env, exports);
  ExportOperation<GetOp>(env, exports);
  ExportOperation<CloseOp>(env, exports);
  exports.Set("taskGroupTake", Napi::Function::New(env, Take, "taskGroupTake"));
  exports.Set("taskGroupPut", Napi::Function::New(env, Put, "taskGroupPut"));
  exports.Set("taskGroupFail", Napi::Function::New(env, Fail, "taskGroupFail"));
  exports.Set("taskGroupProblem", Napi::Function::New(env, Problem, "taskGroupProblem"));
  exports.Set("taskGroupInfo", Napi::Function::New(env, Info, "taskGroupInfo"));
}

}  // namespace camu
