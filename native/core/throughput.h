// Measures the dense throughput this machine reaches through the linked libtorch: the machine
// limit the benchmark compares CaMU's step rate against. Also the core's reference long job.
#pragma once
#include <cstdint>
#include <string>

#include "core/job_context.h"

namespace camu {

struct ThroughputParams {
  std::string op = "matmul";  // "matmul": size^3 float32 GEMM; "conv": batch 32 conv, 5x5 kernel
  int64_t size = 1024;        // matmul: matrix side; conv: spatial side of the input
  int64_t iterations = 10;    // timed iterations after one warm-up
};

struct ThroughputResult {
  double flopsPerIteration = 0;
  double medianSeconds = 0;
  double totalSeconds = 0;
  int64_t iterations = 0;
};

// Reports a "throughput" step per iteration; stops at the next iteration once aborted.
ThroughputResult MeasureThroughput(const ThroughputParams& params, const JobContext& context);

}  // namespace camu
