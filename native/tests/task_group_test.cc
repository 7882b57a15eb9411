// Task parallelism over the TCP store (distributed/task_group.h): ranks take every index of a
// shared queue exactly once and see each other's results; a rank that fails, is killed or loses
// rank 0's store makes the others fail with ERR_CAMU_DISTRIBUTED within the timeout.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "distributed/task_group.h"
#include "tests/rendezvous.h"
#include "tests/tiny_task.h"

namespace camu::distributed {
namespace {

using unlearn::test::CodeOf;

using test::FreePort;
using test::RankOptions;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(TaskGroup, RanksTakeEveryItemOnceAndSeeEachOthersResults) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort(), items = 25, ranks = 3;
  std::vector<std::vector<int64_t>> taken(ranks);
  std::vector<std::vector<std::string>> gathered(ranks);
  std::vector<std::exception_ptr> errors(ranks);
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < ranks; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        auto group = TaskGroup::Connect(RankOptions(port, rank, ranks, 20), "test");
        for (int64_t i = group->Take("items"); i < items; i = group->Take("items")) {
          taken[rank].push_back(i);
          group->Put("item/" + std::to_string(i), "value " + std::to_string(i * i) + " from " + std::to_string(rank));
        }
        std::vector<std::string> keys;
        for (int64_t i = 0; i < items; ++i) keys.push_back("item/" + std::to_string(i));
        gathered[rank] = group->Get(keys, JobContext::Synchronous());
        EXPECT_EQ(group->Problem(), "");
        group->Close();
      } catch (...) {
        errors[rank] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  std::multiset<int64_t> all;
  for (const auto& list : taken) all.insert(list.begin(), list.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(items));
  for (int64_t i = 0; i < items; ++i) EXPECT_EQ(all.count(i), 1u) << "item " << i;
  for (int64_t rank = 0; rank < ranks; ++rank) {
    ASSERT_EQ(gathered[rank].size(), static_cast<size_t>(items));
    for (int64_t i = 0; i < items; ++i) {
      EXPECT_EQ(gathered[rank][i].rfind("value " + std::to_string(i * i) + " from ", 0), 0u) << gathered[rank][i];
    }
  }
}

TEST(TaskGroup, ARankThatFailsFailsTheOthersAtOnce) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort();
  const double timeout = 30;
  std::string code, message;
  double seconds = 0;
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      auto group = TaskGroup::Connect(RankOptions(port, rank, 2, timeout), "fail");
      if (rank == 1) {
        group->Fail("the dataset could not be read");
        std::this_thread::sleep_for(std::chrono::seconds(3));  // alive, but failed
        return;
      }
      auto start = std::chrono::steady_clock::now();
      code = CodeOf([&] { group->Get({"never"}, JobContext::Synchronous()); }, &message);
      seconds = SecondsSince(start);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(code, codes::kDistributed) << message;
  EXPECT_NE(message.find("rank 1 failed: the dataset could not be read"), std::string::npos) << message;
  EXPECT_LT(seconds, 5) << message;
}

// Rank `rank` in a child process that joins, takes an item and then waits to be killed.
pid_t ForkedRank(int64_t port, int64_t rank, double timeout) {
  pid_t pid = fork();
  if (pid == 0) {
    try {
      auto group = TaskGroup::Connect(RankOptions(port, rank, 2, timeout), "killed");
      group->Take("items");
      group->Put("joined/" + std::to_string(rank), "yes");
      while (true) pause();
    } catch (...) {
    }
    _exit(3);
  }
  return pid;
}

