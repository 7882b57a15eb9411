// Data-parallel training over c10d + Gloo: two ranks (threads of this process, on 127.0.0.1) train
// the same model as one process with the same global batch, to float rounding; a rank that leaves
// makes the other fail with ERR_CAMU_DISTRIBUTED within the timeout.
#include <gtest/gtest.h>


#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "distributed/process_group.h"
#include "tests/rendezvous.h"
#include "tests/tiny_task.h"
#include "train/trainer.h"
#include "unlearn/method.h"

namespace camu::distributed {
namespace {

using unlearn::test::CodeOf;
using unlearn::test::TinyTask;

using test::FreePort;
using test::RankOptions;

// Runs body(rank) on `worldSize` threads; rethrows the first failure.
void OnRanks(int64_t worldSize, const std::function<void(int64_t)>& body) {
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(worldSize);
  for (int64_t rank = 0; rank < worldSize; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        body(rank);
      } catch (...) {
        errors[rank] = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

TEST(Distributed, ShardsCoverTheBatchInOrder) {
  EXPECT_EQ(ShardRange(7, 0, 2), std::make_pair(int64_t{0}, int64_t{4}));
  EXPECT_EQ(ShardRange(7, 1, 2), std::make_pair(int64_t{4}, int64_t{7}));
  EXPECT_EQ(ShardRange(1, 1, 3), std::make_pair(int64_t{1}, int64_t{1}));
  int64_t next = 0;
  for (int64_t rank = 0; rank < 5; ++rank) {
    auto [begin, end] = ShardRange(23, rank, 5);
    EXPECT_EQ(begin, next);
    EXPECT_GE(end - begin, 4);
    next = end;
  }
  EXPECT_EQ(next, 23);
}

TEST(Distributed, ReportsWhetherItIsAvailable) {
  if (Available()) {
    const std::vector<std::string> expected =
        NcclUnavailableReason().empty() ? std::vector<std::string>{"gloo", "nccl"} : std::vector<std::string>{"gloo"};
    EXPECT_EQ(Backends(), expected);
    EXPECT_EQ(UnavailableReason(), "");
  } else {
    EXPECT_NE(UnavailableReason(), "");
    EXPECT_EQ(CodeOf([] { ProcessGroup::Connect(RankOptions(FreePort(), 0, 1)); }), codes::kUnsupported);
  }
}

TEST(Distributed, ChoosesTheBackendByNameAndDevice) {
  Options bogus = RankOptions(FreePort(), 0, 1);
  bogus.backend = "mpi";
  std::string message;
  EXPECT_EQ(CodeOf([&] { ProcessGroup::Connect(bogus); }, &message), codes::kOutOfRange);
  EXPECT_NE(message.find("backend must be one of auto, gloo, nccl, got 'mpi'"), std::string::npos) << message;
  // NCCL: refused where the build has none, and for a model on the CPU where it has.
  Options nccl = RankOptions(FreePort(), 0, 1);
  nccl.backend = "nccl";
  EXPECT_EQ(CodeOf([&] { ProcessGroup::Connect(nccl, at::kCPU); }, &message), codes::kUnsupported);
  EXPECT_NE(message.find(NcclUnavailableReason().empty() ? "needs a model on CUDA" : "not in this build"), std::string::npos) << message;
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  // auto on the CPU: Gloo.
  EXPECT_EQ(ProcessGroup::Connect(RankOptions(FreePort(), 0, 1), at::kCPU)->Backend(), "gloo");
}

TEST(Distributed, TwoRanksTrainAsOneProcess) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  TinyTask task;
  train::TrainOptions options;
  options.epochs = 2;
  options.batchSize = 7;  // uneven shards (4 + 3) and a short last batch (64 = 9·7 + 1: one empty shard)
  options.seed = 5;
  options.checkEvery = 3;
  std::shared_ptr<models::Model> single = task.model->Clone();
  train::TrainStats expected = train::Train(*single, {task.train, {}}, options, JobContext::Synchronous());

  const int64_t port = FreePort();
  std::vector<std::shared_ptr<models::Model>> models{task.model->Clone(), task.model->Clone()};
  std::vector<train::TrainStats> stats(2);
  OnRanks(2, [&](int64_t rank) {
    train::TrainOptions rankOptions = options;
    rankOptions.group = ProcessGroup::Connect(RankOptions(port, rank, 2));
    stats[rank] = train::Train(*models[rank], {task.train, {}}, rankOptions, JobContext::Synchronous());
  });
  std::vector<at::Tensor> want = single->Parameters();
  for (int64_t rank = 0; rank < 2; ++rank) {
    std::vector<at::Tensor> got = models[rank]->Parameters();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_TRUE(at::allclose(got[i], want[i], 1e-4, 1e-6)) << "rank " << rank << " parameter " << i << " differs by "
                                                             << (got[i] - want[i]).abs().max().item<double>();
    }
    EXPECT_EQ(stats[rank].steps, expected.steps);
    ASSERT_EQ(stats[rank].epochLosses.size(), 2u);
    EXPECT_NEAR(stats[rank].epochLosses[1], expected.epochLosses[1], 1e-5);
  }
  // The ranks hold bitwise-identical weights (they step with the same all-reduced gradient).
  EXPECT_TRUE(unlearn::test::SameState(unlearn::test::State(*models[0]), unlearn::test::State(*models[1])));
  // And the weights did move: equality above is not the untrained model's.
  EXPECT_FALSE(at::allclose(task.model->Parameters()[0], want[0]));
}

TEST(Distributed, TwoRanksUnlearnWithCamuAsOneProcess) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  TinyTask task;
  std::map<std::string, unlearn::MethodOptions::Value> values{{"epochs", 2.0}, {"batchSize", 5.0}, {"seed", 3.0}};
  unlearn::MethodOptions options;
  for (const auto& [name, value] : values) options.Set(name, value);
  unlearn::MethodResult expected = unlearn::RunMethod("camu", *task.model, task.train, task.split, options, JobContext::Synchronous());

