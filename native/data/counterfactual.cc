#include "data/counterfactual.h"

#include "bridge/errors.h"
#include "data/sampler.h"

namespace camu::data {

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
  const int64_t chunkSamples = CounterfactualChunkSamples(sampleValues);
  const int64_t chunks = (n + chunkSamples - 1) / chunkSamples;
  const int64_t reportEvery = std::max<int64_t>(1, chunks / 100);
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    context.CheckAborted();
    int64_t start = chunk * chunkSamples;
    int64_t length = std::min(chunkSamples, n - start);
    at::Tensor out = set.inputs.narrow(0, start, length);
    at::Tensor input = EvaluationInput(GatherSamples(train.images, set.sampleOrder.narrow(0, start, length)),
                                       train.transform);
    if (options.noise) {
      out.uniform_(0.0, 1.0, generator);  // u ~ U[0,1), as torch.rand
      out.add_(input);
    } else {
      out.copy_(input);
    }
    if (chunk + 1 == chunks || (chunk + 1) % reportEvery == 0) context.Report({"counterfactual", start + length, n, {}});
  }
  return set;
}

}  // namespace camu::data
