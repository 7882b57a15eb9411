// The model interface: the seam between CaMU, the baselines, the trainer and the metrics on one
// side and the architectures (built-in CNN / ResNet-18 / MLP, user TorchScript modules) on the
// other. Anything that yields (logits, embedding) for a batch can be trained and unlearned.
#pragma once
#include <ATen/ATen.h>
#include <torch/script.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/job_context.h"
#include "data/transforms.h"

namespace camu::models {

struct ModelOutput {
  at::Tensor logits;     // [N, C], before softmax
  at::Tensor embedding;  // [N, D], the penultimate representation h(x) (docs/algorithm.md §5)
};

// Name -> tensor pairs in PyTorch state_dict order.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

class Model {
 public:
  virtual ~Model() = default;

  // `input`: a float32 network input [N, ...] (after data::ToNetworkInput with Input()) on
  // Device(). Autograd follows the caller: wrap inference in torch::NoGradGuard.
  // Throws a RangeError when the input shape does not fit the model (CheckInput).
  virtual ModelOutput Forward(const at::Tensor& input) = 0;

  // Train mode: batch statistics in BatchNorm (and running-stat updates), dropout active.
  virtual void SetTraining(bool training) = 0;
  virtual bool IsTraining() const = 0;

  // The trainable parameters (leaf tensors with requires_grad), in state_dict order; the tensors
  // alias the model's storage, so an optimizer over them trains the model.
  virtual std::vector<at::Tensor> Parameters() const = 0;
  // Parameters and persistent buffers (e.g. BatchNorm running_mean / running_var /
  // num_batches_tracked) under PyTorch's state_dict keys; tensors alias the model's storage.
  virtual NamedTensors NamedState() const = 0;

  // A deep copy (parameters, buffers, training mode, device) sharing no storage with this model:
  // CaMU keeps a frozen original and trains the copy.
  virtual std::shared_ptr<Model> Clone() const = 0;
  // Moves parameters and buffers to `device` in place.
  virtual void To(const at::Device& device) = 0;
  virtual at::Device Device() const = 0;

  // True when a forward pass in train mode mixes samples of a batch (BatchNorm): then two
  // batches must not be concatenated into one pass without changing the result.
  virtual bool HasBatchStatistics() const = 0;
  // "cnn", "resnet18", "resnet18-cifar", "mlp" or "torchscript".
  virtual std::string Architecture() const = 0;
  // How stored images become this model's input (normalisation).
  virtual const data::InputSpec& Input() const = 0;
  // Per-sample input shape, e.g. [1, 28, 28] or [784]; -1 marks a free dimension; empty when
  // unknown (a TorchScript module loaded without a declared input shape). A flat shape [F] also
  // accepts [N, C, H, W] batches with C*H*W = F (such models flatten their input).
  virtual std::vector<int64_t> InputShape() const = 0;
  // Number of classes C and embedding size D; -1 when unknown (TorchScript without input shape).
  virtual int64_t NumClasses() const = 0;
  virtual int64_t EmbeddingSize() const = 0;

  // A TorchScript module with the same parameters and buffers (copied) whose forward returns
  // (logits, embedding) and whose state_dict keys equal NamedState()'s. torch.jit.load reads it.
  virtual torch::jit::Module ToTorchScript() const = 0;

  // Copies `state` into the model's parameters and buffers (converting dtype / device).
  // Throws ERR_CAMU_FORMAT listing every missing, unexpected and mis-shaped key; nothing is
  // changed then. `source` names where the state came from (a file) in messages.
  void LoadState(const NamedTensors& state, const std::string& source);

  // RangeError naming `name` when `input` ([N, ...]) does not fit InputShape().
  void CheckInput(const at::Tensor& input, const std::string& name) const;

  // Held by every operation for as long as it reads or changes this model (jobs run on worker
  // threads; a second job on the same model waits). Synchronous entry points use try_lock and
  // fail with ERR_CAMU_STATE rather than block the JS thread.
  std::timed_mutex& Mutex() const { return mutex_; }

