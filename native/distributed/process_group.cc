#include "distributed/process_group.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "core/errors.h"

#ifdef CAMU_WITH_DISTRIBUTED
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef CAMU_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace camu::distributed {

std::pair<int64_t, int64_t> ShardRange(int64_t batchRows, int64_t rank, int64_t worldSize) {
  const int64_t base = batchRows / worldSize, extra = batchRows % worldSize;
  const int64_t begin = rank * base + std::min(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

uint64_t HashTensors(const std::vector<at::Tensor>& tensors) {
  uint64_t hash = 1469598103934665603ULL;
  for (const at::Tensor& tensor : tensors) {
    if (!tensor.defined()) continue;
    at::Tensor bytes = tensor.detach().to(at::kCPU).contiguous();
    const auto* data = static_cast<const unsigned char*>(bytes.data_ptr());
    const size_t size = static_cast<size_t>(bytes.numel()) * bytes.element_size();
    for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 1099511628211ULL;
  }
  return hash;
}

void CheckOptions(const Options& options) {
  if (options.worldSize < 1) ThrowRangeError("distributed: worldSize must be at least 1, got " + std::to_string(options.worldSize));
  if (options.rank < 0 || options.rank >= options.worldSize) {
    ThrowRangeError("distributed: rank must be in [0, " + std::to_string(options.worldSize) + "), got " +
                    std::to_string(options.rank));
  }
  if (options.masterPort < 1 || options.masterPort > 65535) {
    ThrowRangeError("distributed: masterPort must be in [1, 65535], got " + std::to_string(options.masterPort));
  }
  if (!(options.timeoutSeconds > 0)) ThrowRangeError("distributed: timeoutSeconds must be positive");
  if (options.masterAddr.empty()) ThrowRangeError("distributed: masterAddr is empty");
  if (options.backend != "auto" && options.backend != "gloo" && options.backend != "nccl") {
    ThrowRangeError("distributed: backend must be one of auto, gloo, nccl, got '" + options.backend + "'");
  }
}

#ifdef CAMU_WITH_NCCL
std::string NcclUnavailableReason() { return ""; }
#else
#ifndef CAMU_NCCL_REASON
#define CAMU_NCCL_REASON "built without NCCL"
#endif
std::string NcclUnavailableReason() { return CAMU_NCCL_REASON; }
#endif

namespace {

// The backend `options.backend` names for a model on `device`.
std::string ResolveBackend(const Options& options, at::Device device) {
  const bool nccl = NcclUnavailableReason().empty();
  if (options.backend == "auto") return device.is_cuda() && nccl ? "nccl" : "gloo";
  if (options.backend == "nccl" && !nccl) {
    throw Error(codes::kUnsupported, "distributed: backend 'nccl' is not in this build: " + NcclUnavailableReason());
  }
  if (options.backend == "nccl" && !device.is_cuda()) {
    throw Error(codes::kUnsupported, "distributed: backend 'nccl' needs a model on CUDA; this one is on " + device.str());
  }
  return options.backend;
}

}  // namespace

#ifdef CAMU_WITH_DISTRIBUTED

bool Available() { return true; }
std::string UnavailableReason() { return ""; }
std::vector<std::string> Backends() {
  std::vector<std::string> names{"gloo"};
  if (NcclUnavailableReason().empty()) names.push_back("nccl");
  return names;
}

namespace {

std::string Describe(const std::exception& error) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&error)) return c10->what_without_backtrace();
  return error.what();
}

// One c10d group of type Group (ProcessGroupGloo or ProcessGroupNCCL) behind the TCPStore
// rendezvous. Gloo's collectives run on CPU copies of the buffers (also for CUDA models); NCCL's
// run where the tensors are (`onDevice`).
template <typename Group>
class C10dGroup : public ProcessGroup {
 public:
  using MakeGroup = std::function<c10::intrusive_ptr<Group>(const c10::intrusive_ptr<c10d::Store>&, std::chrono::milliseconds)>;

  C10dGroup(const Options& options, const std::string& backend, bool onDevice, const MakeGroup& make) : onDevice_(onDevice) {
    rank_ = options.rank;
    worldSize_ = options.worldSize;
    timeoutSeconds_ = options.timeoutSeconds;
    backend_ = backend;
    timeout_ = std::chrono::milliseconds(static_cast<int64_t>(options.timeoutSeconds * 1000));
    try {
      c10d::TCPStoreOptions storeOptions;
      storeOptions.port = static_cast<uint16_t>(options.masterPort);
      storeOptions.isServer = options.rank == 0;
      storeOptions.numWorkers = static_cast<size_t>(options.worldSize);
      storeOptions.waitWorkers = false;  // the group's own rendezvous waits for everyone
      storeOptions.timeout = timeout_;
      store_ = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, storeOptions);
      group_ = make(store_, timeout_);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& error) {
      throw Error(codes::kDistributed, "distributed: rank " + std::to_string(options.rank) + " of " +
                                           std::to_string(options.worldSize) + " could not join the " + backend +
                                           " group at " + options.masterAddr + ":" + std::to_string(options.masterPort) +
                                           " within " + Seconds() + ": " + Describe(error));
    }
  }

  std::vector<double> AllReduceGradients(const std::vector<at::Tensor>& parameters, double weight,
                                         const std::vector<double>& extra) override {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> pieces;
    pieces.reserve(parameters.size() + 1);
    // After the sums, one flag per parameter: how many ranks had a gradient for it. A parameter
    // that no rank's loss reached keeps no gradient, as in one process (Adam then skips it).
    std::vector<float> tail(extra.begin(), extra.end());
    for (const at::Tensor& parameter : parameters) {
      const at::Tensor& grad = parameter.grad();
      pieces.push_back(grad.defined() ? grad.detach().reshape(-1).to(at::kFloat)
                                      : at::zeros({parameter.numel()}, parameter.options().dtype(at::kFloat)));
      tail.push_back(grad.defined() ? 1.0f : 0.0f);
    }
    const at::Device device = parameters.empty() ? at::Device(at::kCPU) : parameters.front().device();
    at::Tensor flat = at::cat(pieces).mul_(weight);
    at::Tensor flags = at::tensor(tail, at::kFloat).to(device);
    // The extra values are weighted like the gradients; the flags are not.
    flags.narrow(0, 0, static_cast<int64_t>(extra.size())).mul_(weight);
    flat = at::cat({flat, flags}).to(BufferDevice(device));
    std::vector<at::Tensor> buffers{flat};
    Run("all-reduce of the step's gradients", [&] { return group_->allreduce(buffers); });
    int64_t offset = 0;
    const int64_t tailStart = flat.numel() - static_cast<int64_t>(tail.size());
    const at::Tensor reducedTail = flat.narrow(0, tailStart, static_cast<int64_t>(tail.size())).to(at::kCPU);
    const float* reduced = reducedTail.data_ptr<float>();
    for (size_t i = 0; i < parameters.size(); ++i) {
      const at::Tensor& parameter = parameters[i];
      at::Tensor& grad = const_cast<at::Tensor&>(parameter).mutable_grad();
      at::Tensor summed = flat.narrow(0, offset, parameter.numel()).view(parameter.sizes());
      offset += parameter.numel();
      if (reduced[extra.size() + i] == 0.0f) continue;  // no rank had a gradient: none here either
      if (grad.defined()) {
        grad.copy_(summed);
      } else {
        grad = summed.to(parameter.device(), parameter.scalar_type()).clone();
      }
    }
    std::vector<double> sums;
    for (size_t i = 0; i < extra.size(); ++i) sums.push_back(reduced[i]);
    return sums;
  }

  void Broadcast(const std::vector<at::Tensor>& tensors) override {
    at::NoGradGuard noGrad;
    if (tensors.empty()) return;
    std::vector<at::Tensor> pieces;
    const at::Device device = BufferDevice(tensors.front().device());
    for (const at::Tensor& tensor : tensors) pieces.push_back(tensor.detach().reshape(-1).to(device, at::kFloat));
    std::vector<at::Tensor> buffers{at::cat(pieces)};
    Run("broadcast of rank 0's parameters", [&] { return group_->broadcast(buffers); });
    int64_t offset = 0;
    for (const at::Tensor& tensor : tensors) {
      const_cast<at::Tensor&>(tensor).copy_(buffers[0].narrow(0, offset, tensor.numel()).view(tensor.sizes()));
      offset += tensor.numel();
    }
  }

  void CheckSame(const std::vector<at::Tensor>& tensors, const std::string& what) override {
    // 62 bits, so that the negation below cannot overflow: max(h) and max(-h) = -min(h) in one call.
    const int64_t hash = static_cast<int64_t>(HashTensors(tensors) >> 2);
    const at::Device device = BufferDevice(tensors.empty() ? at::Device(at::kCPU) : tensors.front().device());
    std::vector<at::Tensor> buffers{at::tensor(std::vector<int64_t>{hash, -hash}, at::kLong).to(device)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    Run("hash check of " + what, [&] { return group_->allreduce(buffers, options); });
    const at::Tensor reduced = buffers[0].to(at::kCPU);
    const int64_t high = reduced[0].item<int64_t>(), low = -reduced[1].item<int64_t>();
    if (high != low) {
      throw Error(codes::kDistributed, "distributed: the ranks' " + what + " differ (rank " + std::to_string(rank_) +
                                           " of " + std::to_string(worldSize_) +
                                           "): ranks must run the same command on the same data and seed");
    }
  }

 private:
  std::string Seconds() const { return std::to_string(static_cast<int64_t>(timeoutSeconds_)) + " s"; }
  at::Device BufferDevice(at::Device device) const { return onDevice_ ? device : at::Device(at::kCPU); }

  template <typename Start>
  void Run(const std::string& what, Start start) {
    try {
      c10::intrusive_ptr<c10d::Work> work = start();
      work->wait(timeout_);
    } catch (const std::exception& error) {
      throw Error(codes::kDistributed, "distributed: rank " + std::to_string(rank_) + " of " +
                                           std::to_string(worldSize_) + ": " + what +
                                           " failed (another rank exited, failed, or did not answer within " +
                                           Seconds() + "): " + Describe(error));
    }
  }

  const bool onDevice_;
  std::chrono::milliseconds timeout_{300000};
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Group> group_;
};

// Multi-machine ranks must bind Gloo to an address the others can reach: GLOO_SOCKET_IFNAME names
// the interface (as in PyTorch); a loopback master means one machine.
std::shared_ptr<::gloo::transport::Device> GlooDevice(const std::string& masterAddr) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (masterAddr == "127.0.0.1" || masterAddr == "localhost" || masterAddr == "::1") {
    return c10d::ProcessGroupGloo::createDeviceForHostname(masterAddr);
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

std::shared_ptr<ProcessGroup> ProcessGroup::Connect(const Options& options, at::Device device) {
  CheckOptions(options);
  const std::string backend = ResolveBackend(options, device);
  const int rank = static_cast<int>(options.rank), size = static_cast<int>(options.worldSize);
#ifdef CAMU_WITH_NCCL
  if (backend == "nccl") {
    // NCCL runs on the current CUDA device: the model's (one GPU per rank; docs/distributed.md).
    c10::cuda::set_device(device.has_index() ? device.index() : c10::cuda::current_device());
    return std::make_shared<C10dGroup<c10d::ProcessGroupNCCL>>(
        options, backend, /*onDevice=*/true, [&](const c10::intrusive_ptr<c10d::Store>& store, std::chrono::milliseconds timeout) {
          auto groupOptions = c10d::ProcessGroupNCCL::Options::create();
          groupOptions->timeout = timeout;
          return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, groupOptions);
        });
  }
#endif
  return std::make_shared<C10dGroup<c10d::ProcessGroupGloo>>(
      options, backend, /*onDevice=*/false, [&](const c10::intrusive_ptr<c10d::Store>& store, std::chrono::milliseconds timeout) {
        auto groupOptions = c10d::ProcessGroupGloo::Options::create();
        groupOptions->timeout = timeout;
        groupOptions->devices.push_back(GlooDevice(options.masterAddr));
        return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, groupOptions);
      });
}

#else  // !CAMU_WITH_DISTRIBUTED

#ifndef CAMU_DISTRIBUTED_REASON
#define CAMU_DISTRIBUTED_REASON "built without distributed support"
#endif

bool Available() { return false; }
std::string UnavailableReason() { return CAMU_DISTRIBUTED_REASON; }
std::vector<std::string> Backends() { return {}; }

std::shared_ptr<ProcessGroup> ProcessGroup::Connect(const Options& options, at::Device device) {
  CheckOptions(options);
  ResolveBackend(options, device);
  throw Error(codes::kUnsupported, std::string("distributed: not available in this build: ") + CAMU_DISTRIBUTED_REASON);
}

#endif

}  // namespace camu::distributed
