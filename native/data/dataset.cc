#include "data/dataset.h"

#include "core/errors.h"

namespace camu::data {

void CheckSplitMatches(const SplitView& split, const DatasetView& train, const std::string& name) {
  if (split.datasetName != train.name || split.trainSize != train.size()) {
    ThrowRangeError(name + " was made for '" + split.datasetName + "' (" + std::to_string(split.trainSize) +
                    " train samples), not for '" + train.name + "' (" + std::to_string(train.size()) + ")");
  }
}

}  // namespace camu::data
