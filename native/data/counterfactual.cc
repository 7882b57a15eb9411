#include "data/counterfactual.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <mutex>

#include "bridge/errors.h"
#include "data/sampler.h"

namespace camu::data {

namespace {

// Adds U[0,1) noise to `values` (elements [offset, offset + n) of the set's noise): element i's
// draw is a hash of (seed, i) (SplitMix64's finaliser), 24 random bits per float as torch.rand.
// Any element is computable on its own, so the fill is parallel and the same for any thread
// count and chunking; mt19937 through at::Generator was the largest cost of the construction.
void AddUniformNoise(float* values, int64_t n, int64_t offset, uint64_t seed) {
  at::parallel_for(0, n, int64_t(1) << 15, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      uint64_t z = seed + static_cast<uint64_t>(offset + i + 1) * 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      values[i] += static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
    }
  });
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

  std::vector<int64_t> shape = TransformedSampleShape(train.transform, train.images.sizes().slice(1));
  int64_t sampleValues = 1;
  for (int64_t dim : shape) sampleValues *= dim;
  shape.insert(shape.begin(), n);
  set.inputs = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
  const uint64_t noiseSeed = DrawSeed(generator);  // drawn with or without noise: ablations see the same stream
  const int64_t chunkSamples = CounterfactualChunkSamples(sampleValues);
  const int64_t chunks = (n + chunkSamples - 1) / chunkSamples;
  const int64_t reportEvery = std::max<int64_t>(1, chunks / 100);
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    context.CheckAborted();
    int64_t start = chunk * chunkSamples;
    int64_t length = std::min(chunkSamples, n - start);
    at::Tensor out = set.inputs.narrow(0, start, length);
    out.copy_(EvaluationInput(GatherSamples(train.images, set.sampleOrder.narrow(0, start, length)), train.transform));
    if (options.noise) AddUniformNoise(out.data_ptr<float>(), out.numel(), start * sampleValues, noiseSeed);
    if (chunk + 1 == chunks || (chunk + 1) % reportEvery == 0) context.Report({"counterfactual", start + length, n, {}});
  }
  return set;
}

}  // namespace camu::data
