#include "data/sampler.h"

#include "core/errors.h"

namespace camu::data {

namespace {

std::vector<at::Tensor> Cut(const at::Tensor& order, int64_t batchSize, bool dropLast) {
  if (batchSize < 1) ThrowRangeError("batchSize must be at least 1, got " + std::to_string(batchSize));
  std::vector<at::Tensor> batches;
  int64_t n = order.size(0);
  for (int64_t start = 0; start < n; start += batchSize) {
    int64_t length = std::min(batchSize, n - start);
    if (dropLast && length < batchSize) break;
    batches.push_back(order.narrow(0, start, length));
  }
  return batches;
}

void CheckIndices(const at::Tensor& indices, const DatasetView& dataset) {
  if (indices.dim() != 1 || indices.scalar_type() != at::kLong) ThrowTypeError("batch indices must be a 1-D int64 tensor");
  if (indices.numel() > 0 && (indices.min().item<int64_t>() < 0 || indices.max().item<int64_t>() >= dataset.size())) {
    ThrowRangeError("batch indices must lie in [0, " + std::to_string(dataset.size()) + ") for " + dataset.name);
  }
}

}  // namespace

std::vector<at::Tensor> OrderedBatches(const at::Tensor& order, int64_t batchSize) {
  if (order.dim() != 1 || order.scalar_type() != at::kLong) ThrowTypeError("indices must be a 1-D int64 tensor");
  return Cut(order, batchSize, false);
}

std::vector<at::Tensor> EvenBatches(const at::Tensor& order, int64_t maxBatchSize) {
  if (order.dim() != 1 || order.scalar_type() != at::kLong) ThrowTypeError("indices must be a 1-D int64 tensor");
  if (maxBatchSize < 1) ThrowRangeError("batchSize must be at least 1, got " + std::to_string(maxBatchSize));
  const int64_t n = order.size(0);
  const int64_t count = (n + maxBatchSize - 1) / maxBatchSize;
  std::vector<at::Tensor> batches;
  for (int64_t b = 0, start = 0; b < count; ++b) {
    // The first n % count batches take one sample more.
    const int64_t length = n / count + (b < n % count ? 1 : 0);
    batches.push_back(order.narrow(0, start, length));
    start += length;
  }
  return batches;
}

std::vector<at::Tensor> ShuffledBatches(int64_t n, int64_t batchSize, at::Generator& generator, bool dropLast) {
  if (n < 0) ThrowRangeError("cannot shuffle " + std::to_string(n) + " items");
  return Cut(at::randperm(n, generator, at::TensorOptions().dtype(at::kLong)), batchSize, dropLast);
}

std::vector<at::Tensor> ShuffledBatches(const at::Tensor& indices, int64_t batchSize, at::Generator& generator,
                                        bool dropLast) {
  if (indices.dim() != 1 || indices.scalar_type() != at::kLong) ThrowTypeError("indices must be a 1-D int64 tensor");
  at::Tensor order = at::randperm(indices.size(0), generator, at::TensorOptions().dtype(at::kLong));
  return Cut(indices.index_select(0, order), batchSize, dropLast);
}

std::vector<PairedBatch> PairedEpochBatches(int64_t numPairs, const at::Tensor& sampleIndices, int64_t batchSize,
                                            at::Generator& generator) {
  std::vector<at::Tensor> pairs = ShuffledBatches(numPairs, batchSize, generator);
  std::vector<at::Tensor> sample = ShuffledBatches(sampleIndices, batchSize, generator);
  std::vector<PairedBatch> steps;
  for (size_t i = 0; i < std::min(pairs.size(), sample.size()); ++i) steps.push_back({pairs[i], sample[i]});
  return steps;
}

at::Tensor GatherSamples(const at::Tensor& images, const at::Tensor& indices) {
  return images.index_select(0, indices);
}

at::Tensor GatherTrainingInput(const DatasetView& dataset, const at::Tensor& indices, at::Generator& generator,
                               const at::Device& device) {
  CheckIndices(indices, dataset);
  at::Tensor batch = GatherSamples(dataset.images, indices);
  if (dataset.transform.geometry == Geometry::kNone) return TrainingInput(batch.to(device), dataset.transform, generator);
  return TrainingInput(batch, dataset.transform, generator).to(device);
}

at::Tensor GatherEvaluationInput(const DatasetView& dataset, const at::Tensor& indices, const at::Device& device) {
  CheckIndices(indices, dataset);
  at::Tensor batch = GatherSamples(dataset.images, indices);
  if (dataset.transform.geometry == Geometry::kNone) return EvaluationInput(batch.to(device), dataset.transform);
  return EvaluationInput(batch, dataset.transform).to(device);
}

at::Tensor GatherLabels(const DatasetView& dataset, const at::Tensor& indices) {
  CheckIndices(indices, dataset);
  return dataset.labels.index_select(0, indices);
}

}  // namespace camu::data