TEST(TaskGroup, AKilledRankFailsTheOtherWithinTheTimeout) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort();
  const double timeout = 3;
  auto group = [&] {
    pid_t child = ForkedRank(port, 1, timeout);
    auto joined = TaskGroup::Connect(RankOptions(port, 0, 2, timeout), "killed");
    joined->Get({"joined/1"}, JobContext::Synchronous());
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return joined;
  }();
  auto start = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(CodeOf([&] { group->Get({"never"}, JobContext::Synchronous()); }, &message), codes::kDistributed);
  const double seconds = SecondsSince(start);
  EXPECT_NE(message.find("rank 1 showed no sign of life for 3 s"), std::string::npos) << message;
  EXPECT_GT(seconds, timeout - 1.5) << message;
  EXPECT_LT(seconds, timeout + 3) << message;
  EXPECT_NE(group->Problem(), "");
  // Taking more work fails too, and rank 0 closes without waiting for the dead rank.
  EXPECT_EQ(CodeOf([&] { group->Take("items"); }), codes::kDistributed);
  start = std::chrono::steady_clock::now();
  group->Close();
  EXPECT_LT(SecondsSince(start), 2);
}

TEST(TaskGroup, LosingRankZerosStoreFailsTheOthers) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort();
  const double timeout = 20;
  pid_t child = ForkedRank(port, 0, timeout);
  auto group = TaskGroup::Connect(RankOptions(port, 1, 2, timeout), "killed");
  group->Get({"joined/0"}, JobContext::Synchronous());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto start = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(CodeOf([&] { group->Get({"never"}, JobContext::Synchronous()); }, &message), codes::kDistributed);
  EXPECT_LT(SecondsSince(start), 5) << message;  // a closed connection is noticed at once, not after the timeout
  EXPECT_NE(message.find("rank 1 of 2"), std::string::npos) << message;
  EXPECT_NE(message.find(":" + std::to_string(port)), std::string::npos) << message;
}

TEST(TaskGroup, AStoppedRankZeroFailsTheOthersWithinTheTimeout) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  const int64_t port = FreePort();
  const double timeout = 3;
  pid_t child = ForkedRank(port, 0, timeout);
  auto group = TaskGroup::Connect(RankOptions(port, 1, 2, timeout), "killed");
  group->Get({"joined/0"}, JobContext::Synchronous());
  kill(child, SIGSTOP);  // its store stops answering, but its sockets stay open
  auto start = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(CodeOf([&] { group->Get({"never"}, JobContext::Synchronous()); }, &message), codes::kDistributed);
  const double seconds = SecondsSince(start);
  EXPECT_NE(message.find("did not answer within 3 s"), std::string::npos) << message;
  EXPECT_LT(seconds, timeout + 3) << message;
  EXPECT_EQ(CodeOf([&] { group->Take("items"); }), codes::kDistributed);
  start = std::chrono::steady_clock::now();
  group->Close();  // does not wait for the silent store
  EXPECT_LT(SecondsSince(start), timeout + 2);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST(TaskGroup, AnAbortedWaitStops) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  auto group = TaskGroup::Connect(RankOptions(FreePort(), 0, 1, 20), "abort");
  AbortToken abort = NewAbortToken();
  JobContext context(abort, nullptr);
  std::thread raise([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    abort->store(true);
  });
  EXPECT_EQ(CodeOf([&] { group->Get({"never"}, context); }), codes::kAborted);
  raise.join();
  EXPECT_EQ(group->Take("q"), 0);
  EXPECT_EQ(group->Take("q"), 1);
  group->Close();
}

TEST(TaskGroup, NoRendezvousFailsWithinTheTimeout) {
  if (!Available()) GTEST_SKIP() << UnavailableReason();
  auto start = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(CodeOf([&] { TaskGroup::Connect(RankOptions(FreePort(), 0, 2, 2), "alone"); }, &message), codes::kDistributed);
  EXPECT_LT(SecondsSince(start), 6) << message;
  EXPECT_NE(message.find("could not join the task group 'alone'"), std::string::npos) << message;
  EXPECT_NE(message.find("only 1 of 2 ranks joined"), std::string::npos) << message;
}

}  // namespace
}  // namespace camu::distributed
