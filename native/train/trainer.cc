#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "bridge/errors.h"
#include "data/sampler.h"

namespace camu::train {

void CheckLabelledData(const LabelledData& data, bool needLabels, int64_t numClasses, const std::string& fn) {
  const at::Tensor& images = data.images;
  if (images.scalar_type() != at::kByte && images.scalar_type() != at::kFloat) {
    ThrowTypeError(fn + ": images must be uint8 or float32, got " + std::string(at::toString(images.scalar_type())));
  }
  if (images.dim() < 2) ThrowRangeError(fn + ": images must be [N, ...] with at least 2 dimensions");
  int64_t n = images.size(0);
  if (needLabels && !data.labels.defined()) ThrowTypeError(fn + ": labels are required");
  if (data.labels.defined()) {
    if (data.labels.scalar_type() != at::kLong) {
      ThrowTypeError(fn + ": labels must be int64, got " + std::string(at::toString(data.labels.scalar_type())));
    }
    if (data.labels.dim() != 1 || data.labels.size(0) != n) {
      ThrowRangeError(fn + ": labels must be [N] with N = " + std::to_string(n) + " (the images' first dimension)");
    }
    if (n > 0) {
      int64_t low = data.labels.min().item<int64_t>();
      int64_t high = data.labels.max().item<int64_t>();
      if (low < 0 || (numClasses > 0 && high >= numClasses)) {
        ThrowRangeError(fn + ": labels must be in [0, " + (numClasses > 0 ? std::to_string(numClasses) : "C") +
                        "), got values from " + std::to_string(low) + " to " + std::to_string(high));
      }
    }
  }
  if (data.indices.defined()) {
    if (data.indices.scalar_type() != at::kLong || data.indices.dim() != 1) {
      ThrowTypeError(fn + ": indices must be a 1-D int64 tensor");
    }
    if (data.indices.numel() > 0) {
      int64_t low = data.indices.min().item<int64_t>();
      int64_t high = data.indices.max().item<int64_t>();
      if (low < 0 || high >= n) {
        ThrowRangeError(fn + ": indices must be in [0, " + std::to_string(n) + "), got values from " +
                        std::to_string(low) + " to " + std::to_string(high));
      }
    }
  }
}

int64_t SampleCount(const LabelledData& data) {
  return data.indices.defined() ? data.indices.numel() : data.images.size(0);
}

namespace {
at::Tensor Rows(const LabelledData& data, const at::Tensor& positions) {
  return data.indices.defined() ? data.indices.index_select(0, positions) : positions;
}
}  // namespace

at::Tensor BatchInput(const LabelledData& data, const at::Tensor& positions, const models::Model& model) {
  at::Tensor batch = data::GatherSamples(data.images, Rows(data, positions));
  // Convert on the model's device: a uint8 batch is 4x smaller to move than its float input.
  return data::ToNetworkInput(batch.to(model.Device()), model.Input());
}

at::Tensor BatchLabels(const LabelledData& data, const at::Tensor& positions, const models::Model& model) {
  return data.labels.index_select(0, Rows(data, positions)).to(model.Device());
}

void ReuseLargeAllocations() {
#if defined(__GLIBC__)
  // glibc serves blocks above its mmap threshold (128 KiB at start, raised only as such blocks are
  // freed) with fresh mmaps and hands freed heap tops back to the OS, so a fresh process page-faults
  // on every large step buffer (~2000 faults, 4-5x the step time, per CNN step) until the dynamic
  // threshold has caught up. 32 MiB is the largest threshold glibc accepts on 64-bit.
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  });
#endif
}

TrainStats Train(models::Model& model, const LabelledData& data, const TrainOptions& options, const JobContext& context) {
  ReuseLargeAllocations();
  auto start = std::chrono::steady_clock::now();
  TrainStats stats;
  int64_t count = SampleCount(data);
  stats.samplesPerEpoch = count;
  int64_t stepsPerEpoch = (count + options.batchSize - 1) / options.batchSize;
  int64_t total = stepsPerEpoch * options.epochs;

  std::vector<at::Tensor> parameters = model.Parameters();
  if (parameters.empty()) throw Error(codes::kState, "train: the model has no trainable parameters");
  torch::optim::Adam optimizer(parameters,
                               torch::optim::AdamOptions(options.learningRate).weight_decay(options.weightDecay));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  models::TrainingModeGuard trainMode(model, true);

  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    at::Tensor order = options.shuffle ? at::randperm(count, generator, at::kLong) : at::arange(count, at::kLong);
    double lossSum = 0;
    for (int64_t step = 0; step < stepsPerEpoch; ++step) {
      context.CheckAborted();
      at::Tensor positions = order.slice(0, step * options.batchSize, std::min(count, (step + 1) * options.batchSize));
      at::Tensor input = BatchInput(data, positions, model);
      at::Tensor labels = BatchLabels(data, positions, model);
      models::ModelOutput output = model.Forward(input);
      at::Tensor loss = at::cross_entropy_loss(output.logits, labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      double value = loss.item<double>();
      lossSum += value * static_cast<double>(positions.numel());
      ++stats.steps;
      context.Report({"train", stats.steps, total, {{"loss", value}, {"epoch", static_cast<double>(epoch + 1)}}});
    }
    stats.epochLosses.push_back(count > 0 ? lossSum / static_cast<double>(count) : 0.0);
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace camu::train
