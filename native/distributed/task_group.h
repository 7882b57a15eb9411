// Task parallelism across processes (or machines) over a c10d TCPStore that rank 0 serves: ranks
// take items of a deterministic work list from shared counters (an atomic add: each index goes to
// exactly one rank), publish what they made under keys, and wait for each other's keys. Used for
// independent work (reproduce's units, an audit's reference models), where no collective is needed.
//
// Liveness: a monitor thread of each rank beats a counter in the store and watches the others'.
// A rank whose counter has not moved for the timeout (it exited, was killed or stopped), a rank
// that reported a failure (Fail), or a store that is gone (rank 0 exited) makes every wait of the
// other ranks fail with ERR_CAMU_DISTRIBUTED naming the rank; Problem() says so at once, so a host
// can abort long work without waiting for its next call here.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/job_context.h"
#include "distributed/process_group.h"

namespace camu::distributed {

class TaskGroup {
 public:
  // Joins the group `name` (blocks until all worldSize ranks have joined, or the timeout). Every
  // rank passes the same name; the keys below live under it.
  static std::shared_ptr<TaskGroup> Connect(const Options& options, const std::string& name);
  virtual ~TaskGroup() = default;

  int64_t Rank() const { return rank_; }
  int64_t WorldSize() const { return worldSize_; }
  double TimeoutSeconds() const { return timeoutSeconds_; }

  // The next index of the shared counter `queue` (0, 1, 2, ... over all ranks together: each index
  // is taken by one rank only). Throws ERR_CAMU_DISTRIBUTED when another rank failed.
  virtual int64_t Take(const std::string& queue) = 0;
  // Publishes `value` under `key` (visible to every rank).
  virtual void Put(const std::string& key, const std::string& value) = 0;
  // The values of `keys`, once every one is published. Throws ERR_CAMU_DISTRIBUTED when another
  // rank fails or stops answering first, ERR_CAMU_ABORTED when `context` is aborted.
  virtual std::vector<std::string> Get(const std::vector<std::string>& keys, const JobContext& context) = 0;
  // Tells the other ranks that this one failed (their waits then fail at once with `message`).
  virtual void Fail(const std::string& message) = 0;
  // Why the group cannot go on ("" while it can): another rank failed, stopped answering, or the store is gone.
  virtual std::string Problem() const = 0;
  // Leaves the group: this rank's silence is no longer a failure. Rank 0 (which serves the store)
  // waits until every rank has left or stopped answering, so that nobody loses the store mid-read.
  virtual void Close() = 0;

 protected:
  int64_t rank_ = 0, worldSize_ = 1;
  double timeoutSeconds_ = 300;
};

}  // namespace camu::distributed