  const int64_t port = FreePort();
  std::vector<unlearn::MethodResult> results(2);
  // A copy of the original per rank: a run locks its original, and each rank is a process of its own.
  std::vector<std::shared_ptr<models::Model>> originals{task.model->Clone(), task.model->Clone()};
  OnRanks(2, [&](int64_t rank) {
    unlearn::MethodOptions rankOptions;
    for (const auto& [name, value] : values) rankOptions.Set(name, value);
    auto group = ProcessGroup::Connect(RankOptions(port, rank, 2));
    results[rank] = unlearn::RunMethod("camu", *originals[rank], task.train, task.split, rankOptions, JobContext::Synchronous(), group);
  });
  std::vector<at::Tensor> want = expected.model->Parameters();
  std::vector<at::Tensor> original = task.model->Parameters();
  double moved = 0;
  for (size_t i = 0; i < want.size(); ++i) moved = std::max(moved, (want[i] - original[i]).abs().max().item<double>());
  EXPECT_GT(moved, 1e-3);  // the run changed the model: the equality below is not the original's
  for (int64_t rank = 0; rank < 2; ++rank) {
    std::vector<at::Tensor> got = results[rank].model->Parameters();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_TRUE(at::allclose(got[i], want[i], 1e-4, 1e-6)) << "rank " << rank << " parameter " << i << " differs by "
                                                             << (got[i] - want[i]).abs().max().item<double>();
    }
    ASSERT_EQ(results[rank].epochs.size(), expected.epochs.size());
    for (size_t k = 0; k < expected.epochs.back().means.size(); ++k) {
      EXPECT_NEAR(results[rank].epochs.back().means[k], expected.epochs.back().means[k], 1e-4) << "scalar " << k;
    }
  }
}

