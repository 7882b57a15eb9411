// Time limits on user code (core/call_watch.h), the trust a TorchScript load needs, and what a
// model held by a given-up call does to later operations (models/model.h).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/call_watch.h"
#include "core/errors.h"
#include "core/job_context.h"
#include "models/model.h"
#include "models/torchscript_model.h"

namespace camu {
namespace {

using namespace std::chrono_literals;

// A model to lock: the locks, not the model, are under test.
std::shared_ptr<models::Model> TinyModel() {
  models::BuiltinConfig config;
  config.architecture = "mlp";
  config.inFeatures = 4;
  config.hiddenSize = 4;
  return models::CreateBuiltin(config);
}

TEST(CallWatch, ACallOverrunsOnlyPastItsLimitAndOnlyWhileItRuns) {
  CallWatch watch;
  EXPECT_FALSE(watch.CheckOverrun());
  {
    CallWatch::ScopedCurrent current(&watch);
    EXPECT_EQ(CallWatch::Current(), &watch);
    CallWatch::Call call(0.02, "model.pt: forward");
    EXPECT_FALSE(watch.CheckOverrun());
    std::optional<CallWatch::Overrun> overrun = watch.CheckOverrun(CallWatch::Clock::now() + 50ms);
    ASSERT_TRUE(overrun);
    EXPECT_EQ(overrun->what, "model.pt: forward");
    EXPECT_DOUBLE_EQ(overrun->limitSeconds, 0.02);
    EXPECT_GE(overrun->elapsedSeconds, 0.05);
    {
      // A nested call (the probe's forward inside a load) neither restarts the clock nor renames it.
      CallWatch::Call inner(100, "inner");
      overrun = watch.CheckOverrun(CallWatch::Clock::now() + 50ms);
      ASSERT_TRUE(overrun);
      EXPECT_EQ(overrun->what, "model.pt: forward");
    }
  }
  EXPECT_EQ(CallWatch::Current(), nullptr);
  EXPECT_FALSE(watch.CheckOverrun(CallWatch::Clock::now() + 1h));
}

TEST(CallWatch, NoLimitAndNoWatchMeanNothingIsLimited) {
  CallWatch watch;
  CallWatch::ScopedCurrent current(&watch);
  CallWatch::Call unlimited(0, "unlimited");
  EXPECT_FALSE(watch.CheckOverrun(CallWatch::Clock::now() + 24h));
  CallWatch other;
  {
    CallWatch::ScopedCurrent none(nullptr);
    CallWatch::Call unwatched(0.001, "unwatched");  // no watch on this thread: a no-op
  }
  EXPECT_FALSE(other.CheckOverrun(CallWatch::Clock::now() + 1h));
}

TEST(TorchScriptTrust, ALoadWithoutTrustIsRefusedBeforeTheFileIsOpened) {
  models::TorchScriptOptions options;
  try {
    models::LoadTorchScript("/nonexistent/model.pt", options);
    ADD_FAILURE() << "nothing was thrown";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), codes::kUntrustedCode);
    EXPECT_NE(std::string(error.what()).find("trustCode"), std::string::npos);
  }
  options.trustCode = true;
  options.forwardTimeout = -1;
  EXPECT_THROW(models::LoadTorchScript("/nonexistent/model.pt", options), Error);
}

TEST(ModelLock, AStuckHolderEndsTheWaitWithACodeAFreeLockIsTaken) {
  std::shared_ptr<models::Model> model = TinyModel();
  model->MarkStuck();
  // Nobody holds it: a stuck mark alone changes nothing.
  { auto lock = models::LockFor(*model, "test", JobContext(NewAbortToken(), nullptr)); }
  std::unique_lock<std::timed_mutex> held(model->Mutex());
  auto code = [&](const JobContext& context) {
    try {
      models::LockFor(*model, "evaluate", context);
    } catch (const Error& error) {
      return error.code();
    }
    return std::string("locked");
  };
  EXPECT_EQ(code(JobContext(NewAbortToken(), nullptr)), codes::kStuck);  // a worker's wait
  EXPECT_EQ(code(JobContext::Synchronous()), codes::kStuck);             // a synchronous try
}

TEST(ModelLock, AnAbortEndsTheWaitForABusyModel) {
  std::shared_ptr<models::Model> model = TinyModel();
  std::unique_lock<std::timed_mutex> held(model->Mutex());
  AbortToken abort = NewAbortToken();
  std::thread aborter([abort] {
    std::this_thread::sleep_for(100ms);
    abort->store(true);
  });
  try {
    models::LockFor(*model, "train", JobContext(abort, nullptr));
    ADD_FAILURE() << "the lock was taken";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), codes::kAborted);
  }
  aborter.join();
  EXPECT_EQ([&] {
    try {
      models::LockForSync(*model, "forward");
    } catch (const Error& error) {
      return error.code();
    }
    return std::string("locked");
  }(), codes::kState);
}

}  // namespace
}  // namespace camu
