/**
 * Models: the built-in architectures (the paper's CNN, ResNet-18 with torchvision's layout, a
 * small MLP), user TorchScript modules, and weights on disk that PyTorch reads back.
 *
 * Every model returns logits and an embedding (the penultimate representation), which is all
 * CaMU needs. A Model is a handle on native weights: operations that change weights (training,
 * unlearning, loading weights) return a NEW model and leave their input untouched, unless an
 * option says otherwise.
 */
import { JobOptions, runJob, splitJobOptions } from './jobs';
import { Architecture, binding, Precision, RawCreateModelOptions, RawModel, RawTorchScriptOptions } from './native';

export type { Architecture, EvaluateOutput, Precision, RawInputSpec as InputSpec, RawModelExecution as ModelExecution, RawStateEntry as StateEntry } from './native';

/**
 * A native model. `forward(images)` runs one eval-mode pass without autograd on uint8 images
 * (scaled to [0, 1] and normalised with `inputSpec`) or float32 images (normalised only).
 * `stateInfo()` lists the PyTorch state_dict keys; `stateTensors()` copies them out.
 * `clone()` is a deep copy; `to(device)` a deep copy on 'cpu', 'cuda' or 'cuda:N'.
 */
export type Model = RawModel;

/** Options of {@link createModel}. */
export interface CreateModelOptions extends RawCreateModelOptions {
  /**
   * 'cnn': the paper's MNIST CNN (state_dict keys conv1.0.*, conv2.0.*, fc1.*, fc2.0.*, fc2.1.*;
   * embedding = fc1's 256-d output). 'resnet18': torchvision's ResNet-18 with the 224-px stem;
   * 'resnet18-cifar': the same with a 3x3 stride-1 stem and no max-pool (32-px inputs); both
   * embed into the 512-d pooled features. 'mlp': fc1, fc2 (ReLU, embedding), head.
   */
  architecture: Architecture;
  /** Classes C (default 10). */
  numClasses?: number;
  /** Image channels: default 1 for cnn, 3 for resnet. */
  inChannels?: number;
  /** cnn: square input side (default 28, the paper's). */
  inputSize?: number;
  /** mlp: flattened input size (default 784). */
  inFeatures?: number;
  /** mlp: hidden width (default 256). */
  hiddenSize?: number;
  /** Seed of the parameter initialisation (default 0); same seed, same weights. */
  seed?: number;
  /** Per-channel normalisation; default ImageNet's for 3-channel ResNets, none otherwise. */
  mean?: number[];
  std?: number[];
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: string;
  /**
   * ResNets only: 'bfloat16' runs the convolutions and the activations between them in bfloat16
   * (mixed precision: parameters, batch-norm statistics, the embedding, the head, losses,
   * gradients and the optimiser stay float32, and saved weights are float32). Faster on CPUs with
   * AVX-512 BF16 (`info().cpuBfloat16`) and on CUDA GPUs; results differ from float32 by
   * bfloat16's rounding (docs/performance.md, "bfloat16 ResNets", has the measured difference).
   * `model.execution.precision` reports it; copies, loads into it and device moves keep it.
   * Default 'float32'; other architectures fail with ERR_CAMU_UNSUPPORTED.
   */
  precision?: Precision;
}

