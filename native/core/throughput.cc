// Measures the dense throughput this machine reaches through the linked libtorch: the machine
// limit the benchmark compares CaMU's step rate against. Also the core's reference long job.
#include <algorithm>
#include <chrono>
#include <vector>

#include "bridge/args.h"
#include "bridge/job.h"
#include "core/core.h"

namespace camu {

namespace {

struct ThroughputParams {
  std::string op;          // "matmul": size^3 float32 GEMM; "conv": batch 32 conv, 5x5 kernel
  int64_t size = 0;        // matmul: matrix side; conv: spatial side of the input
  int64_t iterations = 0;  // timed iterations after one warm-up
};

struct ThroughputResult {
  double flopsPerIteration = 0;
  double medianSeconds = 0;
  double totalSeconds = 0;
  int64_t iterations = 0;
};

ThroughputParams ParseThroughputParams(const Napi::Value& value) {
  Options options(value, "measureThroughput: options");
  ThroughputParams params;
  params.op = options.OneOf("op", "matmul", {"matmul", "conv"});
  int64_t defaultSize = params.op == "matmul" ? 1024 : 28;
  params.size = options.Integer("size", defaultSize, 1, params.op == "matmul" ? 16384 : 1024);
  params.iterations = options.Integer("iterations", 10, 1, 1000000);
  return params;
}

ThroughputResult MeasureThroughput(const ThroughputParams& params, const JobContext& context) {
  torch::NoGradGuard noGrad;
  std::function<at::Tensor()> run;
  double flops = 0;
  if (params.op == "matmul") {
    at::Tensor a = at::randn({params.size, params.size});
    at::Tensor b = at::randn({params.size, params.size});
    flops = 2.0 * params.size * params.size * params.size;
    run = [a, b] { return at::mm(a, b); };
  } else {
    // Shaped like the paper CNN's second convolution (16 -> 32 channels, 5x5, padding 2).
    const int64_t batch = 32, in = 16, out = 32, kernel = 5;
    at::Tensor input = at::randn({batch, in, params.size, params.size});
    at::Tensor weight = at::randn({out, in, kernel, kernel});
    flops = 2.0 * batch * out * params.size * params.size * in * kernel * kernel;
    run = [input, weight] { return at::conv2d(input, weight, {}, 1, 2); };
  }
  run();  // warm-up: first-call allocation and kernel selection
  std::vector<double> seconds;
  for (int64_t i = 0; i < params.iterations; ++i) {
    context.CheckAborted();
    auto start = std::chrono::steady_clock::now();
    run();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    context.Report({"throughput", i + 1, params.iterations, {{"gflops", flops / seconds.back() / 1e9}}});
  }
  ThroughputResult result;
  result.flopsPerIteration = flops;
  result.iterations = params.iterations;
  for (double s : seconds) result.totalSeconds += s;
  std::sort(seconds.begin(), seconds.end());
  size_t n = seconds.size();
  result.medianSeconds = n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
  return result;
}

Napi::Object ThroughputToJs(Napi::Env env, const ThroughputParams& params, const ThroughputResult& result) {
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

class ThroughputJob : public Job {
 public:
  ThroughputJob(Napi::Env env, const JobHooks& hooks, ThroughputParams params)
      : Job(env, "camu.measureThroughput", hooks), params_(std::move(params)) {}

 private:
  void Run(const JobContext& context) override { result_ = MeasureThroughput(params_, context); }
  Napi::Value Result(Napi::Env env) override { return ThroughputToJs(env, params_, result_); }

  ThroughputParams params_;
  ThroughputResult result_;
};

// measureThroughput(options?, onProgress?, abortFlag?) -> Promise<result>
Napi::Value MeasureThroughputAsync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 3, "measureThroughput");
    ThroughputParams params = ParseThroughputParams(info[0]);
    JobHooks hooks = JobHooks::Parse(info[1], info[2], "measureThroughput");
    return (new ThroughputJob(info.Env(), hooks, std::move(params)))->Start();
  });
}

// measureThroughputSync(options?) -> result
Napi::Value MeasureThroughputSync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 1, "measureThroughputSync");
    ThroughputParams params = ParseThroughputParams(info[0]);
    return ThroughputToJs(info.Env(), params, MeasureThroughput(params, JobContext::Synchronous()));
  });
}

}  // namespace

void RegisterThroughput(Napi::Env env, Napi::Object exports) {
  exports.Set("measureThroughput", Napi::Function::New<MeasureThroughputAsync>(env, "measureThroughput"));
  exports.Set("measureThroughputSync", Napi::Function::New<MeasureThroughputSync>(env, "measureThroughputSync"));
}

}  // namespace camu
