// The CaMU engine (camu-reference.md §2-4): counterfactual construction, then causal-effect
// removal epochs, in one native call that works on a clone of the original model.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bridge/job.h"
#include "data/counterfactual.h"
#include "data/dataset.h"
#include "kernels/intervention_loss.h"
#include "models/model.h"

namespace camu::unlearn {

struct CamuOptions {
  int64_t epochs = 10;
  double klLr = 4e-4;      // opt_KL, step 1
  double impairLr = 5e-4;  // opt_CE, step 2
  double weightDecay = 1e-4;
  int64_t batchSize = 32;
  // Loss weights (§3). Setting one to 0 is the ablation "without that term".
  double klSampleWeight = 0.5;          // KLsum(h_θo(x_r) ‖ h_θ(x_r))
  double klCounterfactualWeight = 0.5;  // KLsum(h_θo(x~) ‖ h_θ(x_f))
  double ceSampleWeight = 0.9;          // CE_mean(f_θ(x_r), y_r)
  double ceCounterfactualWeight = 0.01; // CE_mean(f_θ(x_f), y~)
  data::CounterfactualOptions counterfactual;  // ablations: no noise, no label re-draw
  uint64_t seed = 0;
  at::Device device = at::kCPU;
  // Shortcuts that leave the result unchanged (each has a test against the plain computation):
  // the frozen teacher's embeddings of x~ (and of D_s when its transform is deterministic)
  // computed once instead of every step; the two student passes of a step batched into one
  // when the model has no batch statistics; the fused loss kernels.
  bool cacheTeacherEmbeddings = true;
  bool batchStudentPasses = true;
  bool fusedAdam = true;  // one-pass Adam (train/adam.h) where it applies (CPU float32), else libtorch's
  kernels::LossImplementation loss = kernels::LossImplementation::kFused;
};

struct CamuEpochStats {
  double seconds = 0;
  int64_t steps = 0;
  // Means over the epoch's steps of each weighted loss term.
  double klSample = 0, klCounterfactual = 0, ceSample = 0, ceCounterfactual = 0;
};

struct CamuResult {
  std::shared_ptr<models::Model> model;
  int64_t pairs = 0;                 // |counterfactual set| = |D_f| * forgetRepeat
  double counterfactualSeconds = 0;  // building the counterfactual set
  double removalSeconds = 0;         // teacher caches + all removal epochs
  double seconds = 0;                // the paper's unlearning time: both of the above
  bool teacherSampleCached = false;  // D_s's teacher embeddings were cached (deterministic transform)
  bool studentPassesBatched = false;
  std::vector<CamuEpochStats> epochs;
};

// Reads `original` (under its mutex, to clone it) and never changes it. Reports progress
// ("counterfactual" once built, then "removal" steps with the four loss terms) and stops at the next
// step once the context is aborted.
CamuResult RunCamu(const models::Model& original, const data::DatasetView& train, const data::SplitView& split,
                   const CamuOptions& options, const JobContext& context);

}  // namespace camu::unlearn
