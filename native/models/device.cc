#include "models/device.h"

#include <torch/cuda.h>

#include <regex>

#include "core/errors.h"

namespace camu::models {

at::Device ParseDevice(const std::string& text, const std::string& name) {
  static const std::regex pattern("cpu|cuda(:[0-9]{1,3})?");
  if (!std::regex_match(text, pattern)) {
    ThrowRangeError(name + " must be 'cpu', 'cuda' or 'cuda:N', got '" + text + "'");
  }
  at::Device device(text);
  if (device.is_cuda()) {
    int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (count == 0) {
      throw Error(codes::kUnsupported, name + " is '" + text + "' but no CUDA device is available to this build of camu");
    }
    if (device.has_index() && device.index() >= count) {
      throw Error(codes::kUnsupported, name + " is '" + text + "' but only " + std::to_string(count) +
                                           " CUDA device(s) are available");
    }
  }
  return device;
}

}  // namespace camu::models
