/**
 * One call that measures an unlearned model the way `camu reproduce` reports it: a native
 * inference pass per model over the train set and the test set (probabilities, per-sample loss
 * and predictions once each), then the metric functions on the rows of D_r, D_f, D_s and T.
 * Metric names are the keys of the metric catalogue (METRICS in lib/metrics/catalogue.ts).
 */
import { Dataset } from './datasets/dataset';
import { evaluate } from './evaluate';
import { checkInstance, checkObject, outOfRange } from './is';
import { checkJobOptions, JobOptions, Progress } from './jobs';
import { accuracy, distanceToRetrained, miaCamu, miaEfficacy, miaEntropy, miaLoss, MetricsRecord, zrf } from './metrics';
import type { Model } from './models';
import { Split } from './splits';

/** Rows of mia.camu's attacker training sets in the paper's protocol (docs/algorithm.md §6). */
export const CAMU_MIA_TRAIN_SIZE = 4000;

export interface UnlearningEvaluationInput {
  /** The model to measure (unlearned, original or retrained). */
  model: Model;
  /** The train set `split` was made from. */
  train: Dataset;
  test: Dataset;
  split: Split;
  /** The model retrained from scratch on D_r: gives distance.activation and distance.js. */
  retrained?: Model;
  /** A randomly initialised model of the same architecture: gives zrf and zrf.legacyBadTeacher. */
  random?: Model;
  /**
   * Classes whose test samples count as forgotten (acc.testRemaining / acc.testForgotten).
   * Default: the split's classes when it is a class removal; none otherwise.
   */
  forgottenClasses?: number[];
  /** Seeds the attacks' hold-out and fold draws; default 0. */
  seed?: number;
  /** Samples per inference batch; default 256. */
  batchSize?: number;
}

export interface UnlearningEvaluation {
  /** METRICS keys -> values; null where unavailable. */
  metrics: MetricsRecord;
  /** Why each null metric is unavailable. */
  unavailable: Record<string, string>;
  /** The attacker's training rows taken from D_s and from T for mia.camu. */
  miaCamuTrainSize: number;
}

/** Rows `indices` of a row-major [N, width] array. */
function gatherRows<T extends Float32Array | Int32Array>(values: T, width: number, indices: BigInt64Array): T {
  const out = new (values.constructor as { new (length: number): T })(indices.length * width);
  for (let i = 0; i < indices.length; ++i) {
    const from = Number(indices[i]) * width;
    out.set(values.subarray(from, from + width), i * width);
  }
  return out;
}

function gatherLabels(labels: BigInt64Array, indices: BigInt64Array): BigInt64Array {
  const out = new BigInt64Array(indices.length);
  for (let i = 0; i < indices.length; ++i) out[i] = labels[Number(indices[i])];
  return out;
}

function defaultForgottenClasses(split: Split): number[] | undefined {
  const scenario = split.scenario;
  if (scenario.type !== 'class' || !Array.isArray(scenario.classes)) return undefined;
  return (scenario.classes as number[]).slice();
}

/**
 * Every metric of `model` on `split`: acc.retain, acc.forget, acc.test (and acc.testRemaining /
 * acc.testForgotten for class removal), mia.camu, mia.loss, mia.entropy, mia.efficacy, distance.activation and
 * distance.js on D_f (with `retrained`), zrf and zrf.legacyBadTeacher on D_f (with `random`).
 *
 * mia.camu follows the paper's protocol (docs/algorithm.md §6): attacker members = the first 4000
 * of D_s in the split's order, non-members = the first 4000 test images; evaluation = all of D_f
 * against the test images after those, up to |D_f|. On a test set of fewer than 8000 images the
 * 4000 becomes ⌊|T| / 2⌋ so that evaluation non-members remain (reported as miaCamuTrainSize).
 */
