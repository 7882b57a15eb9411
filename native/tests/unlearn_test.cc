// The method registry without Node: every registered method passes the same conformance checks
// (input model untouched, abort leaves nothing changed, same seed same result, progress with the
// method's scalars, bad options rejected with codes), on a tiny synthetic task.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/job_context.h"
#include "models/model.h"
#include "tests/tiny_task.h"
#include "unlearn/method.h"

namespace camu::unlearn {
namespace {

using Task = test::TinyTask;
using test::CodeOf;
using test::SameState;
using test::State;

// Each method's smallest useful run: one epoch, small batches.
MethodOptions QuickOptions(const std::string& method) {
  MethodOptions options;
  options.Set("epochs", 1.0);
  options.Set("batchSize", 8.0);
  options.Set("seed", 3.0);
  return options;
}

TEST(Registry, ListsTheBuiltInMethods) {
  std::vector<std::string> names = MethodNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "camu"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "finetune"), names.end());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(Registry, UnknownMethodIsARangeError) {
  Task task;
  EXPECT_EQ(CodeOf([&] {
              RunMethod("no-such-method", *task.model, task.train, task.split, {}, JobContext::Synchronous());
            }),
            codes::kOutOfRange);
}

TEST(Registry, ANameCanBeRegisteredOnce) {
  EXPECT_FALSE(RegisterMethod("camu", [](const MethodOptions&) -> std::unique_ptr<Method> { return nullptr; }));
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, LeavesTheInputModelUntouchedAndChangesItsCopy) {
  Task task;
  const std::vector<at::Tensor> before = State(*task.model);
  MethodResult result =
      RunMethod(GetParam(), *task.model, task.train, task.split, QuickOptions(GetParam()), JobContext::Synchronous());
  EXPECT_TRUE(SameState(State(*task.model), before));
  ASSERT_TRUE(result.model);
  EXPECT_NE(result.model.get(), task.model.get());
  EXPECT_FALSE(SameState(State(*result.model), before));
  EXPECT_FALSE(result.model->IsTraining());
  EXPECT_EQ(result.method, GetParam());
  ASSERT_EQ(result.epochs.size(), 1u);
  EXPECT_GT(result.epochs[0].steps, 0);
  EXPECT_EQ(result.epochs[0].means.size(), result.scalarNames.size());
  EXPECT_GE(result.seconds, result.removalSeconds);
}

TEST_P(Conformance, SameSeedSameResultOtherSeedOtherResult) {
  Task task;
  auto run = [&](double seed) {
    MethodOptions options = QuickOptions(GetParam());
    options.Set("seed", seed);
    return State(*RunMethod(GetParam(), *task.model, task.train, task.split, options, JobContext::Synchronous()).model);
  };
  EXPECT_TRUE(SameState(run(3), run(3)));
  EXPECT_FALSE(SameState(run(3), run(4)));
}

TEST_P(Conformance, TheRetainedAccuracyGuardNeverChangesARunItDoesNotStop) {
  Task task;
  MethodResult guarded =
      RunMethod(GetParam(), *task.model, task.train, task.split, QuickOptions(GetParam()), JobContext::Synchronous());
  MethodOptions off = QuickOptions(GetParam());
  off.Set("retainFloor", 0.0);
  MethodResult unguarded = RunMethod(GetParam(), *task.model, task.train, task.split, off, JobContext::Synchronous());
  EXPECT_TRUE(guarded.retainGuard.enabled);
  EXPECT_FALSE(guarded.retainGuard.checks.empty());
  EXPECT_FALSE(unguarded.retainGuard.enabled);
  EXPECT_TRUE(unguarded.retainGuard.checks.empty());
  EXPECT_TRUE(SameState(State(*guarded.model), State(*unguarded.model)));
}

TEST_P(Conformance, TheForgetStopNeverChangesARunItDoesNotEnd) {
  Task task;
  MethodResult plain =
      RunMethod(GetParam(), *task.model, task.train, task.split, QuickOptions(GetParam()), JobContext::Synchronous());
  const double steps = static_cast<double>(plain.epochs[0].steps);
  MethodOptions stopping = QuickOptions(GetParam());
  // Every accuracy is at or below 100%: the one check, after the last step, ends the run there.
  stopping.Set("forgetTarget", 100.0);
  stopping.Set("forgetCheckEvery", steps);
  std::string message;
  MethodResult stopped;
  const std::string code =
      CodeOf([&] { stopped = RunMethod(GetParam(), *task.model, task.train, task.split, stopping, JobContext::Synchronous()); }, &message);
  if (code == codes::kOutOfRange && message.find("takes no forgetTarget") != std::string::npos) {
    GTEST_SKIP() << GetParam() << "'s steps do not forget: " << message;
  }
  ASSERT_EQ(code, "") << message;
  EXPECT_EQ(stopped.forgetStop.checks, 1);
  // SSD meets the target in End instead, at its own α (every model is at or below 100%): its
  // steps all run.
  EXPECT_EQ(stopped.forgetStop.stoppedAfterStep, GetParam() == "ssd" ? 0 : plain.epochs[0].steps);
  EXPECT_TRUE(SameState(State(*stopped.model), State(*plain.model)));
}

TEST_P(Conformance, ReportsEveryStepWithItsScalars) {
  Task task;
  std::vector<Progress> reports;
  JobContext context(NewAbortToken(), [&](Progress&& progress) { reports.push_back(std::move(progress)); });
  MethodResult result = RunMethod(GetParam(), *task.model, task.train, task.split, QuickOptions(GetParam()), context);
  std::vector<Progress> removal;
  for (const Progress& progress : reports) {
    if (progress.phase == "removal") removal.push_back(progress);
  }
  ASSERT_EQ(static_cast<int64_t>(removal.size()), result.epochs[0].steps);
  EXPECT_EQ(removal.back().step, removal.back().total);
  ASSERT_EQ(removal[0].values.size(), result.scalarNames.size() + 1);
  EXPECT_EQ(removal[0].values[0].first, "epoch");
  for (size_t i = 0; i < result.scalarNames.size(); ++i) {
    EXPECT_EQ(removal[0].values[i + 1].first, result.scalarNames[i]);
  }
}

TEST_P(Conformance, AbortStopsAtTheNextStepAndLeavesTheInputModelAsItWas) {
  Task task;
  const std::vector<at::Tensor> before = State(*task.model);
  AbortToken abort = NewAbortToken();
  int steps = 0;
  JobContext context(abort, [&](Progress&& progress) {
    if (progress.phase == "removal" && ++steps == 2) abort->store(true);
  });
  MethodOptions options = QuickOptions(GetParam());
  options.Set("epochs", 3.0);  // more steps than the two it is allowed
  EXPECT_EQ(CodeOf([&] { RunMethod(GetParam(), *task.model, task.train, task.split, options, context); }),
            codes::kAborted);
  EXPECT_EQ(steps, 2);
  EXPECT_TRUE(SameState(State(*task.model), before));
}

TEST_P(Conformance, RejectsBadOptionsWithCodes) {
  Task task;
  auto codeWith = [&](const std::string& name, MethodOptions::Value value) {
    MethodOptions options = QuickOptions(GetParam());
    options.Set(name, std::move(value));
    return CodeOf([&] { RunMethod(GetParam(), *task.model, task.train, task.split, options, JobContext::Synchronous()); });
  };
  EXPECT_EQ(codeWith("noSuchOption", 1.0), codes::kOutOfRange);
  EXPECT_EQ(codeWith("epochs", std::string("ten")), codes::kInvalidArgType);
  EXPECT_EQ(codeWith("epochs", 1.5), codes::kOutOfRange);
  EXPECT_EQ(codeWith("batchSize", 0.0), codes::kOutOfRange);
  EXPECT_EQ(codeWith("seed", -1.0), codes::kOutOfRange);
  EXPECT_EQ(codeWith("device", std::string("tpu")), codes::kOutOfRange);
}

TEST_P(Conformance, RejectsASplitOfAnotherDataset) {
  Task task;
  task.split.datasetName = "other";
  EXPECT_EQ(CodeOf([&] {
              RunMethod(GetParam(), *task.model, task.train, task.split, QuickOptions(GetParam()),
                        JobContext::Synchronous());
            }),
            codes::kOutOfRange);
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredMethod, Conformance, ::testing::ValuesIn(MethodNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           // GoogleTest names allow only letters, digits and '_': neggrad+ -> neggrad_plus.
                           std::string name;
                           for (char c : info.param) name += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : c == '+' ? "_plus" : "_";
                           return name;
                         });

TEST(Finetune, AdamAndSgdBothTrainOnTheRetainedData) {
  Task task;
  for (const char* optimizer : {"sgd", "adam"}) {
    MethodOptions options = QuickOptions("finetune");
    options.Set("optimizer", std::string(optimizer));
    options.Set("learningRate", 0.05);
    MethodResult result = RunMethod("finetune", *task.model, task.train, task.split, options, JobContext::Synchronous());
    EXPECT_EQ(result.scalarNames, std::vector<std::string>{"loss"});
    // 48 retained samples in batches of 8.
    EXPECT_EQ(result.epochs[0].steps, 6) << optimizer;
  }
  MethodOptions bad = QuickOptions("finetune");
  bad.Set("optimizer", std::string("rmsprop"));
  EXPECT_EQ(CodeOf([&] { RunMethod("finetune", *task.model, task.train, task.split, bad, JobContext::Synchronous()); }),
            codes::kOutOfRange);
}

TEST(Camu, PairsEachForgetSampleOnceAndReportsItsShortcuts) {
  Task task;
  MethodResult result = RunMethod("camu", *task.model, task.train, task.split, QuickOptions("camu"), JobContext::Synchronous());
  EXPECT_EQ(result.scalarNames, (std::vector<std::string>{"klSample", "klCounterfactual", "ceSample", "ceCounterfactual"}));
  std::map<std::string, std::variant<double, bool>> details(result.details.begin(), result.details.end());
  EXPECT_EQ(std::get<double>(details.at("pairs")), 16.0);
  EXPECT_TRUE(std::get<bool>(details.at("teacherSampleCached")));
  EXPECT_TRUE(std::get<bool>(details.at("studentPassesBatched")));
}

}  // namespace
}  // namespace camu::unlearn
