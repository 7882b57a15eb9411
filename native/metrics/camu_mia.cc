#include "metrics/camu_mia.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>

#ifdef CAMU_WITH_XGBOOST
#include <xgboost/c_api.h>
#endif

#include "core/errors.h"
#include "metrics/inputs.h"

namespace camu::metrics {

namespace {

at::Tensor SortedRows(const at::Tensor& probabilities) {
  return std::get<0>(probabilities.sort(1)).to(at::kFloat).contiguous();
}

at::Tensor Targets(int64_t members, int64_t nonMembers) {
  return at::cat({at::ones({members}, at::kFloat), at::zeros({nonMembers}, at::kFloat)});
}

}  // namespace

CamuMiaData PrepareCamuMia(const at::Tensor& sampleProbabilities, const at::Tensor& testProbabilities,
                           const at::Tensor& forgetProbabilities, const CamuMiaOptions& options) {
  at::Tensor sample = ProbabilityRows(sampleProbabilities, "mia.camu: sampleProbabilities");
  at::Tensor test = ProbabilityRows(testProbabilities, "mia.camu: testProbabilities");
  at::Tensor forget = ProbabilityRows(forgetProbabilities, "mia.camu: forgetProbabilities");
  if (test.size(1) != sample.size(1) || forget.size(1) != sample.size(1)) {
    ThrowRangeError("mia.camu: sampleProbabilities, testProbabilities and forgetProbabilities must have the same "
                    "number of classes, got " + DescribeTensor(sample) + ", " + DescribeTensor(test) + ", " +
                    DescribeTensor(forget));
  }
  if (options.trainSize < 1) ThrowRangeError("mia.camu: trainSize must be at least 1");
  if (options.threads < 1) ThrowRangeError("mia.camu: threads must be at least 1");
  CheckMinRows(sample, "mia.camu: sampleProbabilities", 1, "(the attacker's training members)");
  CheckMinRows(forget, "mia.camu: forgetProbabilities", 1, "(the attack's evaluation members)");
  int64_t trainNonMembers = std::min(options.trainSize, test.size(0));
  CheckMinRows(test, "mia.camu: testProbabilities", trainNonMembers + 1,
               "(the first " + std::to_string(trainNonMembers) +
                   " train the attacker; the rows after them are its evaluation non-members)");

  CamuMiaData data;
  data.options = options;
  data.trainMembers = std::min(options.trainSize, sample.size(0));
  data.trainNonMembers = trainNonMembers;
  data.evalMembers = forget.size(0);
  data.evalNonMembers = std::min(forget.size(0), test.size(0) - trainNonMembers);

  at::Tensor trainFeatures = SortedRows(at::cat({sample.slice(0, 0, data.trainMembers), test.slice(0, 0, trainNonMembers)}));
  at::Tensor trainTargets = Targets(data.trainMembers, trainNonMembers);
  int64_t trainRows = trainFeatures.size(0);
  data.heldOut = std::max<int64_t>(1, std::llround(kCamuMiaHeldOutFraction * static_cast<double>(trainRows)));
  data.heldOut = std::min(data.heldOut, trainRows - 1);  // keep at least one row to fit on
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  at::Tensor order = at::randperm(trainRows, generator, at::kLong);
  at::Tensor heldOutRows = order.slice(0, 0, data.heldOut);
  at::Tensor fitRows = order.slice(0, data.heldOut);
  data.heldOutFeatures = trainFeatures.index_select(0, heldOutRows).contiguous();
  data.heldOutTargets = trainTargets.index_select(0, heldOutRows).contiguous();
  data.heldOutMembers = static_cast<int64_t>(data.heldOutTargets.sum().item<double>());
  data.fitFeatures = trainFeatures.index_select(0, fitRows).contiguous();
  data.fitTargets = trainTargets.index_select(0, fitRows).contiguous();

  data.evalFeatures =
      SortedRows(at::cat({forget, test.slice(0, trainNonMembers, trainNonMembers + data.evalNonMembers)}));
  data.evalTargets = Targets(data.evalMembers, data.evalNonMembers);
  return data;
}

#ifdef CAMU_WITH_XGBOOST

namespace {

void CheckXgb(int status, const char* call) {
  if (status != 0) {
    const char* message = XGBGetLastError();
    throw Error(codes::kXgboost, std::string("mia.camu: XGBoost ") + call + " failed: " +
                                     (message != nullptr && *message != '\0' ? message : "no message"));
  }
}

class DMatrix {
 public:
  DMatrix(const at::Tensor& features, const at::Tensor& targets) {
    CheckXgb(XGDMatrixCreateFromMat(features.data_ptr<float>(), static_cast<bst_ulong>(features.size(0)),
                                    static_cast<bst_ulong>(features.size(1)),
                                    std::numeric_limits<float>::quiet_NaN(), &handle_),
             "XGDMatrixCreateFromMat");
    CheckXgb(XGDMatrixSetFloatInfo(handle_, "label", targets.data_ptr<float>(), static_cast<bst_ulong>(targets.numel())),
             "XGDMatrixSetFloatInfo(label)");
  }
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle handle() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

class Booster {
 public:
  explicit Booster(const DMatrix& train) {
    DMatrixHandle cache[] = {train.handle()};
    CheckXgb(XGBoosterCreate(cache, 1, &handle_), "XGBoosterCreate");
  }
  ~Booster() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
  }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;

