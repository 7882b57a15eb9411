/**
 * Training: the recipe of the paper's original models (Adam lr 1e-3, weight decay 1e-4,
 * cross-entropy, batch 32, 20 epochs by default), seeded. The same trainer makes original
 * models, the retrained-from-scratch reference on D_r (pass D_r's indices), and fine-tunes.
 *
 * By default training returns a NEW model and leaves its input untouched; with `inPlace: true`
 * the input model receives the trained weights when (and only when) training completes. Same
 * seed, thread count and libtorch give bitwise-identical weights on CPU.
 */
import { Dataset } from './datasets/dataset';
import { DistributedOptions, resolveDistributed } from './distributed';
import { checkInstance, invalidArgType, isObject } from './is';
import { JobOptions, runJob, splitJobOptions } from './jobs';
import { CreateModelOptions, createModel, Model } from './models';
import { binding, MaybeTensor, RawDataset, RawTensor } from './native';

/** Raw tensors: no geometry; uint8 images are scaled to [0, 1], then normalised with the model's inputSpec. */
export interface TensorData {
  /** uint8 [N, C, H, W] or float32 [N, ...] (already scaled: normalised only). */
  images: RawTensor;
  /** int64 [N], in [0, numClasses). */
  labels: RawTensor;
  /** int64 [M]: the samples to use (e.g. the retain set D_r); default all N. */
  indices?: RawTensor;
}

/**
 * Samples of a Dataset through its transform: training draws its augmentation (CIFAR's random
 * crop and flip), evaluation applies its deterministic part (resize + centre crop at 224 px).
 */
export interface DatasetSelection {
  dataset: Dataset;
  /** int64 [M]: the samples to use (e.g. the retain set D_r); default all N. */
  indices?: RawTensor;
}

/** A Dataset (all of it, through its transform), a selection of one, or raw tensors. */
export type TrainingData = Dataset | DatasetSelection | TensorData;

/** The binding's (imagesOrDataset, labels, indices) arguments for `data`. */
export function dataArguments(
  data: Dataset | DatasetSelection | { images: RawTensor; labels?: RawTensor; indices?: RawTensor },
  fn: string,
): [RawTensor | RawDataset, MaybeTensor, MaybeTensor] {
  if (data instanceof Dataset) return [data, undefined, undefined];
  if (!isObject(data)) {
    throw invalidArgType(`${fn}: data must be a Dataset, {dataset, indices?} or {images, labels, indices?}`);
  }
  if ('dataset' in data) {
    checkInstance(data.dataset, Dataset, `${fn}: data.dataset`);
    return [data.dataset, undefined, data.indices];
  }
  return [data.images, data.labels, data.indices];
}

export interface TrainOptions extends JobOptions {
  /** Default 20 (the paper's original models). */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam learning rate, default 1e-3. */
  learningRate?: number;
  /** Adam weight decay (L2, as torch.optim.Adam), default 1e-4. */
  weightDecay?: number;
  /** Seed of the per-epoch shuffle (default 0). */
  seed?: number;
  /** Reshuffle every epoch (default true); the last batch may be short, as in PyTorch's DataLoader. */
  shuffle?: boolean;
  /**
   * Step with camu's one-pass Adam (default true; CPU float32, and libtorch's multi-tensor kernel on
   * CUDA); false uses libtorch's Adam. Same formula: results differ by float rounding only.
   */
  fusedAdam?: boolean;
  /**
   * After every step, check every weight for NaN and infinities (ERR_CAMU_NON_FINITE naming the
   * weight). Default false: every step's loss is always checked, which catches divergence one
   * step later at no cost; this costs one reduction per weight tensor per step.
   */
  checkWeights?: boolean;
  /** Write the trained weights into `model` instead of returning a new one (default false). */
  inPlace?: boolean;
  /**
   * Data-parallel training as one rank of several (docs/distributed.md): explicit rendezvous
   * options, or 'env' for MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK (one process when
   * WORLD_SIZE is unset). Every rank must make the same call; each computes the loss on its shard
   * of every global batch of `batchSize`, and all step with the all-reduced gradient, so the result
   * equals one process's to float rounding (models without batch norm). Every rank gets the
   * trained model: writing it is the caller's choice (rank 0 only, in the CLI).
   */
  distributed?: DistributedOptions | 'env';
}

export interface TrainResult {
  /** The trained model: a new one, or `model` itself with `inPlace`. */
  model: Model;
  steps: number;
  samplesPerEpoch: number;
  /** Mean cross-entropy of each epoch's batches, sample-weighted. */
  epochLosses: number[];
  seconds: number;
  /** Data-parallel: seconds spent in the gradient all-reduce (waiting for other ranks included). */
  allReduceSeconds?: number;
}

/**
 * Trains in one native job. `onProgress` receives {phase: 'train', step, total, loss, epoch}
 * after every step; `signal` aborts between steps (the promise rejects with an AbortError and no
 * model is changed).
 */
export function train(model: Model, data: TrainingData, options: TrainOptions = {}): Promise<TrainResult> {
  const [job, { distributed, ...params }] = splitJobOptions(options, 'train');
  const raw = { ...params, distributed: resolveDistributed(distributed, 'train') };
  return runJob('train', job, (progress, flag) =>
    binding.train(model, ...dataArguments(data, 'train'), raw, progress, flag),
  );
}

/**
 * Builds a fresh model and trains it: the retrain-from-scratch reference on D_r when
 * `data.indices` selects D_r. `model.seed` seeds the initialisation, `options.seed` the shuffle.
 */
export function trainFromScratch(
  model: CreateModelOptions,
  data: TrainingData,
  options: Omit<TrainOptions, 'inPlace'> = {},
): Promise<TrainResult> {
  return train(createModel(model), data, { ...options, inPlace: true });
}
