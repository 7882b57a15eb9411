#include "unlearn/camu.h"

#include <torch/torch.h>

#include <chrono>
#include <mutex>

#include "bridge/errors.h"
#include "data/sampler.h"
#include "train/trainer.h"

namespace camu::unlearn {

namespace {

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

constexpr int64_t kTeacherChunk = 256;

// Zeroes gradients in place, keeping them defined: the semantics of optimizer.zero_grad() in
// PyTorch 1.13, which the PyTorch original ran on. A parameter step 1 does not reach (the head)
// then still gets Adam's weight-decay update from opt_KL, as it does there; with
// set_to_none (PyTorch 2.x's default) it would be skipped.
void ZeroGradients(const std::vector<at::Tensor>& parameters) {
  for (const at::Tensor& parameter : parameters) {
    at::Tensor& grad = const_cast<at::Tensor&>(parameter).mutable_grad();
    if (grad.defined()) {
      grad.detach_();
      grad.zero_();
    }
  }
}

// The frozen teacher's embeddings of `inputs` (CPU, any length), computed in chunks on `device`.
at::Tensor TeacherEmbeddings(models::Model& teacher, const at::Tensor& inputs, const at::Device& device,
                             const JobContext& context) {
  torch::NoGradGuard noGrad;
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < inputs.size(0); start += kTeacherChunk) {
    context.CheckAborted();
    int64_t length = std::min(kTeacherChunk, inputs.size(0) - start);
    chunks.push_back(teacher.Forward(inputs.narrow(0, start, length).to(device)).embedding);
  }
  return at::cat(chunks);
}

struct StudentOutputs {
  models::ModelOutput sample;  // on x_r
  models::ModelOutput forget;  // on x_f
};

StudentOutputs StudentForward(models::Model& student, const at::Tensor& xr, const at::Tensor& xf, bool batched) {
  if (!batched) return {student.Forward(xr), student.Forward(xf)};
  models::ModelOutput both = student.Forward(at::cat({xr, xf}));
  int64_t br = xr.size(0), bf = xf.size(0);
  return {{both.logits.narrow(0, 0, br), both.embedding.narrow(0, 0, br)},
          {both.logits.narrow(0, br, bf), both.embedding.narrow(0, br, bf)}};
}

void CheckOptions(const CamuOptions& options, const data::DatasetView& train, const models::Model& original) {
  if (original.NumClasses() > 0 && original.NumClasses() != train.numClasses) {
    ThrowRangeError("the model has " + std::to_string(original.NumClasses()) + " classes but " + train.name + " has " +
                    std::to_string(train.numClasses));
  }
}

}  // namespace

