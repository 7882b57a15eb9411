// The core's basics without Node: coded errors, the job context, process settings.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <stdexcept>
#include <vector>

#include "core/errors.h"
#include "core/job_context.h"
#include "core/memory.h"
#include "core/process.h"
#include "core/throughput.h"

namespace camu {
namespace {

ErrorInfo Capture(const std::function<void()>& body) {
  try {
    body();
  } catch (...) {
    return CaptureCurrentException();
  }
  ADD_FAILURE() << "nothing was thrown";
  return {};
}

TEST(Errors, EveryExceptionGetsAKindAndAStableCode) {
  ErrorInfo type = Capture([] { ThrowTypeError("x must be a number"); });
  EXPECT_EQ(type.kind, ErrorKind::kType);
  EXPECT_EQ(type.code, codes::kInvalidArgType);
  EXPECT_EQ(type.message, "x must be a number");

  ErrorInfo range = Capture([] { ThrowRangeError("x must be > 0"); });
  EXPECT_EQ(range.kind, ErrorKind::kRange);
  EXPECT_EQ(range.code, codes::kOutOfRange);

  ErrorInfo torch = Capture([] { TORCH_CHECK(false, "a libtorch failure"); });
  EXPECT_EQ(torch.kind, ErrorKind::kCamu);
  EXPECT_EQ(torch.code, codes::kTorch);
  EXPECT_NE(torch.message.find("a libtorch failure"), std::string::npos);
  // No C++ backtrace reaches the message.
  EXPECT_EQ(torch.message.find("Exception raised from"), std::string::npos);

  ErrorInfo memory = Capture([] { throw std::bad_alloc(); });
  EXPECT_EQ(memory.code, codes::kOutOfMemory);
  ErrorInfo other = Capture([] { throw std::logic_error("bug"); });
  EXPECT_EQ(other.code, codes::kInternal);
}

TEST(JobContext, AbortIsSeenAtTheNextCheck) {
  AbortToken abort = NewAbortToken();
  std::vector<Progress> reports;
  JobContext context(abort, [&](Progress&& progress) { reports.push_back(std::move(progress)); });
  EXPECT_NO_THROW(context.CheckAborted());
  context.Report({"phase", 1, 2, {{"loss", 0.5}}});
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].phase, "phase");
  EXPECT_EQ(reports[0].values[0].second, 0.5);
  abort->store(true);
  ErrorInfo aborted = Capture([&] { context.CheckAborted(); });
  EXPECT_EQ(aborted.code, codes::kAborted);
}

TEST(JobContext, SynchronousContextNeverBlocksAndHasNoListener) {
  JobContext context = JobContext::Synchronous();
  EXPECT_FALSE(context.Blocking());
  EXPECT_FALSE(context.Aborted());
  EXPECT_NO_THROW(context.Report({"ignored", 0, 0, {}}));
}

TEST(Process, SettingsAreAppliedOnceAndReported) {
  const ProcessSettings& first = ConfigureProcessOnce();
  const ProcessSettings& second = ConfigureProcessOnce();
  EXPECT_EQ(&first, &second);
  // The test runner does not turn the tuning off (scripts/test-native.js).
  EXPECT_TRUE(first.tuning);
  EXPECT_TRUE(first.mallocThresholds);
  EXPECT_GE(AvailableCores(), 1);
}

// camu's kernels split their work with at::parallel_for, which is serial in code compiled without
// OpenMP even when libtorch has threads (CMakeLists.txt). 3 threads: a team of that size is made
// whatever the machine's cores.
TEST(Process, TheCoresKernelsSplitWorkOverLibtorchsThreads) {
  if (const char* reason = KernelThreadsReason()) GTEST_SKIP() << reason;
  const int before = at::get_num_threads();
  at::set_num_threads(3);
  EXPECT_EQ(KernelThreads(), 3);
  at::set_num_threads(1);
  EXPECT_EQ(KernelThreads(), 1);
  at::set_num_threads(before);
}

// The large-block cache (memory.cc) across jobs: within a generation freed blocks stay for reuse;
// in the next, a size no cached block fits takes the room of the older blocks instead of adding to
// them, and a size that fits is still served from the cache.
TEST(Memory, ANewJobsSizesReplaceTheLastJobsCachedBlocks) {
  if (!ConfigureProcessOnce().cachingAllocator) GTEST_SKIP() << "no caching allocator (CAMU_PROCESS_TUNING=off?)";
  constexpr int64_t kMiB = int64_t(1) << 20;
  const auto mapped = [] {
    CachedBlockStats stats = CachingAllocatorStats();
    return static_cast<int64_t>(stats.liveBytes + stats.cachedBytes);
  };
  const auto sixBlocks = [] {
    std::vector<at::Tensor> blocks(6);
    for (auto& block : blocks) block = at::empty({16 * kMiB / 4}, at::kFloat);
    return blocks;
  };
  StartCacheGeneration();
  sixBlocks();
  // Same generation: a size no cached block fits leaves this job's cached blocks in place.
  { at::Tensor other = at::empty({40 * kMiB / 4}, at::kFloat); }
  int64_t before = mapped();
  {
    std::vector<at::Tensor> again = sixBlocks();
    EXPECT_EQ(mapped(), before);
  }
  // Next generation: a cached size is reused, a new one replaces older blocks.
  StartCacheGeneration();
  before = mapped();
  {
    at::Tensor reused = at::empty({16 * kMiB / 4}, at::kFloat);
    EXPECT_EQ(mapped(), before);
  }
  {
    at::Tensor fresh = at::empty({48 * kMiB / 4}, at::kFloat);
    EXPECT_LE(mapped(), before);
  }
}

TEST(Throughput, ReportsEveryIterationAndStopsWhenAborted) {
  ThroughputParams params;
  params.size = 16;
  params.iterations = 3;
  int reports = 0;
  JobContext context(NewAbortToken(), [&](Progress&&) { ++reports; });
  ThroughputResult result = MeasureThroughput(params, context);
  EXPECT_EQ(reports, 3);
  EXPECT_EQ(result.iterations, 3);
  EXPECT_GT(result.flopsPerIteration, 0);

  AbortToken abort = NewAbortToken();
  abort->store(true);
  ErrorInfo aborted = Capture([&] { MeasureThroughput(params, JobContext(abort, nullptr)); });
  EXPECT_EQ(aborted.code, codes::kAborted);
}

}  // namespace
}  // namespace camu
