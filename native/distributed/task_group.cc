#include "distributed/task_group.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/errors.h"

#ifdef CAMU_WITH_DISTRIBUTED
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace camu::distributed {

#ifdef CAMU_WITH_DISTRIBUTED

namespace {

using Clock = std::chrono::steady_clock;

std::string Describe(const std::exception& error) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&error)) return c10->what_without_backtrace();
  return error.what();
}

std::vector<uint8_t> Bytes(const std::string& text) { return std::vector<uint8_t>(text.begin(), text.end()); }
std::string Text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

class StoreGroup : public TaskGroup {
 public:
  StoreGroup(const Options& options, const std::string& name) : options_(options), prefix_("camu/tasks/" + name + "/") {
    rank_ = options.rank;
    worldSize_ = options.worldSize;
    timeoutSeconds_ = options.timeoutSeconds;
    timeout_ = std::chrono::milliseconds(static_cast<int64_t>(options.timeoutSeconds * 1000));
    // A beat several times per timeout, and at most a second apart, so that a silent rank is
    // noticed close to the timeout and the store is not flooded.
    beat_ = std::clamp(timeout_ / 5, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    Join(name);
    lastBeat_ = Clock::now();
    monitor_ = std::thread([this] { Monitor(); });
  }

  ~StoreGroup() override {
    try {
      Close();
    } catch (...) {
    }
  }

  int64_t Take(const std::string& queue) override {
    ThrowIfProblem("taking the next item of " + queue);
    return Guarded("taking the next item of " + queue, [&] { return store_->add(prefix_ + "queue/" + queue, 1) - 1; });
  }

  void Put(const std::string& key, const std::string& value) override {
    Guarded("publishing " + key, [&] {
      store_->set(prefix_ + "key/" + key, Bytes(value));
      return 0;
    });
  }

  std::vector<std::string> Get(const std::vector<std::string>& keys, const JobContext& context) override {
    std::vector<std::string> full;
    for (const std::string& key : keys) full.push_back(prefix_ + "key/" + key);
    auto pause = std::chrono::milliseconds(5);
    while (true) {
      context.CheckAborted();
      // Keys already published are taken even when a rank has failed since: a finished rank's
      // results do not depend on the others.
      const bool ready = Guarded("waiting for " + Names(keys), [&] { return store_->check(full) ? 1 : 0; }) == 1;
      if (ready) {
        std::vector<std::string> values;
        for (const std::string& key : full) values.push_back(Guarded("reading " + key, [&] { return Text(store_->get(key)); }));
        return values;
      }
      ThrowIfProblem("waiting for " + Names(keys));
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
  }

  void Fail(const std::string& message) override {
    try {
      std::lock_guard<std::mutex> lock(storeMutex_);
      if (store_) store_->set(prefix_ + "failed", Bytes("rank " + std::to_string(rank_) + " failed: " + message));
    } catch (const std::exception&) {
      // The store is gone too: the other ranks notice that on their own.
    }
  }

  std::string Problem() const override {
    std::lock_guard<std::mutex> lock(problemMutex_);
    if (!problem_.empty()) return problem_;
    if (monitor_.joinable() && Clock::now() - lastBeat_.load() > timeout_ + beat_) {
      return "the store at " + Address() + " did not answer within " + Seconds() + " (rank 0 stopped?)";
    }
    return "";
  }

  void Close() override {
    if (closed_.exchange(true)) return;
    try {
      std::lock_guard<std::mutex> lock(storeMutex_);
      store_->set(prefix_ + "left/" + std::to_string(rank_), Bytes("1"));
    } catch (const std::exception&) {
    }
    if (rank_ == 0) {
      // Serve the store until every other rank has left, or until the monitor finds one gone.
      std::vector<std::string> left;
      for (int64_t r = 1; r < worldSize_; ++r) left.push_back(prefix_ + "left/" + std::to_string(r));
      while (Problem().empty()) {
        bool all = false;
        try {
          std::lock_guard<std::mutex> lock(storeMutex_);
          all = store_->check(left);
        } catch (const std::exception&) {
          break;
        }
        if (all) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    {
      std::lock_guard<std::mutex> lock(stopMutex_);
      stopping_ = true;
    }
    stopped_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    std::lock_guard<std::mutex> lock(storeMutex_);
    monitorStore_.reset();
    store_.reset();
  }

 private:
  std::string Address() const { return options_.masterAddr + ":" + std::to_string(options_.masterPort); }
  std::string Seconds() const { return std::to_string(static_cast<int64_t>(timeoutSeconds_)) + " s"; }
  std::string Who() const { return "distributed: rank " + std::to_string(rank_) + " of " + std::to_string(worldSize_); }

  static std::string Names(const std::vector<std::string>& keys) {
    if (keys.size() == 1) return keys.front();
    return std::to_string(keys.size()) + " results (" + keys.front() + ", ...)";
  }

  c10::intrusive_ptr<c10d::TCPStore> Connect(bool server) const {
    c10d::TCPStoreOptions storeOptions;
    storeOptions.port = static_cast<uint16_t>(options_.masterPort);
    storeOptions.isServer = server;
    storeOptions.numWorkers = static_cast<size_t>(worldSize_);
    storeOptions.waitWorkers = false;  // Join counts the ranks itself
    storeOptions.timeout = timeout_;
    return c10::make_intrusive<c10d::TCPStore>(options_.masterAddr, storeOptions);
  }

  // Every rank adds itself to the join count, then waits until all have. A client whose store
  // goes away meanwhile (it reached rank 0's store of an earlier group as that one closed)
  // connects again, until the timeout.
  void Join(const std::string& name) {
    const auto deadline = Clock::now() + timeout_;
    std::string last = "no answer";
    while (Clock::now() < deadline) {
      try {
        if (!store_) store_ = Connect(rank_ == 0);
        if (!joined_) {
          store_->add(prefix_ + "joined", 1);
          joined_ = true;
        }
        while (Clock::now() < deadline) {
          if (store_->add(prefix_ + "joined", 0) >= worldSize_) {
            monitorStore_ = Connect(false);
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        last = "only " + std::to_string(store_->add(prefix_ + "joined", 0)) + " of " + std::to_string(worldSize_) +
               " ranks joined";
      } catch (const std::exception& error) {
        last = Describe(error);
        if (rank_ == 0) break;  // rank 0 serves the store: its own failure does not pass by retrying
        store_.reset();
        joined_ = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    throw Error(codes::kDistributed, Who() + " could not join the task group '" + name + "' at " + Address() +
                                         " within " + Seconds() + ": " + last);
  }

  // The monitor: this rank's beat, and the others' (their counters must move within the timeout
  // until they leave), and another rank's failure report.
  void Monitor() {
    std::vector<int64_t> seen(worldSize_, -1);
    std::vector<Clock::time_point> moved(worldSize_, Clock::now());
    std::vector<bool> left(worldSize_, false);
    std::unique_lock<std::mutex> wait(stopMutex_);
    while (!stopping_) {
      std::string found;
      try {
        monitorStore_->add(prefix_ + "alive/" + std::to_string(rank_), 1);
        if (monitorStore_->check({prefix_ + "failed"})) {
          const std::string failure = Text(monitorStore_->get(prefix_ + "failed"));
          if (failure.rfind("rank " + std::to_string(rank_) + " ", 0) != 0) found = failure;
        }
        const auto now = Clock::now();
        for (int64_t r = 0; r < worldSize_ && found.empty(); ++r) {
          if (r == rank_ || left[r]) continue;
          if (monitorStore_->check({prefix_ + "left/" + std::to_string(r)})) {
            left[r] = true;
            continue;
          }
          const int64_t count = monitorStore_->add(prefix_ + "alive/" + std::to_string(r), 0);
          if (count != seen[r]) {
            seen[r] = count;
            moved[r] = now;
          } else if (now - moved[r] > timeout_) {
            found = "rank " + std::to_string(r) + " showed no sign of life for " + Seconds() +
                    " (it exited, was killed or stopped)";
          }
        }
        lastBeat_ = Clock::now();
      } catch (const std::exception& error) {
        found = "lost the store at " + Address() + " (rank 0 exited or failed): " + Describe(error);
      }
      if (!found.empty()) {
        std::lock_guard<std::mutex> lock(problemMutex_);
        if (problem_.empty()) problem_ = found;
      }
      stopped_.wait_for(wait, beat_, [this] { return stopping_; });
    }
  }

  void ThrowIfProblem(const std::string& what) const {
    const std::string problem = Problem();
    if (!problem.empty()) throw Error(codes::kDistributed, Who() + ": " + what + " failed: " + problem);
  }

  template <typename F>
  auto Guarded(const std::string& what, F body) -> decltype(body()) {
    std::lock_guard<std::mutex> lock(storeMutex_);
    if (!store_) throw Error(codes::kState, Who() + ": the task group is closed");
    try {
      return body();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& error) {
      throw Error(codes::kDistributed, Who() + ": " + what + " failed (the store at " + Address() +
                                           " is gone: rank 0 exited, failed, or did not answer within " + Seconds() +
                                           "): " + Describe(error));
    }
  }

  Options options_;
  std::string prefix_;
  std::chrono::milliseconds timeout_{300000}, beat_{1000};
  bool joined_ = false;
  c10::intrusive_ptr<c10d::TCPStore> store_;         // this rank's calls (rank 0: the server)
  c10::intrusive_ptr<c10d::TCPStore> monitorStore_;  // the monitor's own connection
  mutable std::mutex storeMutex_, problemMutex_;
  std::string problem_;
  std::atomic<Clock::time_point> lastBeat_{Clock::now()};
  std::mutex stopMutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::atomic<bool> closed_{false};
  std::thread monitor_;
};

}  // namespace

std::shared_ptr<TaskGroup> TaskGroup::Connect(const Options& options, const std::string& name) {
  CheckOptions(options);
  if (name.empty()) ThrowRangeError("distributed: a task group needs a name");
  return std::make_shared<StoreGroup>(options, name);
}

#else  // !CAMU_WITH_DISTRIBUTED

#ifndef CAMU_DISTRIBUTED_REASON
#define CAMU_DISTRIBUTED_REASON "built without distributed support"
#endif

std::shared_ptr<TaskGroup> TaskGroup::Connect(const Options& options, const std::string&) {
  CheckOptions(options);
  throw Error(codes::kUnsupported, std::string("distributed: not available in this build: ") + CAMU_DISTRIBUTED_REASON);
}

#endif

}  // namespace camu::distributed