  void Set(const char* name, const std::string& value) {
    CheckXgb(XGBoosterSetParam(handle_, name, value.c_str()), "XGBoosterSetParam");
  }
  void Boost(int round, const DMatrix& train) {
    CheckXgb(XGBoosterUpdateOneIter(handle_, round, train.handle()), "XGBoosterUpdateOneIter");
  }
  // Accuracy of "member when the predicted probability > 0.5" against the matrix's targets.
  double Accuracy(const DMatrix& rows, const at::Tensor& targets) {
    const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* predictions = nullptr;
    CheckXgb(XGBoosterPredictFromDMatrix(handle_, rows.handle(), config, &shape, &dims, &predictions),
             "XGBoosterPredictFromDMatrix");
    bst_ulong count = 1;
    for (bst_ulong d = 0; d < dims; ++d) count *= shape[d];
    if (count != static_cast<bst_ulong>(targets.numel())) {
      throw Error(codes::kXgboost, "mia.camu: XGBoost returned " + std::to_string(count) + " predictions for " +
                                       std::to_string(targets.numel()) + " rows");
    }
    const float* target = targets.data_ptr<float>();
    int64_t correct = 0;
    for (int64_t i = 0; i < targets.numel(); ++i) correct += ((predictions[i] > 0.5f) == (target[i] > 0.5f)) ? 1 : 0;
    return static_cast<double>(correct) / static_cast<double>(targets.numel());
  }

 private:
  BoosterHandle handle_ = nullptr;
};

}  // namespace

CamuMiaResult RunCamuMia(const CamuMiaData& data, const JobContext& context) {
  DMatrix fit(data.fitFeatures, data.fitTargets);
  DMatrix heldOut(data.heldOutFeatures, data.heldOutTargets);
  DMatrix evaluation(data.evalFeatures, data.evalTargets);
  Booster booster(fit);
  booster.Set("objective", "binary:logistic");
  booster.Set("seed", std::to_string(data.options.seed));
  booster.Set("nthread", std::to_string(data.options.threads));
  for (int round = 0; round < kCamuMiaTrees; ++round) {
    context.CheckAborted();
    booster.Boost(round, fit);
    context.Report({"mia.camu", round + 1, kCamuMiaTrees, {}});
  }
  CamuMiaResult result;
  result.available = true;
  result.heldOutAccuracy = booster.Accuracy(heldOut, data.heldOutTargets);
  result.accuracy = booster.Accuracy(evaluation, data.evalTargets);
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  result.xgboostVersion = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  return result;
}

#else

CamuMiaResult RunCamuMia(const CamuMiaData&, const JobContext&) {
  CamuMiaResult result;
  result.reason = "this build of camu has no XGBoost: install it (Debian/Ubuntu: apt-get install libxgboost-dev) and "
                  "rebuild (npm rebuild camu --build-from-source)";
  return result;
}

#endif

}  // namespace camu::metrics
