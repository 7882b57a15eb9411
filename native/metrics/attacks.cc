#include "metrics/attacks.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "core/errors.h"
#include "metrics/inputs.h"
#include "metrics/logistic.h"
#include "metrics/svm.h"

namespace camu::metrics {

namespace {

// The retain, test and forget probability rows of an attack must share their class count.
void CheckSameClasses(const std::string& metric, const at::Tensor& retain, const at::Tensor& test,
                      const at::Tensor& forget) {
  if (test.size(1) == retain.size(1) && forget.size(1) == retain.size(1)) return;
  ThrowRangeError(metric + ": retainProbabilities, testProbabilities and forgetProbabilities must have the same "
                  "number of classes, got " + DescribeTensor(retain) + ", " + DescribeTensor(test) + ", " +
                  DescribeTensor(forget));
}

// p[row, label[row]] of each row: the model's confidence in the true class.
std::vector<double> TrueClassConfidence(const at::Tensor& probabilities, const at::Tensor& labels) {
  const double* p = probabilities.data_ptr<double>();
  const int64_t* y = labels.data_ptr<int64_t>();
  int64_t classes = probabilities.size(1);
  std::vector<double> confidence(probabilities.size(0));
  for (int64_t row = 0; row < probabilities.size(0); ++row) confidence[row] = p[row * classes + y[row]];
  return confidence;
}

}  // namespace

LossMiaResult MiaLoss(const at::Tensor& forgetLosses, const at::Tensor& testLosses, int64_t folds, uint64_t seed) {
  at::Tensor forget = SampleValues(forgetLosses, "mia.loss: forgetLosses");
  at::Tensor test = SampleValues(testLosses, "mia.loss: testLosses");
  if (folds < 2) ThrowRangeError("mia.loss: folds must be at least 2, got " + std::to_string(folds));
  std::string why = "for " + std::to_string(folds) + "-fold cross-validation (every fold holds each side)";
  CheckMinRows(forget, "mia.loss: forgetLosses", folds, why);
  CheckMinRows(test, "mia.loss: testLosses", folds, why);

  LossMiaResult result;
  result.folds = folds;
  result.forgetRows = forget.size(0);
  result.testRows = test.size(0);
  result.perSide = std::min(result.forgetRows, result.testRows);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<double> forgetSide = Gather(forget, SeededSubsample(result.forgetRows, result.perSide, generator));
  std::vector<double> testSide = Gather(test, SeededSubsample(result.testRows, result.perSide, generator));

  for (int64_t fold = 0; fold < folds; ++fold) {
    std::vector<double> x;
    std::vector<uint8_t> member;
    for (int64_t j = 0; j < result.perSide; ++j) {
      if (j % folds == fold) continue;
      x.push_back(forgetSide[j]);
      member.push_back(1);
      x.push_back(testSide[j]);
      member.push_back(0);
    }
    LogisticModel1D attacker = FitLogistic1D(x, member);
    int64_t correct = 0, count = 0;
    for (int64_t j = fold; j < result.perSide; j += folds) {
      correct += attacker.Member(forgetSide[j]) ? 1 : 0;
      correct += attacker.Member(testSide[j]) ? 0 : 1;
      count += 2;
    }
    result.foldAccuracies.push_back(static_cast<double>(correct) / static_cast<double>(count));
  }
  double sum = 0;
  for (double accuracy : result.foldAccuracies) sum += accuracy;
  result.accuracy = sum / static_cast<double>(folds);
  return result;
}

at::Tensor RowEntropy(const at::Tensor& probabilities) {
  return at::xlogy(probabilities, probabilities).sum(1).neg().contiguous();
}

EntropyMiaResult MiaEntropy(const at::Tensor& retainProbabilities, const at::Tensor& testProbabilities,
                            const at::Tensor& forgetProbabilities, uint64_t seed) {
  at::Tensor retain = ProbabilityRows(retainProbabilities, "mia.entropy: retainProbabilities");
  at::Tensor test = ProbabilityRows(testProbabilities, "mia.entropy: testProbabilities");
  at::Tensor forget = ProbabilityRows(forgetProbabilities, "mia.entropy: forgetProbabilities");
  CheckSameClasses("mia.entropy", retain, test, forget);
  CheckMinRows(retain, "mia.entropy: retainProbabilities", 1, "to fit the attacker");
  CheckMinRows(test, "mia.entropy: testProbabilities", 1, "to fit the attacker");
  CheckMinRows(forget, "mia.entropy: forgetProbabilities", 1, "to evaluate the attacker");

  EntropyMiaResult result;
  int64_t perSide = std::min(retain.size(0), test.size(0));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<double> members = Gather(RowEntropy(retain), SeededSubsample(retain.size(0), perSide, generator));
  std::vector<double> nonMembers = Gather(RowEntropy(test), SeededSubsample(test.size(0), perSide, generator));
  std::vector<double> x = members;
  x.insert(x.end(), nonMembers.begin(), nonMembers.end());
  std::vector<uint8_t> member(x.size(), 0);
  std::fill(member.begin(), member.begin() + perSide, 1);
  LogisticModel1D attacker = FitLogistic1D(x, member);

  at::Tensor forgetEntropy = RowEntropy(forget);
  const double* h = forgetEntropy.data_ptr<double>();
  for (int64_t i = 0; i < forgetEntropy.numel(); ++i) result.predictedMembers += attacker.Member(h[i]) ? 1 : 0;
  result.forgetRows = forget.size(0);
  result.memberFraction = static_cast<double>(result.predictedMembers) / static_cast<double>(result.forgetRows);
  result.trainMembers = perSide;
  result.trainNonMembers = perSide;
  return result;
}

EfficacyMiaData PrepareEfficacyMia(const at::Tensor& retainProbabilities, const at::Tensor& retainLabels,
                                   const at::Tensor& testProbabilities, const at::Tensor& testLabels,
                                   const at::Tensor& forgetProbabilities, const at::Tensor& forgetLabels,
                                   uint64_t seed) {
  at::Tensor retain = ProbabilityRows(retainProbabilities, "mia.efficacy: retainProbabilities");
  at::Tensor test = ProbabilityRows(testProbabilities, "mia.efficacy: testProbabilities");
  at::Tensor forget = ProbabilityRows(forgetProbabilities, "mia.efficacy: forgetProbabilities");
  CheckSameClasses("mia.efficacy", retain, test, forget);
  int64_t classes = retain.size(1);
  at::Tensor retainY = ClassIndices(retainLabels, "mia.efficacy: retainLabels", retain.size(0), classes);
  at::Tensor testY = ClassIndices(testLabels, "mia.efficacy: testLabels", test.size(0), classes);
  at::Tensor forgetY = ClassIndices(forgetLabels, "mia.efficacy: forgetLabels", forget.size(0), classes);
  CheckMinRows(retain, "mia.efficacy: retainProbabilities", 1, "to fit the attacker");
  CheckMinRows(test, "mia.efficacy: testProbabilities", 1, "to fit the attacker");
  CheckMinRows(forget, "mia.efficacy: forgetProbabilities", 1, "to evaluate the attacker");

  EfficacyMiaData data;
  data.seed = seed;
  int64_t perSide = std::min(retain.size(0), test.size(0));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor retainRows = SeededSubsample(retain.size(0), perSide, generator);
  at::Tensor testRows = SeededSubsample(test.size(0), perSide, generator);
  std::vector<double> retainConfidence = TrueClassConfidence(retain, retainY);
  std::vector<double> testConfidence = TrueClassConfidence(test, testY);
  for (auto [confidence, rows, member] : {std::tuple{&retainConfidence, &retainRows, uint8_t{1}},
                                          std::tuple{&testConfidence, &testRows, uint8_t{0}}}) {
    const int64_t* row = rows->data_ptr<int64_t>();
    for (int64_t k = 0; k < perSide; ++k) {
      data.fitConfidence.push_back((*confidence)[row[k]]);
      data.fitMember.push_back(member);
    }
  }
  data.forgetConfidence = TrueClassConfidence(forget, forgetY);
  data.trainMembers = perSide;
  data.trainNonMembers = perSide;
  return data;
}

EfficacyMiaResult RunEfficacyMia(const EfficacyMiaData& data, const JobContext& context) {
  SvcOptions options;
  options.c = kEfficacyMiaC;
  options.gamma = kEfficacyMiaGamma;
  // The number of iterations is not known in advance: progress reports total 0 and the violation,
  // which falls to the tolerance (1e-3).
  options.checkpoint = [&context](int64_t iterations, double violation) {
    context.CheckAborted();
    context.Report(Progress{"svc fit", iterations, 0, {{"violation", violation}}});
  };
  SvcModel attacker = FitSvc(data.fitConfidence, 1, data.fitMember, options);
  EfficacyMiaResult result;
  for (double confidence : data.forgetConfidence) result.predictedNonMembers += attacker.Positive(&confidence) ? 0 : 1;
  result.forgetRows = static_cast<int64_t>(data.forgetConfidence.size());
  result.efficacy = static_cast<double>(result.predictedNonMembers) / static_cast<double>(result.forgetRows);
  result.supportVectors = attacker.SupportVectorCount();
  result.iterations = attacker.iterations;
  result.converged = attacker.converged;
  return result;
}

}  // namespace camu::metrics
