#include "data/dataset.h"

#include <vector>

#include "core/errors.h"

namespace camu::data {

void CheckSplitIndices(const SplitView& split, const std::string& name) {
  const int64_t size = split.trainSize;
  if (split.forget.numel() + split.retain.numel() != size) {
    ThrowRangeError(name + " is inconsistent: |D_f| + |D_r| = " + std::to_string(split.forget.numel() + split.retain.numel()) +
                    ", not its train size " + std::to_string(size));
  }
  // 1 = forget, 2 = retain, per train index.
  std::vector<uint8_t> owner(static_cast<size_t>(size), 0);
  auto mark = [&](const at::Tensor& indices, uint8_t set, const char* label) {
    const at::Tensor flat = indices.to(at::kLong).contiguous();
    const int64_t* data = flat.data_ptr<int64_t>();
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const int64_t index = data[i];
      if (index < 0 || index >= size) {
        ThrowRangeError(name + " has " + label + " index " + std::to_string(index) + " outside [0, " + std::to_string(size) + ")");
      }
      uint8_t& slot = owner[static_cast<size_t>(index)];
      if (slot == set) ThrowRangeError(name + " lists " + label + " index " + std::to_string(index) + " twice");
      if (slot != 0) ThrowRangeError(name + ": index " + std::to_string(index) + " is in both the forget and the retain set");
      slot = set;
    }
  };
  mark(split.forget, 1, "forget");
  mark(split.retain, 2, "retain");
  const at::Tensor sample = split.sample.to(at::kLong).contiguous();
  const int64_t* data = sample.data_ptr<int64_t>();
  for (int64_t i = 0; i < sample.numel(); ++i) {
    const int64_t index = data[i];
    if (index < 0 || index >= size || owner[static_cast<size_t>(index)] != 2) {
      ThrowRangeError(name + " has sample index " + std::to_string(index) + ", which is not in the retain set (D_s is drawn from D_r)");
    }
  }
}

void CheckSplitMatches(const SplitView& split, const DatasetView& train, const std::string& name) {
  if (split.datasetName != train.name || split.trainSize != train.size()) {
    ThrowRangeError(name + " was made for '" + split.datasetName + "' (" + std::to_string(split.trainSize) +
                    " train samples), not for '" + train.name + "' (" + std::to_string(train.size()) + ")");
  }
  CheckSplitIndices(split, name);
}

}  // namespace camu::data
