/**
 * Training: the recipe of the paper's original models (Adam lr 1e-3, weight decay 1e-4,
 * cross-entropy, batch 32, 20 epochs by default), seeded. The same trainer makes original
 * models, the retrained-from-scratch reference on D_r (pass D_r's indices), and fine-tunes.
 *
 * By default training returns a NEW model and leaves its input untouched; with `inPlace: true`
 * the input model receives the trained weights when (and only when) training completes. Same
 * seed, thread count and libtorch give bitwise-identical weights on CPU.
 */
import { JobOptions, runJob } from './jobs';
import { CreateModelOptions, createModel, Model } from './models';
import { binding, RawTensor } from './native';

/** Samples held natively. */
export interface TrainingData {
  /** uint8 [N, C, H, W] (scaled to [0, 1] and normalised with the model's inputSpec per batch) or float32 [N, ...]. */
  images: RawTensor;
  /** int64 [N], in [0, numClasses). */
  labels: RawTensor;
  /** int64 [M]: the samples to use (e.g. the retain set D_r); default all N. */
  indices?: RawTensor;
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
  /** Write the trained weights into `model` instead of returning a new one (default false). */
  inPlace?: boolean;
}

export interface TrainResult {
  /** The trained model: a new one, or `model` itself with `inPlace`. */
  model: Model;
  steps: number;
  samplesPerEpoch: number;
  /** Mean cross-entropy of each epoch's batches, sample-weighted. */
  epochLosses: number[];
  seconds: number;
}

/**
 * Trains in one native job. `onProgress` receives {phase: 'train', step, total, loss, epoch}
 * after every step; `signal` aborts between steps (the promise rejects with an AbortError and no
 * model is changed).
 */
export function train(model: Model, data: TrainingData, options: TrainOptions = {}): Promise<TrainResult> {
  const { signal, onProgress, ...params } = options;
  return runJob('train', { signal, onProgress }, (progress, flag) =>
    binding.train(model, data.images, data.labels, data.indices, params, progress, flag),
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
