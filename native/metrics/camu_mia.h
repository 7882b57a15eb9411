// mia.camu: the CaMU paper's membership attack (docs/algorithm.md §6).
//   features   softmax outputs of the evaluated model, sorted ascending within each row
//   training   members = the first trainSize (4000) rows of D_s as given, non-members = the first
//              trainSize test rows; 1% of these rows (seeded) held out; XGBoost gradient-boosted
//              trees through its C API: 100 rounds, objective binary:logistic, XGBoost's default
//              depth and learning rate, seed, nthread = the process's intra-op threads
//   evaluation members = all of D_f, non-members = the test rows after the first trainSize, up to
//              |D_f| of them; the attacker's accuracy (member when its probability > 0.5)
// A build without XGBoost (no CAMU_WITH_XGBOOST) reports the metric unavailable; it never
// substitutes another attack.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "core/job_context.h"

namespace camu::metrics {

inline constexpr int kCamuMiaTrees = 100;
inline constexpr int64_t kCamuMiaTrainSize = 4000;
inline constexpr double kCamuMiaHeldOutFraction = 0.01;

struct CamuMiaOptions {
  int64_t trainSize = kCamuMiaTrainSize;  // rows taken from the front of D_s and of T
  uint64_t seed = 0;                      // the hold-out draw and XGBoost's seed
  int threads = 1;                        // XGBoost nthread
};

// The attack's rows, validated and laid out as float32 row-major matrices for XGBoost. Built on
// the calling thread (cheap: sorting rows), so bad inputs throw before a job starts.
struct CamuMiaData {
  CamuMiaOptions options;
  at::Tensor fitFeatures, fitTargets;          // training rows minus the held-out ones
  at::Tensor heldOutFeatures, heldOutTargets;  // 1% of the training rows
  at::Tensor evalFeatures, evalTargets;        // D_f rows then the unseen test rows
  int64_t trainMembers = 0, trainNonMembers = 0;  // rows taken from D_s / T, before the hold-out
  int64_t heldOut = 0, heldOutMembers = 0;         // of those, held out (members among them)
  int64_t evalMembers = 0, evalNonMembers = 0;
};

// Names arguments "mia.camu: sampleProbabilities" etc. in errors.
CamuMiaData PrepareCamuMia(const at::Tensor& sampleProbabilities, const at::Tensor& testProbabilities,
                           const at::Tensor& forgetProbabilities, const CamuMiaOptions& options);

struct CamuMiaResult {
  bool available = false;
  std::string reason;             // why not, when unavailable
  double accuracy = 0;            // on the evaluation rows
  double heldOutAccuracy = 0;     // on the held-out 1% of the training rows
  std::string xgboostVersion;
};

// Fits and evaluates the attacker; reports one progress step per boosting round and stops between
// rounds when aborted. XGBoost failures throw camu::Error with code ERR_CAMU_XGBOOST.
CamuMiaResult RunCamuMia(const CamuMiaData& data, const JobContext& context);

}  // namespace camu::metrics
