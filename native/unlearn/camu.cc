#include "unlearn/camu.h"

#include <torch/torch.h>

#include <chrono>
#include <map>
#include <mutex>
#include <utility>

#include "bridge/errors.h"
#include "data/sampler.h"
#include "train/adam.h"
#include "train/trainer.h"

namespace camu::unlearn {

namespace {

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The student's outputs on x_r then x_f, row-concatenated as the loss kernels take them.
models::ModelOutput StudentForward(models::Model& student, const at::Tensor& xr, const at::Tensor& xf, bool batched) {
  if (batched) return student.Forward(at::cat({xr, xf}));
  models::ModelOutput sample = student.Forward(xr), forget = student.Forward(xf);
  return {at::cat({sample.logits, forget.logits}), at::cat({sample.embedding, forget.embedding})};
}

// The loss kernels' row weights depend only on the two block sizes of a batch: built once per
// shape instead of every step (on CUDA each build is a synchronising host-to-device copy).
class RowWeights {
 public:
  explicit RowWeights(const CamuOptions& options) : options_(options) {}
  struct Pair {
    at::Tensor kl, ce;
  };
  const Pair& For(int64_t br, int64_t bf) {
    auto found = cache_.find({br, bf});
    if (found != cache_.end()) return found->second;
    const CamuOptions& o = options_;
    Pair weights{kernels::BlockWeights(br, o.klSampleWeight, bf, o.klCounterfactualWeight, o.device),
                 kernels::BlockWeights(br, o.ceSampleWeight / br, bf, o.ceCounterfactualWeight / bf, o.device)};
    return cache_.emplace(std::make_pair(br, bf), std::move(weights)).first->second;
  }

 private:
  const CamuOptions& options_;
  std::map<std::pair<int64_t, int64_t>, Pair> cache_;
};

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
  // The reference's two Adam optimisers (§3) over the same parameters. Gradients are zeroed in
  // place (train::Adam::ZeroGrad), so the head, which step 1 does not reach, still gets opt_KL's
  // weight-decay update, as in the PyTorch original.
  train::Adam optimizerKL(parameters, options.klLr, options.weightDecay, options.fusedAdam);
  train::Adam optimizerCE(parameters, options.impairLr, options.weightDecay, options.fusedAdam);

  const bool batched = options.batchStudentPasses && !student->HasBatchStatistics();
  result.studentPassesBatched = batched;
  at::Tensor counterfactualLabels = counterfactual.labels.to(device);

  // Teacher caches: x~ is fixed for the run; D_s is too when its training transform is
  // deterministic (no augmentation); the teacher is frozen in eval mode, so their embeddings are
  // the same every epoch. The first epoch's steps compute them anyway (one batched teacher pass
  // per step) and store them; later epochs read them. Every pair and every D_s entry is in
  // exactly one batch of an epoch (PairedEpochBatches), so one epoch fills both caches.
  const bool cacheSample = options.cacheTeacherEmbeddings && train.transform.geometry == data::Geometry::kNone;
  at::Tensor teacherCounterfactual, teacherSample, samplePosition;
  if (options.cacheTeacherEmbeddings && result.pairs > 0) {
    // Allocated before the first step's buffers: blocks that outlive the steps but were allocated
    // among them kept glibc from reusing freed step buffers (17x the page faults, 2x the epoch).
    torch::NoGradGuard noGrad;
    at::Tensor firstPair = data::CounterfactualInputs(train, counterfactual, at::zeros({1}, at::kLong));
    const at::Tensor probe = teacher->Forward(firstPair.to(device)).embedding;
    teacherCounterfactual = at::empty({result.pairs, probe.size(1)}, probe.options());
    if (cacheSample) teacherSample = at::empty({split.sample.size(0), probe.size(1)}, probe.options());
  }
  if (cacheSample) {
    // train index -> position in split.sample, to file the cache by the sampler's indices.
    samplePosition = at::full({train.size()}, -1, at::kLong);
    samplePosition.index_put_({split.sample}, at::arange(split.sample.size(0), at::kLong));
  }
  result.teacherSampleCached = cacheSample;

  RowWeights rowWeights(options);
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
        at::Tensor samplePositions =
            cacheSample ? samplePosition.index_select(0, batch.sample).to(device) : at::Tensor();
        const bool cfCached = epoch > 0 && options.cacheTeacherEmbeddings;
        const bool sampleCached = epoch > 0 && cacheSample;
        if (!cfCached || !sampleCached) {
          // One teacher pass for what is not cached yet (eval mode: rows are independent).
          at::Tensor xcf =
              cfCached ? at::Tensor() : data::CounterfactualInputs(train, counterfactual, batch.pairs).to(device);
          at::Tensor embedding = teacher->Forward(sampleCached ? xcf : cfCached ? xr : at::cat({xr, xcf})).embedding;
          if (!sampleCached) teacherR = embedding.narrow(0, 0, br);
          if (!cfCached) teacherCf = embedding.narrow(0, sampleCached ? 0 : br, bf);
        }
        if (epoch == 0 && options.cacheTeacherEmbeddings) {
          teacherCounterfactual.index_copy_(0, pairsOnDevice, teacherCf);
          if (cacheSample) teacherSample.index_copy_(0, samplePositions, teacherR);
        }
        if (cfCached) teacherCf = teacherCounterfactual.index_select(0, pairsOnDevice);
        if (sampleCached) teacherR = teacherSample.index_select(0, samplePositions);
      }

      // Step 1, representation level: 0.5·KLsum(h_θo(x_r) ‖ h_θ(x_r)) + 0.5·KLsum(h_θo(x~) ‖ h_θ(x_f)).
      const RowWeights::Pair& weights = rowWeights.For(br, bf);
      optimizerKL.ZeroGrad();
      at::Tensor kl = kernels::WeightedSoftmaxKL(at::cat({teacherR, teacherCf}),
                                                 StudentForward(*student, xr, xf, batched).embedding, weights.kl, br,
                                                 options.loss);
      kl.sum().backward();
      optimizerKL.Step();

      // Step 2, output level, with fresh forward passes: 0.9·CE(f_θ(x_r), y_r) + 0.01·CE(f_θ(x_f), y~).
      optimizerCE.ZeroGrad();
      at::Tensor ce = kernels::WeightedCrossEntropy(StudentForward(*student, xr, xf, batched).logits,
                                                    at::cat({yr, yTilde}), weights.ce, br, options.loss);
      ce.sum().backward();
      optimizerCE.Step();

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
