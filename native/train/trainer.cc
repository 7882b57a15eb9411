#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>

#include "core/errors.h"
#include "data/sampler.h"
#include "train/adam.h"

namespace camu::train {

void CheckLabelledData(const LabelledData& data, bool needLabels, int64_t numClasses, const std::string& fn) {
  const at::Tensor& images = data.dataset.images;
  if (images.scalar_type() != at::kByte && images.scalar_type() != at::kFloat) {
    ThrowTypeError(fn + ": images must be uint8 or float32, got " + std::string(at::toString(images.scalar_type())));
  }
  if (images.dim() < 2) ThrowRangeError(fn + ": images must be [N, ...] with at least 2 dimensions");
  int64_t n = images.size(0);
  if (needLabels && !data.dataset.labels.defined()) ThrowTypeError(fn + ": labels are required");
  if (data.dataset.labels.defined()) {
    if (data.dataset.labels.scalar_type() != at::kLong) {
      ThrowTypeError(fn + ": labels must be int64, got " + std::string(at::toString(data.dataset.labels.scalar_type())));
    }
    if (data.dataset.labels.dim() != 1 || data.dataset.labels.size(0) != n) {
      ThrowRangeError(fn + ": labels must be [N] with N = " + std::to_string(n) + " (the images' first dimension)");
    }
    if (n > 0) {
      int64_t low = data.dataset.labels.min().item<int64_t>();
      int64_t high = data.dataset.labels.max().item<int64_t>();
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
  return data.indices.defined() ? data.indices.numel() : data.dataset.size();
}

at::Tensor SelectionOrder(const LabelledData& data) {
  return data.indices.defined() ? data.indices : at::arange(data.dataset.size(), at::kLong);
}

namespace {
// One randperm from `generator` per epoch, as a DataLoader with shuffle=True.
std::vector<at::Tensor> ShuffledSelection(const LabelledData& data, int64_t batchSize, at::Generator& generator) {
  return data.indices.defined() ? data::ShuffledBatches(data.indices, batchSize, generator)
                                : data::ShuffledBatches(data.dataset.size(), batchSize, generator);
}
}  // namespace

TrainStats Train(models::Model& model, const LabelledData& data, const TrainOptions& options, const JobContext& context) {
  auto start = std::chrono::steady_clock::now();
  TrainStats stats;
  int64_t count = SampleCount(data);
  stats.samplesPerEpoch = count;
  int64_t stepsPerEpoch = (count + options.batchSize - 1) / options.batchSize;
  int64_t total = stepsPerEpoch * options.epochs;

  std::vector<at::Tensor> parameters = model.Parameters();
  if (parameters.empty()) throw Error(codes::kState, "train: the model has no trainable parameters");
  Adam optimizer(parameters, options.learningRate, options.weightDecay, options.fusedAdam);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  models::TrainingModeGuard trainMode(model, true);
  distributed::ProcessGroup* group = options.group.get();
  // Ranks start from rank 0's weights, whatever each initialised.
  if (group != nullptr) group->Broadcast(parameters);
  auto checkSame = [&] {
    std::vector<at::Tensor> state = parameters;
    std::vector<at::Tensor> moments = optimizer.State();
    state.insert(state.end(), moments.begin(), moments.end());
    group->CheckSame(state, "parameters and optimiser state");
  };

  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    std::vector<at::Tensor> batches = options.shuffle ? ShuffledSelection(data, options.batchSize, generator)
                                                      : data::OrderedBatches(SelectionOrder(data), options.batchSize);
    double lossSum = 0;
    for (const at::Tensor& rows : batches) {
      context.CheckAborted();
      // The whole global batch is gathered on every rank, so that random augmentation draws the
      // same numbers from the generator as one process would; each rank then keeps its shard.
      at::Tensor input = data::GatherTrainingInput(data.dataset, rows, generator, model.Device());
      at::Tensor labels = data::GatherLabels(data.dataset, rows).to(model.Device());
      double value = 0;
      optimizer.ZeroGrad();
      if (group == nullptr) {
        models::ModelOutput output = model.Forward(input);
        at::Tensor loss = at::cross_entropy_loss(output.logits, labels);
        loss.backward();
        value = loss.item<double>();
      } else {
        auto [begin, end] = distributed::ShardRange(rows.numel(), group->Rank(), group->WorldSize());
        double local = 0;
        if (end > begin) {
          models::ModelOutput output = model.Forward(input.narrow(0, begin, end - begin));
          at::Tensor loss = at::cross_entropy_loss(output.logits, labels.narrow(0, begin, end - begin));
          loss.backward();
          local = loss.item<double>();
        }
        // Weighted by the shard's share of the batch: the sum is the global-batch mean's gradient.
        const double weight = static_cast<double>(end - begin) / static_cast<double>(rows.numel());
        auto reduceStart = std::chrono::steady_clock::now();
        value = group->AllReduceGradients(parameters, weight, {local})[0];
        stats.allReduceSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - reduceStart).count();
      }
      optimizer.Step();
      CheckFiniteStep(value, "cross-entropy loss", "training", stats.steps + 1, epoch + 1);
      if (options.checkWeights) models::CheckFiniteWeights(model, "training", stats.steps + 1, epoch + 1);
      lossSum += value * static_cast<double>(rows.numel());
      ++stats.steps;
      if (group != nullptr && options.checkEvery > 0 && stats.steps % options.checkEvery == 0) checkSame();
      context.Report({"train", stats.steps, total, {{"loss", value}, {"epoch", static_cast<double>(epoch + 1)}}});
    }
    stats.epochLosses.push_back(count > 0 ? lossSum / static_cast<double>(count) : 0.0);
  }
  if (group != nullptr) checkSame();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace camu::train
