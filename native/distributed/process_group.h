// Data-parallel work across processes (or machines) on libtorch's c10d: a TCPStore rendezvous
// (rank 0 serves it) and a process group: Gloo (CPU copies of the buffers), or NCCL for CUDA models
// in builds whose libtorch has it. What data-parallel training needs and nothing more:
// one summed all-reduce of a step's weighted gradients, a broadcast of parameters from rank 0, and a
// check that ranks still hold the same weights and optimiser state. Every failure (no rendezvous, a
// peer that exited or did not answer within the timeout, ranks that disagree) is ERR_CAMU_DISTRIBUTED.
// Built only where libtorch has c10d and Gloo's headers were found (Available()).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace camu::distributed {

struct Options {
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;
  int64_t worldSize = 1;
  int64_t rank = 0;
  // How long the rendezvous and each collective wait for the other ranks.
  double timeoutSeconds = 300;
  // "auto" (NCCL for a CUDA model where this build has it, else Gloo), "gloo" or "nccl".
  std::string backend = "auto";
};

// RangeError unless the options can name a rendezvous (a rank within the world size, a port, ...).
void CheckOptions(const Options& options);

// Whether this build has c10d + Gloo; when not, UnavailableReason() says why.
bool Available();
std::string UnavailableReason();
// The backends this build has: "gloo", and "nccl" in CUDA builds whose libtorch has NCCL; when
// it has no NCCL, NcclUnavailableReason() says why.
std::vector<std::string> Backends();
std::string NcclUnavailableReason();

// Rows [begin, end) of a global batch of `batchRows` rows that rank `rank` of `worldSize` takes:
// contiguous, sizes differing by at most one (the first ranks take the extra rows).
std::pair<int64_t, int64_t> ShardRange(int64_t batchRows, int64_t rank, int64_t worldSize);

class ProcessGroup {
 public:
  // Joins the group (blocks until all worldSize ranks have joined, or the timeout). `device`: where
  // the model's tensors live, which "auto" picks the backend by; ERR_CAMU_UNSUPPORTED for "nccl"
  // in a build without it or for a model that is not on CUDA.
  static std::shared_ptr<ProcessGroup> Connect(const Options& options, at::Device device = at::kCPU);
  virtual ~ProcessGroup() = default;

  int64_t Rank() const { return rank_; }
  const std::string& Backend() const { return backend_; }
  int64_t WorldSize() const { return worldSize_; }
  double TimeoutSeconds() const { return timeoutSeconds_; }

  // Replaces every gradient of `parameters` with the sum over ranks of weight·gradient (weight: this
  // rank's share of the global batch, so that the sum is the gradient of the global-batch mean),
  // and returns the sum over ranks of weight·extra[i] (the step's loss terms). One collective: all
  // of it travels in one flat buffer. A parameter without a gradient contributes zeros; one that
  // no rank has a gradient for keeps none (Adam then skips it, as in one process).
  virtual std::vector<double> AllReduceGradients(const std::vector<at::Tensor>& parameters, double weight,
                                                 const std::vector<double>& extra) = 0;
  // Overwrites `tensors` with rank 0's values (in place, under no_grad).
  virtual void Broadcast(const std::vector<at::Tensor>& tensors) = 0;
  // Throws ERR_CAMU_DISTRIBUTED naming `what` unless every rank's `tensors` hash the same.
  virtual void CheckSame(const std::vector<at::Tensor>& tensors, const std::string& what) = 0;

 protected:
  int64_t rank_ = 0, worldSize_ = 1;
  double timeoutSeconds_ = 300;
  std::string backend_;
};

// A 64-bit hash of the tensors' bytes (FNV-1a over contiguous CPU copies), in order.
uint64_t HashTensors(const std::vector<at::Tensor>& tensors);

}  // namespace camu::distributed
