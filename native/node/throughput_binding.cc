// measureThroughput(options?, onProgress?, abortFlag?) -> Promise<result>, and its Sync twin.
#include "core/throughput.h"
#include "node/bindings.h"
#include "node/operation.h"

namespace camu {

namespace {

struct MeasureThroughputOp {
  static constexpr const char* kName = "measureThroughput";
  static constexpr size_t kMinArgs = 0, kMaxArgs = 1;

  ThroughputParams params;
  ThroughputResult result;

  static MeasureThroughputOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    Options options(info[0], fn + ": options");
    MeasureThroughputOp op;
    op.params.op = options.OneOf("op", "matmul", {"matmul", "conv"});
    int64_t defaultSize = op.params.op == "matmul" ? 1024 : 28;
    op.params.size = options.Integer("size", defaultSize, 1, op.params.op == "matmul" ? 16384 : 1024);
    op.params.iterations = options.Integer("iterations", 10, 1, 1000000);
    return op;
  }
  void Run(const JobContext& context) { result = MeasureThroughput(params, context); }
  Napi::Value Result(Napi::Env env) {
    Napi::Object object = Napi::Object::New(env);
    object.Set("op", params.op);
    object.Set("size", Napi::Number::New(env, static_cast<double>(params.size)));
    object.Set("iterations", Napi::Number::New(env, static_cast<double>(result.iterations)));
    object.Set("flopsPerIteration", result.flopsPerIteration);
    object.Set("medianSeconds", result.medianSeconds);
    object.Set("totalSeconds", result.totalSeconds);
    object.Set("gflops", result.flopsPerIteration / result.medianSeconds / 1e9);
    return object;
  }
};

}  // namespace

void RegisterThroughput(Napi::Env env, Napi::Object exports) { ExportOperation<MeasureThroughputOp>(env, exports); }

}  // namespace camu
