/** A small learnable problem and the measurements the baseline methods' tests share. */
import { createModel, evaluate, makeSplit, train } from '../../../lib';
import { CLASSES, quadrantsDataset } from '../../helpers/unlearning';
import type { Dataset, Model, Split } from '../../../lib';

export { CLASSES } from '../../helpers/unlearning';
const SIDE = 8;

export interface Problem {
  trainSet: Dataset;
  original: Model;
  classSplit: Split;
  randomSplit: Split;
}

/** A small CNN trained to (near) full accuracy, with class-0 and 10% random splits. */
export async function trainedProblem(): Promise<Problem> {
  const trainSet = quadrantsDataset();
  const start = createModel({ architecture: 'cnn', numClasses: CLASSES, inputSize: SIDE, seed: 1 });
  const original = (await train(start, { images: trainSet.images, labels: trainSet.labels }, { epochs: 5, seed: 1 })).model;
  const classSplit = makeSplit(trainSet, { type: 'class', classes: [0] }, { seed: 3 });
  const randomSplit = makeSplit(trainSet, { type: 'random', fraction: 0.1 }, { seed: 3 });
  return { trainSet, original, classSplit, randomSplit };
}

export const ints = (t: { toTypedArray(): unknown }) => Array.from(t.toTypedArray() as BigInt64Array, Number);

function rows(values: Float32Array, width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, r) => Array.from(values.subarray(r * width, (r + 1) * width)));
}

/** Logits of `model` on the given train indices (evaluation transform), one row per sample. */
export async function logits(model: Model, dataset: Dataset, indices: Split['forgetIndices']): Promise<number[][]> {
  const result = await evaluate(model, { dataset, indices }, { outputs: ['logits'] });
  return rows(result.logits as Float32Array, CLASSES);
}

export async function accuracyOn(model: Model, dataset: Dataset, indices: Split['forgetIndices']): Promise<number> {
  return (await evaluate(model, { dataset, indices })).accuracy as number;
}

export function argmax(row: number[]): number {
  return row.reduce((best, v, i) => (v > row[best] ? i : best), 0);
}

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/** Mean over rows of KL(softmax(p) ‖ softmax(q)). */
export function meanKl(p: number[][], q: number[][]): number {
  return (
    p.reduce((acc, row, r) => {
      const logP = logSoftmax(row);
      const logQ = logSoftmax(q[r]);
      return acc + logP.reduce((s, lp, i) => s + Math.exp(lp) * (lp - logQ[i]), 0);
    }, 0) / p.length
  );
}