CamuResult RunCamu(const models::Model& original, const data::DatasetView& train, const data::SplitView& split,
                   const CamuOptions& options, const JobContext& context) {
  CheckOptions(options, train, original);
  data::CheckSplitMatches(split, train, "split");
  const at::Device device = options.device;
  auto start = Clock::now();
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);

  CamuResult result;
  data::CounterfactualSet counterfactual =
      data::BuildCounterfactualSet(train, split, options.counterfactual, generator, context);
  result.pairs = counterfactual.forgetOrder.size(0);
  result.counterfactualSeconds = SecondsSince(start);
  auto removalStart = Clock::now();

  std::shared_ptr<models::Model> teacher, student;
  {
    std::lock_guard<std::mutex> lock(original.Mutex());
    teacher = original.Clone();
    student = original.Clone();
  }
  teacher->To(device);
  teacher->SetTraining(false);
  for (const at::Tensor& parameter : teacher->Parameters()) const_cast<at::Tensor&>(parameter).requires_grad_(false);
  student->To(device);
  student->SetTraining(true);
  const std::vector<at::Tensor> parameters = student->Parameters();
  torch::optim::Adam optimizerKL(parameters, torch::optim::AdamOptions(options.klLr).weight_decay(options.weightDecay));
  torch::optim::Adam optimizerCE(parameters,
                                 torch::optim::AdamOptions(options.impairLr).weight_decay(options.weightDecay));

  const bool batched = options.batchStudentPasses && !student->HasBatchStatistics();
  result.studentPassesBatched = batched;
  at::Tensor counterfactualLabels = counterfactual.labels.to(device);

  // Teacher caches: x~ is fixed for the run; D_s is too when its training transform is
  // deterministic (no augmentation), and the teacher is in eval mode, so its embeddings are too.
  at::Tensor teacherCounterfactual, teacherSample, samplePosition;
  if (options.cacheTeacherEmbeddings) {
    teacherCounterfactual = TeacherEmbeddings(*teacher, counterfactual.inputs, device, context);
    if (train.transform.geometry == data::Geometry::kNone) {
      teacherSample = TeacherEmbeddings(*teacher, data::GatherEvaluationInput(train, split.sample), device, context);
      // train index -> position in split.sample, to look the cache up by the sampler's indices.
      samplePosition = at::full({train.size()}, -1, at::kLong);
      samplePosition.index_put_({split.sample}, at::arange(split.sample.size(0), at::kLong));
      result.teacherSampleCached = true;
    }
  }

  const auto weightsFor = [&](int64_t br, double a, int64_t bf, double b) {
    return kernels::BlockWeights(br, a, bf, b, device);
  };
  int64_t stepsPerEpoch = -1, step = 0;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    auto epochStart = Clock::now();
    std::vector<data::PairedBatch> batches =
        data::PairedEpochBatches(result.pairs, split.sample, options.batchSize, generator);
    if (stepsPerEpoch < 0) stepsPerEpoch = static_cast<int64_t>(batches.size());
    CamuEpochStats stats;
    for (const data::PairedBatch& batch : batches) {
      context.CheckAborted();
      at::Tensor xr = data::GatherTrainingInput(train, batch.sample, generator, device);
      at::Tensor yr = data::GatherLabels(train, batch.sample).to(device);
      at::Tensor forgetIndices = counterfactual.forgetOrder.index_select(0, batch.pairs);
      at::Tensor xf = data::GatherTrainingInput(train, forgetIndices, generator, device);
      at::Tensor pairsOnDevice = batch.pairs.to(device);
      at::Tensor yTilde = counterfactualLabels.index_select(0, pairsOnDevice);
      const int64_t br = xr.size(0), bf = xf.size(0);

      at::Tensor teacherR, teacherCf;
      {
        torch::NoGradGuard noGrad;
        teacherCf = teacherCounterfactual.defined()
                        ? teacherCounterfactual.index_select(0, pairsOnDevice)
                        : teacher->Forward(counterfactual.inputs.index_select(0, batch.pairs).to(device)).embedding;
        teacherR = teacherSample.defined()
                       ? teacherSample.index_select(0, samplePosition.index_select(0, batch.sample).to(device))
                       : teacher->Forward(xr).embedding;
      }

      // Step 1, representation level: 0.5·KLsum(h_θo(x_r) ‖ h_θ(x_r)) + 0.5·KLsum(h_θo(x~) ‖ h_θ(x_f)).
      ZeroGradients(parameters);
      StudentOutputs first = StudentForward(*student, xr, xf, batched);
      at::Tensor kl = kernels::WeightedSoftmaxKL(
          at::cat({teacherR, teacherCf}), at::cat({first.sample.embedding, first.forget.embedding}),
          weightsFor(br, options.klSampleWeight, bf, options.klCounterfactualWeight), br, options.loss);
      kl.sum().backward();
      optimizerKL.step();

      // Step 2, output level, with fresh forward passes: 0.9·CE(f_θ(x_r), y_r) + 0.01·CE(f_θ(x_f), y~).
      ZeroGradients(parameters);
      StudentOutputs second = StudentForward(*student, xr, xf, batched);
      at::Tensor ce = kernels::WeightedCrossEntropy(
          at::cat({second.sample.logits, second.forget.logits}), at::cat({yr, yTilde}),
          weightsFor(br, options.ceSampleWeight / br, bf, options.ceCounterfactualWeight / bf), br, options.loss);
      ce.sum().backward();
      optimizerCE.step();

      at::Tensor terms = at::cat({kl.detach(), ce.detach()}).cpu();
      const float* t = terms.data_ptr<float>();
      stats.klSample += t[0];
      stats.klCounterfactual += t[1];
      stats.ceSample += t[2];
      stats.ceCounterfactual += t[3];
      ++stats.steps;
      ++step;
      context.Report({"removal",
                      step,
                      stepsPerEpoch * options.epochs,
                      {{"epoch", static_cast<double>(epoch + 1)},
                       {"klSample", t[0]},
                       {"klCounterfactual", t[1]},
                       {"ceSample", t[2]},
                       {"ceCounterfactual", t[3]}}});
    }
    if (stats.steps > 0) {
      stats.klSample /= stats.steps;
      stats.klCounterfactual /= stats.steps;
      stats.ceSample /= stats.steps;
      stats.ceCounterfactual /= stats.steps;
    }
    stats.seconds = SecondsSince(epochStart);
    result.epochs.push_back(stats);
  }
  student->SetTraining(false);
  for (const at::Tensor& parameter : parameters) {
    at::Tensor& grad = const_cast<at::Tensor&>(parameter).mutable_grad();
    if (grad.defined()) grad.reset();
  }
  result.model = student;
  result.removalSeconds = SecondsSince(removalStart);
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace camu::unlearn