// Runs `method` with `values` on two ranks (threads, 127.0.0.1) and in one process; expects every
// rank's model to be the one process's (to float rounding), its last epoch's reported means too,
// and the run to have moved the model.
void ExpectTwoRanksAsOneProcess(const std::string& method, const std::map<std::string, unlearn::MethodOptions::Value>& values,
                                double tolerance = 1e-4) {
  TinyTask task;
  auto options = [&] {
    unlearn::MethodOptions made;
    made.Set("seed", 3.0);
    made.Set("retainFloor", 0.0);
    for (const auto& [name, value] : values) made.Set(name, value);
    return made;
  };
  unlearn::MethodResult expected = unlearn::RunMethod(method, *task.model, task.train, task.split, options(), JobContext::Synchronous());
  const int64_t port = FreePort();
  std::vector<unlearn::MethodResult> results(2);
  std::vector<std::shared_ptr<models::Model>> originals{task.model->Clone(), task.model->Clone()};
  OnRanks(2, [&](int64_t rank) {
    auto group = ProcessGroup::Connect(RankOptions(port, rank, 2));
    results[rank] = unlearn::RunMethod(method, *originals[rank], task.train, task.split, options(), JobContext::Synchronous(), group);
  });
  std::vector<at::Tensor> want = expected.model->Parameters(), original = task.model->Parameters();
  double moved = 0;
  for (size_t i = 0; i < want.size(); ++i) moved = std::max(moved, (want[i] - original[i]).abs().max().item<double>());
  EXPECT_GT(moved, 1e-4) << method << ": the run did not change the model, so the comparison below says nothing";
  for (int64_t rank = 0; rank < 2; ++rank) {
    std::vector<at::Tensor> got = results[rank].model->Parameters();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_TRUE(at::allclose(got[i], want[i], tolerance, tolerance * 1e-2))
          << method << ": rank " << rank << " parameter " << i << " differs by " << (got[i] - want[i]).abs().max().item<double>();
    }
    ASSERT_EQ(results[rank].epochs.size(), expected.epochs.size()) << method;
    for (size_t k = 0; k < expected.epochs.back().means.size(); ++k) {
      EXPECT_NEAR(results[rank].epochs.back().means[k], expected.epochs.back().means[k], 1e-4)
          << method << ": scalar " << expected.scalarNames[k];
    }
  }
}

// Batch sizes that give uneven shards and a last batch with an empty shard on the tiny task
// (48 retained, 16 forgotten samples).
TEST(Distributed, FinetuneOnTwoRanksIsOneProcess) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  ExpectTwoRanksAsOneProcess("finetune", {{"epochs", 2.0}, {"batchSize", 7.0}, {"learningRate", 0.1}});
  // l1-sparse: the penalty is added once (by rank 0), not once per rank.
  ExpectTwoRanksAsOneProcess("finetune", {{"epochs", 1.0}, {"batchSize", 9.0}, {"l1", 0.01}});
}

TEST(Distributed, NeggradPlusOnTwoRanksIsOneProcess) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  ExpectTwoRanksAsOneProcess("neggrad+", {{"epochs", 2.0}, {"batchSize", 5.0}, {"alpha", 0.9}, {"learningRate", 0.05}});
}

TEST(Distributed, ScrubOnTwoRanksIsOneProcess) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  // Max passes over D_f (batch 6: 6 + 6 + 4) and min passes over D_r (batch 7), with Adam.
  ExpectTwoRanksAsOneProcess("scrub", {{"epochs", 3.0}, {"maxSteps", 2.0}, {"batchSize", 7.0}, {"forgetBatchSize", 6.0},
                                       {"learningRate", 0.01}});
}

TEST(Distributed, TheOtherGradientMethodsOnTwoRanksAreOneProcess) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  ExpectTwoRanksAsOneProcess("neggrad", {{"epochs", 2.0}, {"batchSize", 5.0}, {"learningRate", 0.05}});
  ExpectTwoRanksAsOneProcess("random-label", {{"epochs", 2.0}, {"batchSize", 5.0}, {"learningRate", 0.05}});
  ExpectTwoRanksAsOneProcess("salun", {{"epochs", 2.0}, {"batchSize", 5.0}, {"learningRate", 0.05}});
  ExpectTwoRanksAsOneProcess("bad-teacher", {{"epochs", 2.0}, {"batchSize", 7.0}, {"learningRate", 0.05}});
  ExpectTwoRanksAsOneProcess("boundary-shrink", {{"epochs", 2.0}, {"batchSize", 5.0}, {"learningRate", 0.05}});
  ExpectTwoRanksAsOneProcess("retrain", {{"epochs", 2.0}, {"batchSize", 7.0}});
  // SSD: every rank computes the whole, so the ranks' models are the one process's exactly.
  ExpectTwoRanksAsOneProcess("ssd", {}, 0);
  // With a forget target each rank chooses α on its own probe, the same one.
  ExpectTwoRanksAsOneProcess("ssd", {{"importance", std::string("sample")}, {"reference", std::string("retain")},
                                     {"lambda", 0.1}, {"alpha", 3.0}, {"forgetTarget", 0.0}}, 0);
}

