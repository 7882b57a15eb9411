/**
 * The counterfactual (intervention) set of CaMU (docs/algorithm.md §2), built natively once
 * before the removal epochs:
 * 1. D_f (each index forgetRepeat times) in a seeded random order → `forgetOrder`;
 * 2. D_s in a seeded random order → `sampleOrder`; x~ = network input of x_s + u, u ~ U[0,1)
 *    elementwise, added after normalisation → `inputs()`;
 * 3. y~ = y_s, except where it equals the paired y_f: then redrawn uniformly from the other C−1
 *    classes → `labels`.
 * Pair i is (x_f = trainSet[forgetOrder[i]], y_f, inputs([i]), labels[i]).
 * x~ is not stored: its noise is a function of (noiseSeed, position), so `inputs()` makes any
 * pairs' x~ on demand, the same values every time (a stored x~ is n × C×H'×W' floats: 3 GB for
 * CIFAR-10 class 0 at 224 px).
 */
import { Dataset, Tensor } from './datasets/dataset';
import { checkInstance, checkObject } from './is';
import { JobOptions, runJob } from './jobs';
import { binding, RawCounterfactualSet } from './native';
import { Split } from './splits';

export interface CounterfactualOptions {
  /** Seeds the orders, the re-drawn labels and the noise. Default: the split's seed. */
  seed?: number;
  /** Add the U[0,1) noise (default true); false is the no-noise ablation. */
  noise?: boolean;
  /** Re-draw y~ where it equals y_f (default true); false is the no-re-draw ablation. */
  relabel?: boolean;
}

export interface CounterfactualSet {
  /** int64 [n]: train indices of the forget samples, n = |D_f| × forgetRepeat. */
  readonly forgetOrder: Tensor;
  /** int64 [n]: train indices of the sample-set images each x~ is made from. */
  readonly sampleOrder: Tensor;
  /** int64 [n]: y~. */
  readonly labels: Tensor;
  /** Seeds the noise of x~ (drawn from the seed after the orders and labels). */
  readonly noiseSeed: bigint;
  /** Whether x~ carries noise (false: the no-noise ablation). */
  readonly noise: boolean;
  /** n, the number of pairs. */
  readonly size: number;
  /**
   * x~ of the pairs at `positions` (each in [0, n); default: all n), float32 [k, C, H', W'] in
   * network-input space (for CIFAR at 224 px: 224×224). Made on the calling thread, on the set's
   * train set.
   */
  inputs(positions?: Tensor | Int32Array | BigInt64Array): Tensor;
}

function wrap(raw: RawCounterfactualSet, trainSet: Dataset): CounterfactualSet {
  const size = raw.forgetOrder.numel;
  return Object.freeze({
    ...raw,
    size,
    inputs(positions?: Tensor | Int32Array | BigInt64Array): Tensor {
      return binding.counterfactualInputs(trainSet, raw, positions);
    },
  });
}

function checkArgs(trainSet: unknown, split: unknown, options: unknown, fn: string): void {
  checkInstance(trainSet, Dataset, `${fn}: trainSet`);
  checkInstance(split, Split, `${fn}: split`);
  checkObject(options, `${fn}: options`);
}

/**
 * Builds the counterfactual set on a worker thread. `trainSet` must be the dataset the split was
 * made for (same name and size), else RangeError. The ablation flags change only what they name:
 * the pairs, the labels and the noise drawn are the same for the same seed.
 */
export function buildCounterfactualSet(
  trainSet: Dataset,
  split: Split,
  options: CounterfactualOptions & JobOptions = {},
): Promise<CounterfactualSet> {
  const fn = 'buildCounterfactualSet';
  return Promise.resolve().then(() => {
    checkArgs(trainSet, split, options, fn);
    const { signal, onProgress, seed = split.seed, noise, relabel } = options;
    return runJob(fn, { signal, onProgress }, (progress, flag) =>
      binding.buildCounterfactualSet(trainSet, split, { seed, noise, relabel }, progress, flag),
    ).then((raw) => wrap(raw, trainSet));
  });
}

/** buildCounterfactualSet on the calling thread (MNIST class 0: about a millisecond). */
export function buildCounterfactualSetSync(
  trainSet: Dataset,
  split: Split,
  options: CounterfactualOptions = {},
): CounterfactualSet {
  checkArgs(trainSet, split, options, 'buildCounterfactualSetSync');
  const { seed = split.seed, noise, relabel } = options;
  return wrap(binding.buildCounterfactualSetSync(trainSet, split, { seed, noise, relabel }), trainSet);
}
