#include "unlearn/probe.h"

#include <algorithm>

#include "train/evaluate.h"

namespace camu::unlearn {

Probe::Probe(const data::DatasetView& train, const at::Tensor& indices, int64_t size) : train_(train) {
  const int64_t available = indices.numel();
  const int64_t count = std::min(size, available);
  at::Tensor positions = at::floor_divide(at::arange(count, at::kLong) * available, std::max<int64_t>(count, 1));
  indices_ = indices.index_select(0, positions);
}

double Probe::Accuracy(models::Model& model, const JobContext& context) const {
  train::EvaluateOptions options;
  const train::EvaluateResult result = train::Evaluate(model, {train_, indices_}, options, context.Unreported());
  return 100.0 * static_cast<double>(result.correct) / static_cast<double>(result.count);
}

}  // namespace camu::unlearn
