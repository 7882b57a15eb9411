#include "distributed/task_group.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <stdexcept>
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

using Store = c10::intrusive_ptr<c10d::TCPStore>;

// A store call that did not answer in time.
struct NoAnswer : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs body(store) on a thread of its own and waits for it at most `limit`. A TCPStore call blocks
// for as long as rank 0's store does not answer (a stopped process keeps its sockets open), and a
// blocked read cannot be interrupted: after the limit the thread is left to itself. It holds its
// own reference to the store and its own copies of everything else, so nothing it uses goes away.
template <typename R>
R Within(std::chrono::milliseconds limit, const Store& store, std::function<R(c10d::TCPStore&)> body) {
  auto promise = std::make_shared<std::promise<R>>();
  std::future<R> future = promise->get_future();
  std::thread([promise, store, body = std::move(body)] {
    try {
      promise->set_value(body(*store));
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  }).detach();
  if (future.wait_for(limit) != std::future_status::ready) throw NoAnswer("no answer");
  return future.get();
}

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
    const std::string key = prefix_ + "queue/" + queue;
    return Call<int64_t>("taking the next item of " + queue, [key](c10d::TCPStore& store) { return store.add(key, 1) - 1; });
  }

  void Put(const std::string& key, const std::string& value) override {
    const std::string full = prefix_ + "key/" + key;
    Call<int>("publishing " + key, [full, bytes = Bytes(value)](c10d::TCPStore& store) {
      store.set(full, bytes);
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
      const bool ready = Call<bool>("waiting for " + Names(keys), [full](c10d::TCPStore& store) { return store.check(full); });
      if (ready) {
        return Call<std::vector<std::string>>("reading " + Names(keys), [full](c10d::TCPStore& store) {
          std::vector<std::string> values;
          for (const std::string& key : full) values.push_back(Text(store.get(key)));
          return values;
        });
      }
      ThrowIfProblem("waiting for " + Names(keys));
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
  }

  void Fail(const std::string& message) override {
    const std::string key = prefix_ + "failed", text = "rank " + std::to_string(rank_) + " failed: " + message;
    try {
      Call<int>("reporting this rank's failure", [key, text](c10d::TCPStore& store) {
        store.set(key, Bytes(text));
        return 0;
      });
    } catch (const std::exception&) {
      // The store is gone too: the other ranks notice that on their own.
    }
  }

  std::string Problem() const override {
    std::lock_guard<std::mutex> lock(problemMutex_);
    if (!problem_.empty()) return problem_;
    if (monitoring_ && Clock::now() - lastBeat_.load() > timeout_ + beat_) {
      return "the store at " + Address() + " did not answer within " + Seconds() + " (rank 0 stopped?)";
    }
    return "";
  }

  void Close() override {
    if (closed_.exchange(true)) return;
    const std::string mine = prefix_ + "left/" + std::to_string(rank_);
    try {
      Call<int>("leaving", [mine](c10d::TCPStore& store) {
        store.set(mine, Bytes("1"));
        return 0;
      });
    } catch (const std::exception&) {
    }
    if (rank_ == 0) {
      // Serve the store until every other rank has left, or until the monitor finds one gone.
      std::vector<std::string> left;
      for (int64_t r = 1; r < worldSize_; ++r) left.push_back(prefix_ + "left/" + std::to_string(r));
      while (Problem().empty()) {
        bool all = false;
        try {
          all = Call<bool>("waiting for the other ranks to leave", [left](c10d::TCPStore& store) { return store.check(left); });
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
    monitoring_ = false;
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

  Store Connect(bool server) const {
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
    const std::string joined = prefix_ + "joined";
    std::string last = "no answer";
    while (Clock::now() < deadline) {
      try {
        if (!store_) store_ = Connect(rank_ == 0);
        if (!joined_) {
          Within<int64_t>(timeout_, store_, [joined](c10d::TCPStore& store) { return store.add(joined, 1); });
          joined_ = true;
        }
        int64_t count = 0;
        while (Clock::now() < deadline) {
          count = Within<int64_t>(timeout_, store_, [joined](c10d::TCPStore& store) { return store.add(joined, 0); });
          if (count >= worldSize_) {
            monitorStore_ = Connect(false);
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        last = "only " + std::to_string(count) + " of " + std::to_string(worldSize_) + " ranks joined";
      } catch (const NoAnswer&) {
        last = "the store did not answer";
        break;
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

  // What one beat of the monitor reads: another rank's failure report, and each rank's counter
  // (-1 once it has left).
  struct Beat {
    std::string failure;
    std::vector<int64_t> counts;
  };

  // The monitor: this rank's beat, and the others' (their counters must move within the timeout
  // until they leave), and another rank's failure report. Each beat is one bounded call, so a
  // store that stops answering stops the beats and Problem() says so.
  void Monitor() {
    monitoring_ = true;
    std::vector<int64_t> seen(worldSize_, -2);
    std::vector<Clock::time_point> moved(worldSize_, Clock::now());
    std::vector<bool> left(worldSize_, false);
    const std::string prefix = prefix_;
    const int64_t rank = rank_, worldSize = worldSize_;
    std::unique_lock<std::mutex> wait(stopMutex_);
    while (!stopping_) {
      std::string found;
      try {
        Beat beat = Within<Beat>(timeout_, monitorStore_, [prefix, rank, worldSize, left](c10d::TCPStore& store) {
          Beat read;
          store.add(prefix + "alive/" + std::to_string(rank), 1);
          if (store.check({prefix + "failed"})) read.failure = Text(store.get(prefix + "failed"));
          read.counts.assign(worldSize, 0);
          for (int64_t r = 0; r < worldSize; ++r) {
            if (r == rank) continue;
            if (left[r] || store.check({prefix + "left/" + std::to_string(r)})) {
              read.counts[r] = -1;
            } else {
              read.counts[r] = store.add(prefix + "alive/" + std::to_string(r), 0);
            }
          }
          return read;
        });
        if (!beat.failure.empty() && beat.failure.rfind("rank " + std::to_string(rank_) + " ", 0) != 0) found = beat.failure;
        const auto now = Clock::now();
        for (int64_t r = 0; r < worldSize_ && found.empty(); ++r) {
          if (r == rank_ || left[r]) continue;
          if (beat.counts[r] < 0) {
            left[r] = true;
          } else if (beat.counts[r] != seen[r]) {
            seen[r] = beat.counts[r];
            moved[r] = now;
          } else if (now - moved[r] > timeout_) {
            found = "rank " + std::to_string(r) + " showed no sign of life for " + Seconds() +
                    " (it exited, was killed or stopped)";
          }
        }
        lastBeat_ = Clock::now();
      } catch (const NoAnswer&) {
        found = "the store at " + Address() + " did not answer within " + Seconds() + " (rank 0 stopped?)";
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

  // A call of this rank on its store, bounded by the timeout; every failure is ERR_CAMU_DISTRIBUTED.
  // After a call that got no answer the connection is out of step (a late answer would be read
  // by the next call), so the group is broken from then on.
  template <typename R>
  R Call(const std::string& what, std::function<R(c10d::TCPStore&)> body) {
    Store store;
    {
      std::lock_guard<std::mutex> lock(storeMutex_);
      if (!store_) throw Error(codes::kState, Who() + ": the task group is closed");
      if (broken_) throw Error(codes::kDistributed, Who() + ": " + what + " failed: " + Problem());
      store = store_;
    }
    try {
      return Within<R>(timeout_, store, std::move(body));
    } catch (const NoAnswer&) {
      const std::string problem = "the store at " + Address() + " did not answer within " + Seconds() + " (rank 0 stopped?)";
      {
        std::lock_guard<std::mutex> lock(problemMutex_);
        if (problem_.empty()) problem_ = problem;
      }
      broken_ = true;
      throw Error(codes::kDistributed, Who() + ": " + what + " failed: " + problem);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& error) {
      throw Error(codes::kDistributed, Who() + ": " + what + " failed (the store at " + Address() +
                                           " is gone: rank 0 exited or failed): " + Describe(error));
    }
  }

  Options options_;
  std::string prefix_;
  std::chrono::milliseconds timeout_{300000}, beat_{1000};
  bool joined_ = false;
  Store store_;         // this rank's calls (rank 0: the server)
  Store monitorStore_;  // the monitor's own connection
  mutable std::mutex storeMutex_, problemMutex_;
  std::string problem_;
  std::atomic<bool> broken_{false}, monitoring_{false};
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