/** Options of {@link loadTorchScript}. */
export interface TorchScriptOptions extends RawTorchScriptOptions {
  /**
   * Required, and must be true: a TorchScript file carries code (its `__setstate__` and `forward`
   * methods) that runs with this process's rights when it is loaded and used. Trust only files
   * whose source you trust; weights alone load without running code from safetensors
   * ({@link loadWeights}). Without it the load fails with ERR_CAMU_UNTRUSTED_CODE.
   */
  trustCode?: boolean;
  /**
   * Seconds one call into the module's code (the load itself, then each forward pass of a batch)
   * may run before an async job gives up on it with ERR_CAMU_STUCK (default 600; 0 = no limit).
   * The given-up call cannot be interrupted: its thread runs on until the process exits (which it
   * can), and the model fails with ERR_CAMU_STUCK while that call holds it. Synchronous calls
   * (loadTorchScriptSync, trainSync, ...) are not limited.
   */
  forwardTimeout?: number;
  /**
   * When forward returns only logits: the submodule paths (e.g. 'features', 'encoder.trunk') such
   * that logits = head(features(x)); embedding = features(x), flattened. Give both or neither.
   * Without them, forward must return (logits, embedding).
   */
  features?: string;
  head?: string;
  /** Per-sample input shape, e.g. [1, 28, 28]: the module is checked with one probe batch at load. */
  inputShape?: number[];
  /** Normalisation the module expects (default: what camu's export recorded, else none). */
  mean?: number[];
  std?: number[];
  /** Where to load it (default: where it was saved). */
  device?: string;
  /**
   * Run the module through camu's kernels when its forward is a chain of layers camu has kernels
   * for (conv2d, relu, max_pool2d, flatten/view, linear: e.g. the paper's CNN as a user's
   * nn.Module); `model.execution` says whether it does (default true). The module's own forward
   * checks the result on the first batch; false always runs the module's own forward.
   */
  camuKernels?: boolean;
}

/** True for a camu Model handle. */
export function isModel(value: unknown): value is Model {
  return binding.handleType(value) === 'Model';
}

/** Builds a built-in architecture with seeded initialisation (PyTorch's / torchvision's schemes). */
export function createModel(options: CreateModelOptions): Model {
  return binding.createModel(options);
}

/**
 * Loads a TorchScript module (torch.jit.save); needs `trustCode: true`, since the file's code runs
 * (docs/reliability.md, "Untrusted model files"). Errors say what was found and what is needed when
 * the module fits neither output convention, and name both versions when the file comes from a
 * newer torch than the linked libtorch.
 */
export function loadTorchScript(path: string, options: TorchScriptOptions & JobOptions = {}): Promise<Model> {
  const [job, load] = splitJobOptions(options, 'loadTorchScript');
  return runJob('loadTorchScript', job, (progress, flag) =>
    binding.loadTorchScript(path, load, progress, flag),
  );
}

export function loadTorchScriptSync(path: string, options: TorchScriptOptions = {}): Model {
  return binding.loadTorchScriptSync(path, options);
}

/**
 * A new model: a copy of `model` (same architecture) with the weights of a safetensors file keyed
 * like PyTorch's state_dict (parameters and buffers). Missing, unexpected or mis-shaped keys are
 * an error listing them; `model` is never changed.
 */
export function loadWeights(model: Model, path: string, options: JobOptions = {}): Promise<Model> {
  return runJob('loadWeights', options, (progress, flag) => binding.loadWeights(model, path, progress, flag));
}

export function loadWeightsSync(model: Model, path: string): Model {
  return binding.loadWeightsSync(model, path);
}

/** Options of {@link saveWeights}. */
export interface SaveWeightsOptions extends JobOptions {
  /** Extra string pairs for the safetensors __metadata__ (camu adds format=pt and the architecture). */
  metadata?: Record<string, string>;
}

/**
 * Writes the state_dict (parameters and buffers, PyTorch key names) as safetensors, atomically
 * (temp file + rename). In PyTorch: `model.load_state_dict(safetensors.torch.load_file(path))`.
 */
export async function saveWeights(model: Model, path: string, options: SaveWeightsOptions = {}): Promise<void> {
  const [job, { metadata }] = splitJobOptions(options, 'saveWeights');
  await runJob('saveWeights', job, (progress, flag) => binding.saveWeights(model, path, metadata, progress, flag));
}

export function saveWeightsSync(model: Model, path: string, metadata?: Record<string, string>): void {
  binding.saveWeightsSync(model, path, metadata);
}

/**
 * Writes the model as TorchScript, atomically. `torch.jit.load(path)` gives a module whose
 * forward returns (logits, embedding) and whose state_dict keys equal the model's. A TorchScript
 * model is written as its own (copied) module.
 */
export async function exportTorchScript(model: Model, path: string, options: JobOptions = {}): Promise<void> {
  await runJob('exportTorchScript', options, (progress, flag) => binding.exportTorchScript(model, path, progress, flag));
}

export function exportTorchScriptSync(model: Model, path: string): void {
  binding.exportTorchScriptSync(model, path);
}
