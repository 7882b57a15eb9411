// Forget / retain / sample sets as int64 index tensors into a train set, reproducible from a
// seeded generator (docs/algorithm.md §1, §4). All functions draw from `generator` in a
// fixed order: first the forget set (when random), then the sample set.
//
//   forget: ascending train indices of D_f
//   retain: ascending train indices of D_r = D \ D_f
//   sample: D_s, |D_f| * forgetRepeat indices drawn uniformly from D_r without replacement, in the
//           order drawn (the order is kept: it is the sample set's "loader order")
//
// forgetRepeat > 1 is the paper's CIFAR-100 class removal: D_f counts forgetRepeat times in the
// counterfactual pairing, so D_s is drawn to the repeated size; `forget` itself holds each index once.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace camu::data {

struct SplitIndices {
  at::Tensor forget;
  at::Tensor retain;
  at::Tensor sample;
};

// Where indices came from, for error messages: a JS argument (RangeError "<name>: ...") or a
// file (camu::Error kFormat "<name>: ..." where name is the file).
struct IndexSource {
  std::string name;
  bool file = false;
};

// Class removal, the general form: removes round(proportions[i] * n_c) samples of class
// classes[i] (all of them for proportion 1), chosen uniformly among that class. RangeError
// (messages start with `context`) for a class outside [0, numClasses), a listed class without
// samples, a repeated class, a proportion outside [0, 1], or a forget set that ends up empty.
SplitIndices ClassRemovalSplit(const at::Tensor& labels, int64_t numClasses, const std::vector<int64_t>& classes,
                               const std::vector<double>& proportions, int64_t forgetRepeat, at::Generator& generator,
                               const std::string& context);

// Random removal of `count` train samples, uniform without replacement (1 <= count < trainSize).
SplitIndices RandomRemovalSplit(int64_t trainSize, int64_t count, int64_t forgetRepeat, at::Generator& generator,
                                const std::string& context);

// An explicit forget set (int32 / int64 / integral float64 indices, any order), and optionally an
// explicit sample set (kept in its order); without one, D_s is drawn from `generator`. Rejects
// empty, non-integer, out-of-range and duplicate indices, a sample set that overlaps the forget
// set or has the wrong size, naming `forgetSource` / `sampleSource`.
SplitIndices IndexSplit(int64_t trainSize, const at::Tensor& forget, const std::optional<at::Tensor>& sample,
                        int64_t forgetRepeat, at::Generator& generator, const IndexSource& forgetSource,
                        const IndexSource& sampleSource);

}  // namespace camu::data
