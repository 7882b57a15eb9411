#include "metrics/accuracy.h"

#include "core/errors.h"
#include "metrics/inputs.h"

namespace camu::metrics {

std::optional<double> AccuracyCount::Percent() const {
  if (count == 0) return std::nullopt;
  return 100.0 * static_cast<double>(correct) / static_cast<double>(count);
}

AccuracyResult Accuracy(const AccuracyInput& input) {
  const at::Tensor& predictions = input.predictions;
  if (!predictions.defined()) ThrowTypeError("acc: predictions must be a tensor");
  int64_t classes = input.numClasses;
  at::Tensor predicted;
  if (predictions.dim() == 2 && at::isFloatingType(predictions.scalar_type())) {
    if (predictions.scalar_type() != at::kFloat && predictions.scalar_type() != at::kDouble) {
      ThrowTypeError("acc: predictions must be float32 or float64 when 2-D, got " + DescribeTensor(predictions));
    }
    if (classes > 0 && predictions.size(1) != classes) {
      ThrowRangeError("acc: predictions has " + std::to_string(predictions.size(1)) + " columns but numClasses is " +
                      std::to_string(classes));
    }
    if (predictions.size(1) == 0) ThrowRangeError("acc: predictions has no columns (classes)");
    classes = predictions.size(1);
    at::Tensor scores = predictions.to(at::kCPU);
    if (scores.numel() > 0 && !scores.isfinite().all().item<bool>()) {
      ThrowRangeError("acc: predictions holds NaN or infinite values");
    }
    // argmax picks the first of tied maxima.
    predicted = scores.argmax(1).contiguous();
  } else if (predictions.dim() == 1) {
    predicted = ClassIndices(predictions, "acc: predictions", -1, classes);
  } else {
    ThrowTypeError("acc: predictions must be class indices (int64/int32 [rows]) or scores (float [rows, classes]), got " +
                   DescribeTensor(predictions));
  }
  const int64_t rows = predicted.size(0);
  at::Tensor labels = ClassIndices(input.labels, "acc: labels", rows, classes);
  at::Tensor mask = input.mask.defined() ? RowMask(input.mask, "acc: mask", rows) : at::Tensor();

  std::vector<bool> forgotten;  // indexed by class
  if (input.forgottenClasses) {
    for (int64_t c : *input.forgottenClasses) {
      if (c < 0 || (classes > 0 && c >= classes)) {
        ThrowRangeError("acc: forgottenClasses holds " + std::to_string(c) + ", not a class index in [0, " +
                        (classes > 0 ? std::to_string(classes) : std::string("inf")) + ")");
      }
      if (static_cast<size_t>(c) >= forgotten.size()) forgotten.resize(c + 1, false);
      forgotten[c] = true;
    }
  }

  AccuracyResult result;
  AccuracyCount remaining, removed;
  const int64_t* p = predicted.data_ptr<int64_t>();
  const int64_t* y = labels.data_ptr<int64_t>();
  const bool* selected = mask.defined() ? mask.data_ptr<bool>() : nullptr;
  for (int64_t i = 0; i < rows; ++i) {
    if (selected && !selected[i]) continue;
    bool correct = p[i] == y[i];
    result.all.count += 1;
    result.all.correct += correct;
    bool isForgotten = static_cast<size_t>(y[i]) < forgotten.size() && forgotten[y[i]];
    AccuracyCount& part = isForgotten ? removed : remaining;
    part.count += 1;
    part.correct += correct;
  }
  if (input.forgottenClasses) {
    result.remainingClasses = remaining;
    result.forgottenClasses = removed;
  }
  return result;
}

}  // namespace camu::metrics