export async function evaluateUnlearning(
  input: UnlearningEvaluationInput,
  options: JobOptions = {},
): Promise<UnlearningEvaluation> {
  checkObject(input, 'evaluateUnlearning: input');
  checkJobOptions(options, 'evaluateUnlearning');
  const { model, train, test, split, retrained, random } = input;
  checkInstance(train, Dataset, 'evaluateUnlearning: input.train');
  checkInstance(test, Dataset, 'evaluateUnlearning: input.test');
  checkInstance(split, Split, 'evaluateUnlearning: input.split');
  if (split.dataset.trainSize !== train.size || split.dataset.name !== train.name) {
    throw outOfRange(
      `evaluateUnlearning: the split was made for '${split.dataset.name}' (${split.dataset.trainSize} samples), ` +
        `not for '${train.name}' (${train.size} samples)`,
    );
  }
  const seed = input.seed ?? 0;
  const forgottenClasses = input.forgottenClasses ?? defaultForgottenClasses(split);
  const pass = { batchSize: input.batchSize, signal: options.signal };
  const { onProgress } = options;
  const report = (set: string) => onProgress && ((progress: Progress) => onProgress({ ...progress, phase: `evaluate ${set}` }));
  const outputs: ('probabilities' | 'loss' | 'predictions')[] = ['probabilities', 'loss', 'predictions'];

  const trainPass = await evaluate(model, train, { ...pass, outputs, onProgress: report('train') });
  const testPass = await evaluate(model, test, { ...pass, outputs, onProgress: report('test') });
  const numClasses = trainPass.numClasses;
  const trainLabels = train.labels.toTypedArray() as BigInt64Array;
  const testLabels = test.labels.toTypedArray() as BigInt64Array;
  const forget = split.forgetIndices.toTypedArray() as BigInt64Array;
  const retain = split.retainIndices.toTypedArray() as BigInt64Array;
  const sample = split.sampleIndices.toTypedArray() as BigInt64Array;
  const probabilities = trainPass.probabilities as Float32Array;
  const predictions = trainPass.predictions as Int32Array;
  const losses = trainPass.loss as Float32Array;
  const testProbabilities = testPass.probabilities as Float32Array;
  const matrix = (data: Float32Array) => ({ data, shape: [data.length / numClasses, numClasses] as [number, number] });

  const retainLabels = gatherLabels(trainLabels, retain);
  const forgetLabels = gatherLabels(trainLabels, forget);
  const forgetProbabilities = gatherRows(probabilities, numClasses, forget);
  const retainProbabilities = gatherRows(probabilities, numClasses, retain);
  const metrics: MetricsRecord = {};
  const unavailable: Record<string, string> = {};

  metrics['acc.retain'] = accuracy({
    predictions: gatherRows(predictions, 1, retain),
    labels: retainLabels,
    numClasses,
  }).percent;
  metrics['acc.forget'] = accuracy({
    predictions: gatherRows(predictions, 1, forget),
    labels: forgetLabels,
    numClasses,
  }).percent;
  const testAccuracy = accuracy({
    predictions: testPass.predictions as Int32Array,
    labels: testLabels,
    numClasses,
    forgottenClasses,
  });
  metrics['acc.test'] = testAccuracy.percent;
  if (forgottenClasses) {
    metrics['acc.testRemaining'] = testAccuracy.remainingClasses?.percent ?? null;
    metrics['acc.testForgotten'] = testAccuracy.forgottenClasses?.percent ?? null;
    for (const key of ['acc.testRemaining', 'acc.testForgotten']) {
      if (metrics[key] === null) unavailable[key] = 'the test set has no samples of these classes';
    }
  }

  const miaCamuTrainSize = Math.min(CAMU_MIA_TRAIN_SIZE, Math.floor(test.size / 2));
  const camu = await miaCamu(
    {
      sampleProbabilities: matrix(gatherRows(probabilities, numClasses, sample)),
      testProbabilities: matrix(testProbabilities),
      forgetProbabilities: matrix(forgetProbabilities),
      seed,
      trainSize: miaCamuTrainSize,
    },
    { signal: options.signal },
  );
  metrics['mia.camu'] = camu.metrics['mia.camu'];
  if (!camu.available) unavailable['mia.camu'] = camu.reason;

  metrics['mia.loss'] = miaLoss({ forgetLosses: gatherRows(losses, 1, forget), testLosses: testPass.loss as Float32Array, seed }).accuracy;
  metrics['mia.entropy'] = miaEntropy({
    retainProbabilities: matrix(retainProbabilities),
    testProbabilities: matrix(testProbabilities),
    forgetProbabilities: matrix(forgetProbabilities),
    seed,
  }).memberFraction;
  const efficacy = await miaEfficacy(
    {
      retainProbabilities: matrix(retainProbabilities),
      retainLabels,
      testProbabilities: matrix(testProbabilities),
      testLabels,
      forgetProbabilities: matrix(forgetProbabilities),
      forgetLabels,
      seed,
    },
    { signal: options.signal },
  );
  metrics['mia.efficacy'] = efficacy.efficacy;

  const onForgetSet = async (other: Model, set: string) =>
    (
      await evaluate(
        other,
        { dataset: train, indices: split.forgetIndices },
        { ...pass, outputs: ['probabilities'], onProgress: report(set) },
      )
    ).probabilities as Float32Array;
  if (retrained) {
    const distance = distanceToRetrained({
      probabilities: matrix(forgetProbabilities),
      retrainedProbabilities: matrix(await onForgetSet(retrained, 'retrained D_f')),
    });
    metrics['distance.activation'] = distance.activationDistance;
    metrics['distance.js'] = distance.jsDivergence;
  } else {
    for (const key of ['distance.activation', 'distance.js']) {
      metrics[key] = null;
      unavailable[key] = 'no retrained model was given';
    }
  }
  if (random) {
    const score = zrf({ probabilities: matrix(forgetProbabilities), randomProbabilities: matrix(await onForgetSet(random, 'random D_f')) });
    metrics.zrf = score.zrf;
    metrics['zrf.legacyBadTeacher'] = score.legacyBadTeacher;
    if (score.legacyBadTeacher === null) {
      unavailable['zrf.legacyBadTeacher'] = 'not finite: a softmax output is exactly 0 (log 0 in the legacy formula)';
    }
  } else {
    for (const key of ['zrf', 'zrf.legacyBadTeacher']) {
      metrics[key] = null;
      unavailable[key] = 'no randomly initialised model was given';
    }
  }
  return { metrics, unavailable, miaCamuTrainSize };
}
