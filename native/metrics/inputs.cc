#include "metrics/inputs.h"

#include <cmath>

#include "core/errors.h"

namespace camu::metrics {

namespace {

bool IsFloat(const at::Tensor& tensor) {
  return tensor.scalar_type() == at::kFloat || tensor.scalar_type() == at::kDouble;
}

bool IsIndex(const at::Tensor& tensor) {
  return tensor.scalar_type() == at::kLong || tensor.scalar_type() == at::kInt;
}

void CheckDefined(const at::Tensor& tensor, const std::string& name) {
  if (!tensor.defined()) ThrowTypeError(name + " must be a tensor, got an undefined tensor");
}

}  // namespace

std::string DescribeTensor(const at::Tensor& tensor) {
  if (!tensor.defined()) return "an undefined tensor";
  std::string dims;
  for (int64_t size : tensor.sizes()) dims += (dims.empty() ? "" : ", ") + std::to_string(size);
  return std::string(at::toString(tensor.scalar_type())) + " [" + dims + "]";
}

at::Tensor ProbabilityRows(const at::Tensor& probabilities, const std::string& name) {
  CheckDefined(probabilities, name);
  if (probabilities.dim() != 2 || !IsFloat(probabilities)) {
    ThrowTypeError(name + " must be a 2-D float32 or float64 tensor [rows, classes], got " +
                   DescribeTensor(probabilities));
  }
  if (probabilities.size(1) < 2) {
    ThrowRangeError(name + " must have at least 2 classes (columns), got " + DescribeTensor(probabilities));
  }
  at::Tensor rows = probabilities.to(at::kCPU, at::kDouble).contiguous();
  if (rows.size(0) == 0) return rows;
  if (!rows.isfinite().all().item<bool>()) ThrowRangeError(name + " holds NaN or infinite values");
  if (rows.lt(0).any().item<bool>()) {
    ThrowRangeError(name + " must hold probabilities (softmax outputs); it has negative values (logits?)");
  }
  at::Tensor sums = rows.sum(1);
  int64_t worst = (sums - 1.0).abs().argmax().item<int64_t>();
  double worstSum = sums[worst].item<double>();
  if (std::fabs(worstSum - 1.0) > 1e-3) {
    ThrowRangeError(name + " must hold probabilities (softmax outputs): row " + std::to_string(worst) +
                    " sums to " + std::to_string(worstSum) + " (logits?)");
  }
  return rows;
}

at::Tensor ClassIndices(const at::Tensor& indices, const std::string& name, int64_t rows, int64_t classes) {
  CheckDefined(indices, name);
  if (indices.dim() != 1 || !IsIndex(indices)) {
    ThrowTypeError(name + " must be a 1-D int64 or int32 tensor, got " + DescribeTensor(indices));
  }
  if (rows >= 0 && indices.size(0) != rows) {
    ThrowRangeError(name + " has " + std::to_string(indices.size(0)) + " rows but " + std::to_string(rows) +
                    " are expected (one per sample)");
  }
  at::Tensor values = indices.to(at::kCPU, at::kLong).contiguous();
  if (values.numel() == 0) return values;
  int64_t low = values.min().item<int64_t>();
  int64_t high = values.max().item<int64_t>();
  if (low < 0 || (classes > 0 && high >= classes)) {
    std::string range = classes > 0 ? "[0, " + std::to_string(classes) + ")" : "[0, inf)";
    ThrowRangeError(name + " must be class indices in " + range + ", got values from " + std::to_string(low) +
                    " to " + std::to_string(high));
  }
  return values;
}

at::Tensor SampleValues(const at::Tensor& values, const std::string& name) {
  CheckDefined(values, name);
  if (values.dim() != 1 || !IsFloat(values)) {
    ThrowTypeError(name + " must be a 1-D float32 or float64 tensor, got " + DescribeTensor(values));
  }
  at::Tensor result = values.to(at::kCPU, at::kDouble).contiguous();
  if (result.numel() > 0 && !result.isfinite().all().item<bool>()) {
    ThrowRangeError(name + " holds NaN or infinite values");
  }
  return result;
}

at::Tensor RowMask(const at::Tensor& mask, const std::string& name, int64_t rows) {
  CheckDefined(mask, name);
  if (mask.dim() != 1 || (mask.scalar_type() != at::kByte && mask.scalar_type() != at::kBool)) {
    ThrowTypeError(name + " must be a 1-D uint8 tensor (non-zero selects a row), got " + DescribeTensor(mask));
  }
  if (mask.size(0) != rows) {
    ThrowRangeError(name + " has " + std::to_string(mask.size(0)) + " rows but " + std::to_string(rows) +
                    " are expected (one per sample)");
  }
  return mask.to(at::kCPU).ne(0).contiguous();
}

void CheckMinRows(const at::Tensor& tensor, const std::string& name, int64_t minimum, const std::string& why) {
  if (tensor.size(0) < minimum) {
    ThrowRangeError(name + " has " + std::to_string(tensor.size(0)) + " rows; at least " + std::to_string(minimum) +
                    " are needed " + why);
  }
}

}  // namespace camu::metrics
