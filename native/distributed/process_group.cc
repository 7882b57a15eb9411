#include "distributed/process_group.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "core/errors.h"

#ifdef CAMU_WITH_DISTRIBUTED
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
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
}

#ifdef CAMU_WITH_DISTRIBUTED

bool Available() { return true; }
std::string UnavailableReason() { return ""; }
std::vector<std::string> Backends() { return {"gloo"}; }

namespace {

std::string Describe(const std::exception& error) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&error)) return c10->what_without_backtrace();
  return error.what();
}

class GlooGroup : public ProcessGroup {
 public:
  explicit GlooGroup(const Options& options) {
    rank_ = options.rank;
    worldSize_ = options.worldSize;
    timeoutSeconds_ = options.timeoutSeconds;
    timeout_ = std::chrono::milliseconds(static_cast<int64_t>(options.timeoutSeconds * 1000));
    try {
      c10d::TCPStoreOptions storeOptions;
      storeOptions.port = static_cast<uint16_t>(options.masterPort);
      storeOptions.isServer = options.rank == 0;
      storeOptions.numWorkers = static_cast<size_t>(options.worldSize);
      storeOptions.waitWorkers = false;  // the group's own rendezvous waits for everyone
      storeOptions.timeout = timeout_;
      store_ = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, storeOptions);
      auto groupOptions = c10d::ProcessGroupGloo::Options::create();
      groupOptions->timeout = timeout_;
      groupOptions->devices.push_back(Device(options.masterAddr));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, static_cast<int>(options.rank),
                                                            static_cast<int>(options.worldSize), groupOptions);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& error) {
      throw Error(codes::kDistributed, "distributed: rank " + std::to_string(options.rank) + " of " +
                                           std::to_string(options.worldSize) + " could not join the group at " +
                                           options.masterAddr + ":" + std::to_string(options.masterPort) +
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
    flat = at::cat({flat, flags}).to(at::kCPU);
    std::vector<at::Tensor> buffers{flat};
    Run("all-reduce of the step's gradients", [&] { return group_->allreduce(buffers); });
    int64_t offset = 0;
    const int64_t tailStart = flat.numel() - static_cast<int64_t>(tail.size());
    const float* reduced = flat.data_ptr<float>() + tailStart;
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
    for (const at::Tensor& tensor : tensors) pieces.push_back(tensor.detach().reshape(-1).to(at::kCPU, at::kFloat));
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
    std::vector<at::Tensor> buffers{at::tensor(std::vector<int64_t>{hash, -hash}, at::kLong)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    Run("hash check of " + what, [&] { return group_->allreduce(buffers, options); });
    const int64_t high = buffers[0][0].item<int64_t>(), low = -buffers[0][1].item<int64_t>();
    if (high != low) {
      throw Error(codes::kDistributed, "distributed: the ranks' " + what + " differ (rank " + std::to_string(rank_) +
                                           " of " + std::to_string(worldSize_) +
                                           "): ranks must run the same command on the same data and seed");
    }
  }

 private:
  std::string Seconds() const { return std::to_string(static_cast<int64_t>(timeoutSeconds_)) + " s"; }

  // Multi-machine ranks must bind Gloo to an address the others can reach: GLOO_SOCKET_IFNAME
  // names the interface (as in PyTorch); a loopback master means one machine.
  static std::shared_ptr<::gloo::transport::Device> Device(const std::string& masterAddr) {
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != '\0') {
      return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    }
    if (masterAddr == "127.0.0.1" || masterAddr == "localhost" || masterAddr == "::1") {
      return c10d::ProcessGroupGloo::createDeviceForHostname(masterAddr);
    }
    return c10d::ProcessGroupGloo::createDefaultDevice();
  }

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

  std::chrono::milliseconds timeout_{300000};
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

std::shared_ptr<ProcessGroup> ProcessGroup::Connect(const Options& options) {
  CheckOptions(options);
  return std::make_shared<GlooGroup>(options);
}

#else  // !CAMU_WITH_DISTRIBUTED

#ifndef CAMU_DISTRIBUTED_REASON
#define CAMU_DISTRIBUTED_REASON "built without distributed support"
#endif

bool Available() { return false; }
std::string UnavailableReason() { return CAMU_DISTRIBUTED_REASON; }
std::vector<std::string> Backends() { return {}; }

std::shared_ptr<ProcessGroup> ProcessGroup::Connect(const Options& options) {
  CheckOptions(options);
  throw Error(codes::kUnsupported, std::string("distributed: not available in this build: ") + CAMU_DISTRIBUTED_REASON);
}

#endif

}  // namespace camu::distributed
