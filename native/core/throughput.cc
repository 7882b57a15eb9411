#include "core/throughput.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace camu {

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

}  // namespace camu
