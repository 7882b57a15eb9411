// CaMU, Causal Machine Unlearning (Shen et al., SDM 2024; docs/algorithm.md): a counterfactual set
// pairs each forget sample with a noised retained sample relabelled away from its class, then each
// step removes the forget set's causal effect at the representation level (KL to the frozen
// original's embeddings) and at the output level (cross-entropy), with two Adam optimisers.
#include <torch/torch.h>

#include <map>
#include <utility>

#include "data/counterfactual.h"
#include "data/sampler.h"
#include "kernels/intervention_loss.h"
#include "train/adam.h"
#include "train/trainer.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

struct CamuOptions {
  int64_t epochs = 10;
  double klLr = 4e-4;      // opt_KL, step 1
  double impairLr = 5e-4;  // opt_CE, step 2
  double weightDecay = 1e-4;
  int64_t batchSize = 32;
  // Loss weights. Setting one to 0 is the ablation "without that term".
  double klSampleWeight = 0.5;          // KLsum(h_θo(x_r) ‖ h_θ(x_r))
  double klCounterfactualWeight = 0.5;  // KLsum(h_θo(x~) ‖ h_θ(x_f))
  double ceSampleWeight = 0.9;          // CE_mean(f_θ(x_r), y_r)
  double ceCounterfactualWeight = 0.01; // CE_mean(f_θ(x_f), y~)
  data::CounterfactualOptions counterfactual;  // ablations: no noise, no label re-draw
  // Shortcuts that leave the result unchanged (each has a test against the plain computation):
  // the frozen teacher's embeddings of x~ (and of D_s when its transform is deterministic)
  // computed once instead of every step; the two student passes of a step batched into one
  // when the model has no batch statistics; where they stay two, each differentiated as soon as
  // its loss is known; the fused loss kernels.
  bool cacheTeacherEmbeddings = true;
  bool batchStudentPasses = true;
  bool backwardPerPass = true;
  bool fusedAdam = true;  // one-pass Adam (train/adam.h) where it applies (CPU float32), else libtorch's
  kernels::LossImplementation loss = kernels::LossImplementation::kFused;

  explicit CamuOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    klLr = o.Number("klLr", klLr);
    impairLr = o.Number("impairLr", impairLr);
    weightDecay = o.Number("weightDecay", weightDecay);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    klSampleWeight = o.Number("klSampleWeight", klSampleWeight);
    klCounterfactualWeight = o.Number("klCounterfactualWeight", klCounterfactualWeight);
    ceSampleWeight = o.Number("ceSampleWeight", ceSampleWeight);
    ceCounterfactualWeight = o.Number("ceCounterfactualWeight", ceCounterfactualWeight);
    counterfactual.noise = o.Boolean("noise", counterfactual.noise);
    counterfactual.relabel = o.Boolean("relabel", counterfactual.relabel);
    cacheTeacherEmbeddings = o.Boolean("cacheTeacherEmbeddings", cacheTeacherEmbeddings);
    batchStudentPasses = o.Boolean("batchStudentPasses", batchStudentPasses);
    backwardPerPass = o.Boolean("backwardPerPass", backwardPerPass);
    fusedAdam = o.Boolean("fusedAdam", fusedAdam);
    loss = o.Boolean("fusedLoss", true) ? kernels::LossImplementation::kFused : kernels::LossImplementation::kReference;
  }
};

// How a step's loss meets the student's passes over x_r and x_f.
enum class Passes {
  kBatched,       // one pass over both blocks (models without batch statistics)
  kJoint,         // two passes, their outputs concatenated, one backward through both
  kBackwardEach,  // two passes, each differentiated as soon as its loss is known
};

// Runs the student on x_r and x_f, applies `loss` and differentiates it; returns the loss's two
// terms, detached. `loss(output, first, count, split)` takes the model's output for the step's
// rows [first, first + count) (x_r's rows first, then x_f's) and `split`, where x_f's rows start
// within them. The loss is a row-weighted sum, so differentiating each pass on its own gives each
// parameter the same two gradient parts, summed in the same order, as one backward through both
// passes (bitwise the same result), while only one pass's saved activations are held at a time.
template <typename Loss>
at::Tensor DifferentiatedLoss(models::Model& student, const at::Tensor& xr, const at::Tensor& xf, Passes passes,
                              const Loss& loss) {
  const int64_t br = xr.size(0), bf = xf.size(0);
  if (passes == Passes::kBackwardEach) {
    at::Tensor sample = loss(student.Forward(xr), 0, br, br);
    sample.sum().backward();
    at::Tensor forget = loss(student.Forward(xf), br, bf, 0);
    forget.sum().backward();
    return sample.detach() + forget.detach();
  }
  models::ModelOutput output;
  if (passes == Passes::kBatched) {
    output = student.Forward(at::cat({xr, xf}));
  } else {
    models::ModelOutput sample = student.Forward(xr), forget = student.Forward(xf);
    output = {at::cat({sample.logits, forget.logits}), at::cat({sample.embedding, forget.embedding})};
  }
  at::Tensor terms = loss(output, 0, br + bf, br);
  terms.sum().backward();
  return terms.detach();
}

