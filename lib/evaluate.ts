/** Batched inference in one native call: per-sample outputs as typed arrays, plus accuracy. */
import { Dataset } from './datasets/dataset';
import { JobOptions, runJob, splitJobOptions } from './jobs';
import { Model } from './models';
import { binding, EvaluateOutput, RawEvaluateOptions, RawEvaluateResult, RawTensor } from './native';
import { DatasetSelection, dataArguments } from './train';

/** Raw tensors as for training; labels are optional here. */
export interface UnlabelledTensorData {
  /** uint8 [N, C, H, W] or float32 [N, ...], as for training. */
  images: RawTensor;
  /** int64 [N]; needed for accuracy, meanLoss and the 'loss' output. */
  labels?: RawTensor;
  /** int64 [M]: evaluate only these samples, in this order. */
  indices?: RawTensor;
}

/** A Dataset (through its evaluation transform), a selection of one (in the given order), or raw tensors. */
export type EvaluationData = Dataset | DatasetSelection | UnlabelledTensorData;

export interface EvaluateOptions extends RawEvaluateOptions {
  /**
   * The most samples per forward pass (default 256). The samples are cut into the fewest batches
   * of at most this many, of sizes within one of each other (1200 samples: 5 of 240): a short
   * last batch would need buffers of a second size beside the full batches'.
   */
  batchSize?: number;
  /**
   * Per-sample outputs to return, row-major over the M evaluated samples: 'logits' and
   * 'probabilities' (Float32Array, M x numClasses), 'embeddings' (Float32Array, M x
   * embeddingSize), 'loss' (Float32Array, cross-entropy per sample), 'predictions' (Int32Array).
   */
  outputs?: EvaluateOutput[];
}

/**
 * count, numClasses, embeddingSize; with labels also correct, accuracy (in [0, 1]) and meanLoss;
 * and the requested outputs.
 */
export type EvaluateResult = RawEvaluateResult;

/** Runs the model in eval mode (its mode is restored) without autograd, in one native job. */
export function evaluate(model: Model, data: EvaluationData, options: EvaluateOptions & JobOptions = {}): Promise<EvaluateResult> {
  const [job, params] = splitJobOptions(options, 'evaluate');
  return runJob('evaluate', job, (progress, flag) =>
    binding.evaluate(model, ...dataArguments(data, 'evaluate'), params, progress, flag),
  );
}

export function evaluateSync(model: Model, data: EvaluationData, options: EvaluateOptions = {}): EvaluateResult {
  return binding.evaluateSync(model, ...dataArguments(data, 'evaluateSync'), options);
}
