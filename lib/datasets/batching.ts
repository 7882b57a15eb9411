/**
 * Seeded shuffled batching, the same native code the trainer and the CaMU engine use
 * (native/data/sampler.h). Exposed for inspection and for JS-driven loops.
 */
import { binding } from '../native';
import { Tensor } from './dataset';

export interface ShuffleOptions {
  /** Seeds the permutation. Default 0. */
  seed?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/** Positions 0..n−1 in a seeded random order, cut into int64 batches of `batchSize`. */
export function shuffledBatches(n: number, batchSize: number, options: ShuffleOptions = {}): Tensor[] {
  return binding.shuffledBatches(n, batchSize, options);
}

export interface PairedBatch {
  /** int64 [B]: positions into the counterfactual set. */
  pairs: Tensor;
  /** int64 [B]: train indices from the sample set D_s. */
  sample: Tensor;
}

/**
 * One CaMU removal epoch (docs/algorithm.md §3): the counterfactual pairs shuffled into
 * batches, walked in step with fresh shuffled batches of the sample set, stopping at the shorter.
 */
export function pairedEpochBatches(
  numPairs: number,
  sampleIndices: Tensor,
  batchSize: number,
  options: { seed?: number } = {},
): PairedBatch[] {
  return binding.pairedEpochBatches(numPairs, sampleIndices, batchSize, options);
}