  // How Forward runs: camu's own code for a built-in architecture; for a TorchScript module,
  // camu's kernels on its recognised layers (models/layer_plan.h) or the module's own forward.
  struct Execution {
    std::string engine;               // "builtin" | "camu-kernels" | "torchscript"
    std::vector<std::string> layers;  // camu-kernels: one entry per layer
    std::string reason;               // torchscript: why camu's kernels do not run it
    std::string precision = "float32";  // the convolutions' compute type (BuiltinConfig::precision)
  };
  virtual Execution DescribeExecution() const { return {"builtin", {}, "", "float32"}; }

  // The time limit, in seconds, of one call into code the model runs that camu did not write (a
  // user's TorchScript forward; core/call_watch.h); 0 = none (the built-in architectures).
  virtual double CallTimeLimit() const { return 0; }
  // Set when a job gave up on a call that never returned while it held this model: an operation
  // that finds the lock taken then fails with ERR_CAMU_STUCK instead of waiting for it.
  void MarkStuck() { stuck_.store(true); }
  bool Stuck() const { return stuck_.load(); }

 private:
  mutable std::timed_mutex mutex_;
  std::atomic<bool> stuck_{false};
};

// Sets train or eval mode for a scope and restores the previous mode when it ends (also on a throw).
class TrainingModeGuard {
 public:
  TrainingModeGuard(Model& model, bool training) : model_(model), previous_(model.IsTraining()) {
    model_.SetTraining(training);
  }
  ~TrainingModeGuard() { model_.SetTraining(previous_); }
  TrainingModeGuard(const TrainingModeGuard&) = delete;
  TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

 private:
  Model& model_;
  bool previous_;
};

// For synchronous entry points: locks the model or throws ERR_CAMU_STATE naming `fn` when a job
// holds it.
std::unique_lock<std::timed_mutex> LockForSync(const Model& model, const std::string& fn);
// Waits for the model's lock where the context may block (a worker thread); LockForSync otherwise.
// The wait ends with ERR_CAMU_STUCK when the holder is a call that was given up (MarkStuck), and
// with an AbortError when the context is aborted.
std::unique_lock<std::timed_mutex> LockFor(const Model& model, const std::string& fn, const JobContext& context);

// Throws ERR_CAMU_NON_FINITE naming the first floating-point parameter or buffer that holds a NaN
// or an infinity, for the weight check after an optimiser step (`job` at `step` of `epoch`, from 1).
// One reduction per tensor: an opt-in check (checkWeights), not the per-step loss check.
void CheckFiniteWeights(const Model& model, const std::string& job, int64_t step, int64_t epoch);

// The options of the built-in architectures.
struct BuiltinConfig {
  std::string architecture;     // "cnn" | "resnet18" | "resnet18-cifar" | "mlp"
  int64_t numClasses = 10;
  int64_t inChannels = 1;       // cnn, resnet: image channels
  int64_t inputSize = 28;       // cnn: square image side (28 = the paper; flatten = 32*(s/4)^2)
  int64_t inFeatures = 784;     // mlp: flattened input size
  int64_t hiddenSize = 256;     // mlp: width of both hidden layers (embedding = second)
  uint64_t seed = 0;            // parameter initialisation (a seeded generator, not the global one)
  data::InputSpec input;        // normalisation the model expects
  // resnet: "bfloat16" runs the convolutions and the activations between them in bfloat16, while
  // parameters, batch-norm statistics, the embedding, the head, losses and gradients stay float32
  // (mixed precision: docs/performance.md, "bfloat16 ResNets"). Others: "float32" only.
  std::string precision = "float32";
};

// Builds a built-in architecture with seeded initialisation (PyTorch's / torchvision's schemes).
std::shared_ptr<Model> CreateBuiltin(const BuiltinConfig& config);

}  // namespace camu::models
