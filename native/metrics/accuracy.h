// Top-1 accuracy of predictions against labels, over the rows a mask selects, and split into the
// remaining classes and the forgotten classes (docs/algorithm.md §6: acc(T) restricted to each).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace camu::metrics {

struct AccuracyCount {
  int64_t correct = 0;
  int64_t count = 0;
  // 100 * correct / count; empty when no row was counted.
  std::optional<double> Percent() const;
};

struct AccuracyInput {
  at::Tensor predictions;  // float [rows, classes] (argmax taken: probabilities or logits) or int64/int32 [rows]
  at::Tensor labels;       // int64/int32 [rows]
  at::Tensor mask;         // optional (undefined: every row): uint8/bool [rows]
  std::optional<std::vector<int64_t>> forgottenClasses;  // splits the count by the row's label
  int64_t numClasses = 0;  // 0: the predictions' columns when 2-D, else unchecked above
};

struct AccuracyResult {
  AccuracyCount all;
  std::optional<AccuracyCount> remainingClasses;  // labels not in forgottenClasses
  std::optional<AccuracyCount> forgottenClasses;  // labels in forgottenClasses
};

// Arguments are named "acc: <field>" in errors.
AccuracyResult Accuracy(const AccuracyInput& input);

}  // namespace camu::metrics
