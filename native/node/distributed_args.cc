#include "node/distributed_args.h"

#include "core/errors.h"
#include "node/args.h"

namespace camu {

distributed::Options ParseDistributedOptions(const Napi::Value& value, const std::string& name, int64_t* checkEvery) {
  Options group(value, name);
  distributed::Options parsed;
  parsed.masterAddr = group.String("masterAddr", parsed.masterAddr);
  parsed.masterPort = group.Integer("masterPort", parsed.masterPort, 1, 65535);
  parsed.worldSize = group.Integer("worldSize", 1, 1, 1 << 20);
  parsed.rank = group.Integer("rank", 0, 0, parsed.worldSize - 1);
  const double timeout = group.Number("timeoutSeconds", parsed.timeoutSeconds);
  if (!(timeout > 0)) ThrowRangeError(group.Name("timeoutSeconds") + " must be positive, got " + std::to_string(timeout));
  parsed.timeoutSeconds = timeout;
  parsed.backend = group.String("backend", parsed.backend);
  distributed::CheckOptions(parsed);
  if (parsed.backend == "nccl" && !distributed::NcclUnavailableReason().empty()) {
    throw Error(codes::kUnsupported, group.Name("backend") + " 'nccl' is not in this build: " + distributed::NcclUnavailableReason());
  }
  const int64_t every = group.Integer("checkEvery", 0, 0, int64_t{1} << 40);
  if (checkEvery != nullptr) *checkEvery = every;
  if (!distributed::Available()) {
    throw Error(codes::kUnsupported, name + ": distributed work is not available in this build: " + distributed::UnavailableReason());
  }
  return parsed;
}

}  // namespace camu
