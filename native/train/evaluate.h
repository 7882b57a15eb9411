// Batched inference in one native call: what the metrics need per sample, computed in eval mode
// without autograd, batch by batch, and gathered into [M, ...] CPU tensors.
#pragma once
#include <ATen/ATen.h>

#include "core/job_context.h"
#include "models/model.h"
#include "train/trainer.h"

namespace camu::train {

struct EvaluateOptions {
  int64_t batchSize = 256;  // the most per forward pass; the selection is cut evenly (data::EvenBatches)
  bool logits = false;         // [M, C] float32
  bool probabilities = false;  // [M, C] float32, softmax of the logits
  bool embeddings = false;     // [M, D] float32
  bool losses = false;         // [M] float32, per-sample cross-entropy (needs labels)
  bool predictions = false;    // [M] int64, argmax of the logits
};

struct EvaluateResult {
  int64_t count = 0;
  int64_t correct = -1;  // -1 without labels
  double meanLoss = 0;   // mean cross-entropy; only with labels
  int64_t numClasses = 0, embeddingSize = 0;
  at::Tensor logits, probabilities, embeddings, losses, predictions;  // as requested
};

// Runs `model` in eval mode over the selected samples in order (its mode is restored). Reports
// {phase: "evaluate", step, total} per batch; stops between batches when aborted. The caller
// holds the model's mutex.
EvaluateResult Evaluate(models::Model& model, const LabelledData& data, const EvaluateOptions& options,
                        const JobContext& context);

}  // namespace camu::train
