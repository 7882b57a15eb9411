// A labelled image set and a removal split, as the core's operations read them. From Node they are
// views on the tensors of a JS Dataset (lib/datasets/dataset.ts) and a JS Split (lib/splits.ts),
// sharing their storage (node/dataset_args.h reads them); C++ callers fill them directly.
#pragma once
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

// Checks that the index sets of `split` partition [0, trainSize): every index in range, forget and
// retain disjoint and together complete, no duplicates, and every sample index from the retain set
// (D_s is drawn from D_r). RangeError naming `name` and what is wrong otherwise. A split made by
// camu always passes; this is for one built or edited by hand and handed over from a host.
void CheckSplitIndices(const SplitView& split, const std::string& name);

// Checks that `split` was made for `train` (same name and size; RangeError naming both otherwise)
// and its indices (CheckSplitIndices).
void CheckSplitMatches(const SplitView& split, const DatasetView& train, const std::string& name);

}  // namespace camu::data
