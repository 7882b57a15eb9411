#include "data/counterfactual.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <mutex>

#include "core/errors.h"
#include "data/sampler.h"

namespace camu::data {

namespace {

// U[0,1) noise, 24 random bits per float as torch.rand: element `index` of the set's noise is a
// hash of (seed, index) (SplitMix64's finaliser). Any element is computable on its own, so x~
// can be made per batch, in parallel, the same for any batching and thread count.
inline float UniformNoise(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
}

uint64_t DrawSeed(at::Generator& generator) {
  auto* impl = at::check_generator<at::CPUGeneratorImpl>(generator);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return impl->random64();
}

}  // namespace

CounterfactualSet BuildCounterfactualSet(const DatasetView& train, const SplitView& split,
                                         const CounterfactualOptions& options, at::Generator& generator,
                                         const JobContext& context) {
  if (split.trainSize != train.size()) {
    ThrowRangeError("the split was made for a train set of " + std::to_string(split.trainSize) + " samples, not " +
                    std::to_string(train.size()));
  }
  if (options.relabel && train.numClasses < 2) {
    ThrowRangeError("the counterfactual label re-draw needs at least 2 classes, " + train.name + " has " +
                    std::to_string(train.numClasses));
  }
  const auto indexOptions = at::TensorOptions().dtype(at::kLong);
  at::Tensor forgetAll = split.forget.repeat({split.forgetRepeat});
  const int64_t n = forgetAll.size(0);
  if (split.sample.size(0) != n) {
    ThrowRangeError("the sample set has " + std::to_string(split.sample.size(0)) + " indices for " +
                    std::to_string(n) + " forget entries");
  }

  CounterfactualSet set;
  set.forgetOrder = forgetAll.index_select(0, at::randperm(n, generator, indexOptions));
  set.sampleOrder = split.sample.index_select(0, at::randperm(n, generator, indexOptions));

  at::Tensor forgetLabels = train.labels.index_select(0, set.forgetOrder);
  at::Tensor sampleLabels = train.labels.index_select(0, set.sampleOrder);
  // A uniform draw from the C-1 classes other than y_f: draw from [0, C-1), skip over y_f.
  at::Tensor candidates = at::randint(std::max<int64_t>(train.numClasses - 1, 1), {n}, generator, indexOptions);
  at::Tensor redrawn = candidates + candidates.ge(forgetLabels).to(at::kLong);
  set.labels = options.relabel ? at::where(sampleLabels.eq(forgetLabels), redrawn, sampleLabels) : sampleLabels;
  set.noiseSeed = DrawSeed(generator);  // drawn with or without noise: ablations see the same stream
  set.noise = options.noise;
  context.Report({"counterfactual", n, n, {}});
  return set;
}

at::Tensor CounterfactualInputs(const DatasetView& train, const CounterfactualSet& set, const at::Tensor& positions) {
  const int64_t n = set.sampleOrder.size(0);
  if (positions.dim() != 1 || positions.scalar_type() != at::kLong) {
    ThrowTypeError("counterfactual positions must be a 1-D int64 tensor");
  }
  if (positions.numel() > 0 && (positions.min().item<int64_t>() < 0 || positions.max().item<int64_t>() >= n)) {
    ThrowRangeError("counterfactual positions must lie in [0, " + std::to_string(n) + ")");
  }
  at::Tensor inputs = GatherEvaluationInput(train, set.sampleOrder.index_select(0, positions), at::kCPU).contiguous();
  if (!set.noise || inputs.numel() == 0) return inputs;
  const int64_t rows = inputs.size(0);
  const int64_t values = inputs.numel() / rows;
  const at::Tensor ordered = positions.contiguous();  // kept alive while `position` is read
  const int64_t* position = ordered.data_ptr<int64_t>();
  float* out = inputs.data_ptr<float>();
  // Rows in parallel, about 2^15 values per task; the result does not depend on the split.
  at::parallel_for(0, rows, std::max<int64_t>(1, (int64_t(1) << 15) / values), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const uint64_t first = static_cast<uint64_t>(position[r]) * static_cast<uint64_t>(values);
      float* row = out + r * values;
      for (int64_t j = 0; j < values; ++j) row[j] += UniformNoise(set.noiseSeed, first + j);
    }
  });
  return inputs;
}

}  // namespace camu::data