TEST(Distributed, EveryMethodRunsOnAGroup) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  TinyTask task;
  auto group = ProcessGroup::Connect(RankOptions(FreePort(), 0, 1));
  for (const std::string& method : unlearn::MethodNames()) {
    unlearn::MethodOptions options;
    options.Set("epochs", 1.0);
    options.Set("retainFloor", 0.0);
    EXPECT_EQ(CodeOf([&] { unlearn::RunMethod(method, *task.model, task.train, task.split, options, JobContext::Synchronous(), group); }), "")
        << method;
  }
}

TEST(Distributed, UnlearningRanksThatDisagreeAreCaughtAtTheCheckEveryStep) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  TinyTask task;
  // Rank 1 starts from other weights: the check after step 2 catches it, long before the end.
  std::vector<std::shared_ptr<models::Model>> originals{task.model->Clone(), task.model->Clone()};
  {
    at::NoGradGuard noGrad;
    const_cast<at::Tensor&>(originals[1]->Parameters()[0]).add_(0.5);
  }
  const int64_t port = FreePort();
  std::vector<std::string> codes(2), messages(2);
  OnRanks(2, [&](int64_t rank) {
    unlearn::MethodOptions options;
    options.Set("epochs", 3.0);
    options.Set("batchSize", 5.0);
    options.Set("retainFloor", 0.0);
    auto group = ProcessGroup::Connect(RankOptions(port, rank, 2));
    codes[rank] = CodeOf([&] { unlearn::RunMethod("finetune", *originals[rank], task.train, task.split, options, JobContext::Synchronous(), group, 2); },
                         &messages[rank]);
  });
  for (int64_t rank = 0; rank < 2; ++rank) {
    EXPECT_EQ(codes[rank], codes::kDistributed) << messages[rank];
    EXPECT_NE(messages[rank].find("unlearned weights after step 2 differ"), std::string::npos) << messages[rank];
  }
}

TEST(Distributed, RanksThatDisagreeAreCaught) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort();
  std::vector<std::string> codes(2);
  OnRanks(2, [&](int64_t rank) {
    auto group = ProcessGroup::Connect(RankOptions(port, rank, 2));
    group->CheckSame({at::ones({3})}, "weights");  // agree
    codes[rank] = CodeOf([&] { group->CheckSame({at::full({3}, static_cast<double>(rank))}, "weights"); });
  });
  EXPECT_EQ(codes[0], codes::kDistributed);
  EXPECT_EQ(codes[1], codes::kDistributed);
}

TEST(Distributed, ARankThatLeavesFailsTheOtherWithinTheTimeout) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort();
  const double timeout = 4;
  std::string code, message;
  double seconds = 0;
  OnRanks(2, [&](int64_t rank) {
    auto group = ProcessGroup::Connect(RankOptions(port, rank, 2, timeout));
    if (rank == 1) return;  // leaves: its group (and sockets) go away without another collective
    at::Tensor parameter = at::ones({4}).requires_grad_(true);
    parameter.mutable_grad() = at::ones({4});
    auto start = std::chrono::steady_clock::now();
    code = CodeOf([&] { group->AllReduceGradients({parameter}, 1.0, {0.0}); }, &message);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  EXPECT_EQ(code, codes::kDistributed) << message;
  EXPECT_NE(message.find("rank 0 of 2"), std::string::npos) << message;
  EXPECT_LT(seconds, timeout + 2) << message;
}

TEST(Distributed, NoRendezvousFailsWithinTheTimeout) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  auto start = std::chrono::steady_clock::now();
  std::string message;
  // Rank 0 of 2 alone: rank 1 never comes.
  EXPECT_EQ(CodeOf([&] { ProcessGroup::Connect(RankOptions(FreePort(), 0, 2, 2)); }, &message), codes::kDistributed);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10) << message;
  EXPECT_NE(message.find("could not join"), std::string::npos) << message;
}

}  // namespace
}  // namespace camu::distributed