// The loss kernels' row weights depend only on the two block sizes of a batch: built once per
// shape instead of every step (on CUDA each build is a synchronising host-to-device copy).
class RowWeights {
 public:
  RowWeights(const CamuOptions& options, at::Device device) : options_(options), device_(device) {}
  struct Pair {
    at::Tensor kl, ce;
  };
  const Pair& For(int64_t br, int64_t bf) {
    auto found = cache_.find({br, bf});
    if (found != cache_.end()) return found->second;
    const CamuOptions& o = options_;
    Pair weights{kernels::BlockWeights(br, o.klSampleWeight, bf, o.klCounterfactualWeight, device_),
                 kernels::BlockWeights(br, o.ceSampleWeight / br, bf, o.ceCounterfactualWeight / bf, device_)};
    return cache_.emplace(std::make_pair(br, bf), std::move(weights)).first->second;
  }

 private:
  const CamuOptions& options_;
  at::Device device_;
  std::map<std::pair<int64_t, int64_t>, Pair> cache_;
};

class Camu : public Method {
 public:
  explicit Camu(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override {
    return {"klSample", "klCounterfactual", "ceSample", "ceCounterfactual"};
  }
  bool NeedsTeacher() const override { return true; }

  void Setup(Removal& run) override {
    counterfactual_ =
        data::BuildCounterfactualSet(run.train, run.split, options_.counterfactual, run.generator, run.context);
    pairs_ = counterfactual_.forgetOrder.size(0);
  }

  void Begin(Removal& run) override {
    const std::vector<at::Tensor> parameters = run.student->Parameters();
    // The reference's two Adam optimisers over the same parameters. Gradients are zeroed in
    // place (train::Adam::ZeroGrad), so the head, which step 1 does not reach, still gets opt_KL's
    // weight-decay update, as in the PyTorch original.
    optimizerKL_ = std::make_unique<train::Adam>(parameters, options_.klLr, options_.weightDecay, options_.fusedAdam);
    optimizerCE_ =
        std::make_unique<train::Adam>(parameters, options_.impairLr, options_.weightDecay, options_.fusedAdam);
    const bool batched = options_.batchStudentPasses && !run.student->HasBatchStatistics();
    passes_ = batched ? Passes::kBatched : options_.backwardPerPass ? Passes::kBackwardEach : Passes::kJoint;
    counterfactualLabels_ = counterfactual_.labels.to(run.device);
    rowWeights_ = std::make_unique<RowWeights>(options_, run.device);

    // Teacher caches: x~ is fixed for the run; D_s is too when its training transform is
    // deterministic (no augmentation); the teacher is frozen in eval mode, so their embeddings are
    // the same every epoch. The first epoch's steps compute them anyway (one batched teacher pass
    // per step) and store them; later epochs read them. Every pair and every D_s entry is in
    // exactly one batch of an epoch (PairedEpochBatches), so one epoch fills both caches.
    cacheSample_ = options_.cacheTeacherEmbeddings && run.train.transform.geometry == data::Geometry::kNone;
    if (options_.cacheTeacherEmbeddings && pairs_ > 0) {
      // Allocated before the first step's buffers: blocks that outlive the steps but were allocated
      // among them kept glibc from reusing freed step buffers (17x the page faults, 2x the epoch).
      torch::NoGradGuard noGrad;
      at::Tensor firstPair = data::CounterfactualInputs(run.train, counterfactual_, at::zeros({1}, at::kLong));
      const at::Tensor probe = run.teacher->Forward(firstPair.to(run.device)).embedding;
      teacherCounterfactual_ = at::empty({pairs_, probe.size(1)}, probe.options());
      if (cacheSample_) teacherSample_ = at::empty({run.split.sample.size(0), probe.size(1)}, probe.options());
    }
    if (cacheSample_) {
      // train index -> position in split.sample, to file the cache by the sampler's indices.
      samplePosition_ = at::full({run.train.size()}, -1, at::kLong);
      samplePosition_.index_put_({run.split.sample}, at::arange(run.split.sample.size(0), at::kLong));
    }
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (data::PairedBatch& batch : data::PairedEpochBatches(pairs_, run.split.sample, options_.batchSize, run.generator)) {
      steps.push_back({std::move(batch.pairs), std::move(batch.sample), {}, {}});
    }
    return steps;
  }

  // The two steps' differentiated losses over the rows of x_r then x_f: the teacher's embeddings
  // (or the labels) and the row weights are given for those rows.
  at::Tensor KLStep(models::Model& student, const at::Tensor& xr, const at::Tensor& xf, const at::Tensor& teacher,
                    const at::Tensor& rowWeights, Passes passes) const {
    return DifferentiatedLoss(student, xr, xf, passes,
                              [&](const models::ModelOutput& output, int64_t first, int64_t count, int64_t split) {
                                return kernels::WeightedSoftmaxKL(teacher.narrow(0, first, count), output.embedding,
                                                                  rowWeights.narrow(0, first, count), split, options_.loss);
                              });
  }

  at::Tensor CEStep(models::Model& student, const at::Tensor& xr, const at::Tensor& xf, const at::Tensor& labels,
                    const at::Tensor& rowWeights, Passes passes) const {
    return DifferentiatedLoss(student, xr, xf, passes,
                              [&](const models::ModelOutput& output, int64_t first, int64_t count, int64_t split) {
                                return kernels::WeightedCrossEntropy(output.logits, labels.narrow(0, first, count),
                                                                     rowWeights.narrow(0, first, count), split, options_.loss);
                              });
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    const data::DatasetView& train = run.train;
    const at::Device device = run.device;
    at::Tensor xr = data::GatherTrainingInput(train, batch.sample, run.generator, device);
    at::Tensor yr = data::GatherLabels(train, batch.sample).to(device);
    at::Tensor forgetIndices = counterfactual_.forgetOrder.index_select(0, batch.pairs);
    at::Tensor xf = data::GatherTrainingInput(train, forgetIndices, run.generator, device);
    at::Tensor pairsOnDevice = batch.pairs.to(device);
    at::Tensor yTilde = counterfactualLabels_.index_select(0, pairsOnDevice);
    const int64_t br = xr.size(0), bf = xf.size(0);

    at::Tensor teacherR, teacherCf;
    {
      torch::NoGradGuard noGrad;
      at::Tensor samplePositions =
          cacheSample_ ? samplePosition_.index_select(0, batch.sample).to(device) : at::Tensor();
      const bool cfCached = epoch > 0 && options_.cacheTeacherEmbeddings;
      const bool sampleCached = epoch > 0 && cacheSample_;
      if (!cfCached || !sampleCached) {
        // One teacher pass for what is not cached yet (eval mode: rows are independent).
        at::Tensor xcf =
            cfCached ? at::Tensor() : data::CounterfactualInputs(train, counterfactual_, batch.pairs).to(device);
        at::Tensor embedding = run.teacher->Forward(sampleCached ? xcf : cfCached ? xr : at::cat({xr, xcf})).embedding;
        if (!sampleCached) teacherR = embedding.narrow(0, 0, br);
        if (!cfCached) teacherCf = embedding.narrow(0, sampleCached ? 0 : br, bf);
      }
      if (epoch == 0 && options_.cacheTeacherEmbeddings) {
        teacherCounterfactual_.index_copy_(0, pairsOnDevice, teacherCf);
        if (cacheSample_) teacherSample_.index_copy_(0, samplePositions, teacherR);
      }
      if (cfCached) teacherCf = teacherCounterfactual_.index_select(0, pairsOnDevice);
      if (sampleCached) teacherR = teacherSample_.index_select(0, samplePositions);
    }

    models::Model& student = *run.student;
    const RowWeights::Pair& weights = rowWeights_->For(br, bf);
    if (run.group != nullptr) return ShardedSteps(run, xr, yr, xf, yTilde, teacherR, teacherCf, weights);
    // Step 1, representation level: 0.5·KLsum(h_θo(x_r) ‖ h_θ(x_r)) + 0.5·KLsum(h_θo(x~) ‖ h_θ(x_f)).
    optimizerKL_->ZeroGrad();
    at::Tensor kl = KLStep(student, xr, xf, at::cat({teacherR, teacherCf}), weights.kl, passes_);
    optimizerKL_->Step();

    // Step 2, output level, with fresh forward passes: 0.9·CE(f_θ(x_r), y_r) + 0.01·CE(f_θ(x_f), y~).
    optimizerCE_->ZeroGrad();
    at::Tensor ce = CEStep(student, xr, xf, at::cat({yr, yTilde}), weights.ce, passes_);
    optimizerCE_->Step();

    at::Tensor terms = at::cat({kl, ce}).cpu();
    const float* t = terms.data_ptr<float>();
    return {t[0], t[1], t[2], t[3]};
  }

  bool DataParallel() const override { return true; }

  // The same two steps as one rank of several: each loss is a row-weighted sum (the weights are the
  // global batch's), so a rank takes its shard of the D_s rows and of the forget rows with their
  // weights, and the summed all-reduce of the gradients (and of the loss terms) is the one-process
  // step's.
  std::vector<double> ShardedSteps(Removal& run, const at::Tensor& xr, const at::Tensor& yr, const at::Tensor& xf,
                                   const at::Tensor& yTilde, const at::Tensor& teacherR, const at::Tensor& teacherCf,
                                   const RowWeights::Pair& weights) {
    distributed::ProcessGroup& group = *run.group;
    const int64_t br = xr.size(0), bf = xf.size(0);
    auto [rb, re] = distributed::ShardRange(br, group.Rank(), group.WorldSize());
    auto [fb, fe] = distributed::ShardRange(bf, group.Rank(), group.WorldSize());
    const int64_t nr = re - rb, nf = fe - fb;
    auto rows = [&](const at::Tensor& sample, const at::Tensor& forget) {
      return at::cat({sample.narrow(0, rb, nr), forget.narrow(0, fb, nf)});
    };
    auto rowWeights = [&](const at::Tensor& all) { return rows(all.narrow(0, 0, br), all.narrow(0, br, bf)); };
    // One forward over both blocks when either shard is empty: a model is never run on zero rows.
    const Passes passes = nr == 0 || nf == 0 ? Passes::kBatched : passes_;
    const std::vector<at::Tensor> parameters = run.student->Parameters();
    models::Model& student = *run.student;
    std::vector<double> terms;

    optimizerKL_->ZeroGrad();
    std::vector<double> kl{0.0, 0.0};
    if (nr + nf > 0) {
      at::Tensor loss = KLStep(student, xr.narrow(0, rb, nr), xf.narrow(0, fb, nf), rows(teacherR, teacherCf),
                               rowWeights(weights.kl), passes);
      at::Tensor values = loss.cpu().to(at::kDouble);
      kl = {values[0].item<double>(), values[1].item<double>()};
    }
    kl = group.AllReduceGradients(parameters, 1.0, kl);
    optimizerKL_->Step();

    optimizerCE_->ZeroGrad();
    std::vector<double> ce{0.0, 0.0};
    if (nr + nf > 0) {
      at::Tensor loss = CEStep(student, xr.narrow(0, rb, nr), xf.narrow(0, fb, nf), rows(yr, yTilde),
                               rowWeights(weights.ce), passes);
      at::Tensor values = loss.cpu().to(at::kDouble);
      ce = {values[0].item<double>(), values[1].item<double>()};
    }
    ce = group.AllReduceGradients(parameters, 1.0, ce);
    optimizerCE_->Step();
    return {kl[0], kl[1], ce[0], ce[1]};
  }

  MethodDetails Details() const override {
    return {{"pairs", static_cast<double>(pairs_)},
            {"teacherSampleCached", cacheSample_},
            {"studentPassesBatched", passes_ == Passes::kBatched},
            {"backwardPerPass", passes_ == Passes::kBackwardEach}};
  }

 private:
  CamuOptions options_;
  data::CounterfactualSet counterfactual_;
  int64_t pairs_ = 0;  // |counterfactual set| = |D_f| * forgetRepeat
  std::unique_ptr<train::Adam> optimizerKL_, optimizerCE_;
  std::unique_ptr<RowWeights> rowWeights_;
  bool cacheSample_ = false;
  Passes passes_ = Passes::kBatched;
  at::Tensor counterfactualLabels_, teacherCounterfactual_, teacherSample_, samplePosition_;
};

}  // namespace

CAMU_REGISTER_METHOD("camu", Camu);

}  // namespace camu::unlearn
