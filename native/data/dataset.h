// The native view of a JS Dataset (lib/datasets/dataset.ts) and of a JS Split (lib/splits.ts).
// Both JS classes hold native Tensor handles; these structs share the same storage (no copies).
// Entry points of other modules (trainer, CaMU engine, metrics) accept the JS objects and read
// them with DatasetFromValue / SplitFromValue.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "data/transforms.h"

namespace camu::data {

struct DatasetView {
  std::string name;
  at::Tensor images;  // uint8 (or float32 already in [0,1]) [N,C,H,W], CPU, contiguous
  at::Tensor labels;  // int64 [N], every value in [0, numClasses)
  int64_t numClasses = 0;
  Transform transform;  // how a batch of `images` becomes network input (transforms.h)

  int64_t size() const { return images.size(0); }
};

struct SplitView {
  at::Tensor forget;  // int64 [|D_f|]: train indices of the forget set, ascending
  at::Tensor retain;  // int64 [|D_r|]: every other train index, ascending
  at::Tensor sample;  // int64 [|D_f| * forgetRepeat]: D_s, drawn from D_r, in the order drawn
  int64_t forgetRepeat = 1;
  std::string datasetName;  // the train set it was made for
  int64_t trainSize = 0;
};

// Validates a Dataset object's fields (Tensor handles, dtypes, shapes, label range, transform)
// and returns a view on them. TypeError / RangeError naming `name`.
DatasetView DatasetFromValue(const Napi::Value& value, const std::string& name);

// Validates a Split object's fields (dtypes, sizes, index range) and returns a view on them.
SplitView SplitFromValue(const Napi::Value& value, const std::string& name);

// Checks that `split` was made for `train` (same name and size); RangeError naming both otherwise.
void CheckSplitMatches(const SplitView& split, const DatasetView& train, const std::string& name);

}  // namespace camu::data
