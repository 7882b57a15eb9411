#include "data/transforms.h"

#include "bridge/errors.h"

namespace camu::data {

at::Tensor ToNetworkInput(const at::Tensor& batch, const InputSpec& spec) {
  at::Tensor input;
  if (batch.scalar_type() == at::kByte) {
    input = batch.to(at::kFloat).div_(255.0);
  } else if (batch.scalar_type() == at::kFloat) {
    input = batch;
  } else {
    ThrowTypeError(std::string("images must be uint8 or float32, got ") + at::toString(batch.scalar_type()));
  }
  if (spec.mean.empty()) return input;
  if (batch.dim() != 4 || static_cast<int64_t>(spec.mean.size()) != batch.size(1) ||
      spec.std.size() != spec.mean.size()) {
    ThrowRangeError("normalisation needs one mean and one std per channel of an N×C×H×W batch");
  }
  auto options = at::TensorOptions().dtype(at::kFloat).device(input.device());
  at::Tensor mean = at::tensor(std::vector<float>(spec.mean.begin(), spec.mean.end()), options).view({1, -1, 1, 1});
  at::Tensor std = at::tensor(std::vector<float>(spec.std.begin(), spec.std.end()), options).view({1, -1, 1, 1});
  return (input - mean) / std;
}

}  // namespace camu::data
