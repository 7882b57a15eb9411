#include "train/evaluate.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "data/sampler.h"

namespace camu::train {

EvaluateResult Evaluate(models::Model& model, const LabelledData& data, const EvaluateOptions& options,
                        const JobContext& context) {
  torch::NoGradGuard noGrad;
  models::TrainingModeGuard evalMode(model, false);
  EvaluateResult result;
  result.count = SampleCount(data);
  bool labelled = data.dataset.labels.defined();
  std::vector<at::Tensor> batches = data::EvenBatches(SelectionOrder(data), options.batchSize);
  const int64_t total = static_cast<int64_t>(batches.size());
  std::vector<at::Tensor> logits, embeddings, losses;
  int64_t correct = 0;
  double lossSum = 0;
  for (int64_t b = 0; b < total; ++b) {
    context.CheckAborted();
    const at::Tensor& rows = batches[b];
    models::ModelOutput output = model.Forward(data::GatherEvaluationInput(data.dataset, rows, model.Device()));
    // A model with broken weights gives NaN logits, whose argmax and loss are meaningless numbers:
    // one reduction per batch, small beside the forward pass.
    if (!output.logits.isfinite().all().item<bool>()) {
      throw Error(codes::kNonFinite, "evaluation stopped at batch " + std::to_string(b + 1) + " of " + std::to_string(total) +
                                         ": the model's logits are not finite (NaN or infinite); its weights are broken "
                                         "(a diverged training?) or its input is");
    }
    result.numClasses = output.logits.size(1);
    result.embeddingSize = output.embedding.size(1);
    if (labelled) {
      at::Tensor labels = data::GatherLabels(data.dataset, rows).to(model.Device());
      at::Tensor loss = at::cross_entropy_loss(output.logits, labels, {}, at::Reduction::None);
      lossSum += loss.sum().item<double>();
      correct += output.logits.argmax(1).eq(labels).sum().item<int64_t>();
      if (options.losses) losses.push_back(loss.to(at::kCPU));
    }
    if (options.logits || options.probabilities || options.predictions) logits.push_back(output.logits.to(at::kCPU));
    if (options.embeddings) embeddings.push_back(output.embedding.to(at::kCPU));
    context.Report({"evaluate", b + 1, total, {}});
  }
  if (labelled) {
    result.correct = correct;
    result.meanLoss = result.count > 0 ? lossSum / static_cast<double>(result.count) : 0.0;
  }
  auto gather = [&](const std::vector<at::Tensor>& parts, at::IntArrayRef emptyShape) {
    return parts.empty() ? at::empty(emptyShape, at::kFloat) : at::cat(parts);
  };
  int64_t classes = std::max<int64_t>(result.numClasses, model.NumClasses());
  at::Tensor allLogits = gather(logits, {0, std::max<int64_t>(classes, 0)});
  if (options.logits) result.logits = allLogits;
  if (options.probabilities) result.probabilities = at::softmax(allLogits, 1);
  if (options.predictions) {
    result.predictions = allLogits.size(0) == 0 ? at::empty({0}, at::kLong) : allLogits.argmax(1);
  }
  if (options.embeddings) result.embeddings = gather(embeddings, {0, std::max<int64_t>(model.EmbeddingSize(), 0)});
  if (options.losses) result.losses = gather(losses, {0});
  return result;
}

}  // namespace camu::train
