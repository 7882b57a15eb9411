/**
 * Metrics of an unlearned model (docs/algorithm.md §6), computed natively from per-sample
 * outputs that batched inference produces (softmax probabilities, predictions, losses, labels).
 * Inputs are Tensor handles, or typed arrays that are copied in.
 *
 * Every result carries `metrics`: its headline numbers under precise names, which
 * `metricsRecord` merges and `gapsToRetrain` compares to the retrained model's record:
 *   acc.<set>[.remainingClasses|.forgottenClasses]  top-1 accuracy in percent
 *   mia.camu               CaMU-variant attack accuracy (XGBoost on sorted softmax rows), in [0, 1]
 *   mia.loss               loss logistic-regression attack, k-fold CV accuracy, in [0, 1]
 *   mia.entropy            fraction of D_f an entropy logistic-regression attacker calls member
 *   mia.efficacy           fraction of D_f an RBF-SVM confidence attacker calls non-member (MIA-efficacy)
 *   distance.activation    mean L2 distance of softmax rows to the retrained model's
 *   distance.jsDivergence  mean Jensen-Shannon divergence (natural log) to the retrained model
 *   zrf                    1 - mean JS(model, randomly initialised model), natural log
 *   zrf.legacyBadTeacher   the Bad-Teacher code's formula (legacy; see zrf())
 *   relearn.steps, rte, gap.<metric>                  see records.ts
 */
import { checkObject, checkString, isObject } from '../is';
import { JobOptions, runJob } from '../jobs';
import {
  AnyTypedArray,
  binding,
  RawAccuracyCount,
  RawMiaCamuResult,
  RawMiaEfficacyResult,
  RawMiaEntropyResult,
  RawMiaLossResult,
  RawTensor,
} from '../native';
import { MetricsRecord } from './records';

export { gapsToRetrain, metricsRecord, relearnTime, rte } from './records';
export type { MetricsRecord, RelearnInput, RelearnResult } from './records';
export * from './catalogue';

/** A [rows, classes] matrix: a Tensor, or a typed array with its shape. */
export type MatrixInput = RawTensor | { data: Float32Array | Float64Array; shape: [number, number] };
/** One value per sample (e.g. cross-entropy losses). */
export type ValuesInput = RawTensor | Float32Array | Float64Array;
/** One class index per sample. */
export type IndicesInput = RawTensor | BigInt64Array | Int32Array;
/** One flag per sample: non-zero selects the row. */
export type MaskInput = RawTensor | Uint8Array;

/** Typed arrays (and {data, shape}) are copied into tensors; anything else goes to the native check. */
function toTensor(value: unknown): RawTensor {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const array = value as AnyTypedArray;
    return binding.Tensor.fromTypedArray(array, [array.length]);
  }
  if (isObject(value) && 'data' in value && 'shape' in value) {
    const { data, shape } = value as { data: AnyTypedArray; shape: number[] };
    return binding.Tensor.fromTypedArray(data, shape);
  }
  return value as RawTensor;
}

export type AccuracyCount = RawAccuracyCount;

export interface AccuracyInput {
  /** Class scores [rows, classes] (probabilities or logits; argmax, first of ties) or class indices [rows]. */
  predictions: MatrixInput | IndicesInput;
  labels: IndicesInput;
  /** Counts only the rows it selects. */
  mask?: MaskInput;
  /** Also splits the count by label: remaining classes vs these (class removal). */
  forgottenClasses?: number[];
  /** Checks labels (and index predictions) against [0, numClasses); default: the score columns. */
  numClasses?: number;
  /** Names the set in `metrics`: 'test' gives 'acc.test', 'acc.test.remainingClasses', ...; default 'acc'. */
  set?: string;
}

export interface AccuracyResult extends AccuracyCount {
  remainingClasses?: AccuracyCount;
  forgottenClasses?: AccuracyCount;
  metrics: MetricsRecord;
}

/** Top-1 accuracy in percent (null over zero rows), optionally per class subset. */
export function accuracy(input: AccuracyInput): AccuracyResult {
  checkObject(input, 'accuracy: input');
  if (input.set !== undefined) checkString(input.set, 'accuracy: input.set');
  const result = binding.metricsAccuracy({
    predictions: toTensor(input.predictions),
    labels: toTensor(input.labels),
    mask: input.mask === undefined ? undefined : toTensor(input.mask),
    forgottenClasses: input.forgottenClasses,
    numClasses: input.numClasses,
  });
  const name = input.set === undefined ? 'acc' : `acc.${input.set}`;
  const metrics: MetricsRecord = { [name]: result.percent };
  if (result.remainingClasses) metrics[`${name}.remainingClasses`] = result.remainingClasses.percent;
  if (result.forgottenClasses) metrics[`${name}.forgottenClasses`] = result.forgottenClasses.percent;
  return { ...result, metrics };
}

export interface CamuMiaInput {
  /** Softmax outputs on D_s, in the split's order: the first `trainSize` rows are training members. */
  sampleProbabilities: MatrixInput;
  /** Softmax outputs on T: the first `trainSize` rows train, the next |D_f| rows evaluate. */
  testProbabilities: MatrixInput;
  /** Softmax outputs on D_f: the evaluation members. */
  forgetProbabilities: MatrixInput;
  /** Seeds the 1% hold-out draw and XGBoost; default 0. */
  seed?: number;
  /** Rows taken from the front of D_s and of T to train the attacker; default 4000 (the paper's protocol). */
  trainSize?: number;
}

export type CamuMiaResult = RawMiaCamuResult & { metrics: { 'mia.camu': number | null } };

function camuMiaOptions(input: CamuMiaInput) {
  checkObject(input, 'miaCamu: input');
  return {
    sampleProbabilities: toTensor(input.sampleProbabilities),
    testProbabilities: toTensor(input.testProbabilities),
    forgetProbabilities: toTensor(input.forgetProbabilities),
    seed: input.seed,
    trainSize: input.trainSize,
  };
}

function withCamuMetric(result: RawMiaCamuResult): CamuMiaResult {
  return { ...result, metrics: { 'mia.camu': result.available ? result.accuracy : null } };
}

/**
 * mia.camu, docs/algorithm.md §6: XGBoost (100 trees, binary:logistic, default depth, seeded,
 * nthread = camu's intra-op threads) on softmax rows sorted ascending; trained on the first
 * `trainSize` rows of D_s (members) and of T (non-members) less a seeded 1% hold-out; the
 * attacker's accuracy on all of D_f (members) and the next up to |D_f| test rows (non-members).
 * Resolves `{available: false, reason}` when camu was built without XGBoost.
 */
export function miaCamu(input: CamuMiaInput, options: JobOptions = {}): Promise<CamuMiaResult> {
  const raw = camuMiaOptions(input);
  return runJob('miaCamu', options, (progress, flag) => binding.metricsMiaCamu(raw, progress, flag)).then(
    withCamuMetric,
  );
}

export function miaCamuSync(input: CamuMiaInput): CamuMiaResult {
  return withCamuMetric(binding.metricsMiaCamuSync(camuMiaOptions(input)));
}

export interface LossMiaInput {
  /** Per-sample cross-entropy on D_f (members). */
  forgetLosses: ValuesInput;
  /** Per-sample cross-entropy on T (non-members). */
  testLosses: ValuesInput;
  /** Cross-validation folds; default 5. */
  folds?: number;
  /** Seeds the balancing subsample and the fold assignment; default 0. */
  seed?: number;
}

export type LossMiaResult = RawMiaLossResult & { metrics: { 'mia.loss': number } };

/**
 * mia.loss (the NeurIPS 2023 unlearning challenge's simple MIA): logistic regression on the
 * standardised loss (L2, C = 1 as scikit-learn's default), D_f vs T with the larger side
 * subsampled to the smaller, stratified k-fold cross-validated accuracy (mean over folds).
 */
export function miaLoss(input: LossMiaInput): LossMiaResult {
  checkObject(input, 'miaLoss: input');
  const result = binding.metricsMiaLoss({
    forgetLosses: toTensor(input.forgetLosses),
    testLosses: toTensor(input.testLosses),
    folds: input.folds,
    seed: input.seed,
  });
  return { ...result, metrics: { 'mia.loss': result.accuracy } };
}

export interface EntropyMiaInput {
  retainProbabilities: MatrixInput;
  testProbabilities: MatrixInput;
  forgetProbabilities: MatrixInput;
  /** Seeds the balancing subsample; default 0. */
  seed?: number;
}

export type EntropyMiaResult = RawMiaEntropyResult & { metrics: { 'mia.entropy': number } };

/**
 * mia.entropy: logistic regression on the prediction entropy (natural log), fitted on D_r
 * (member) vs T (non-member), balanced by subsampling the larger side; the fraction of D_f rows
 * it predicts member.
 */
export function miaEntropy(input: EntropyMiaInput): EntropyMiaResult {
  checkObject(input, 'miaEntropy: input');
  const result = binding.metricsMiaEntropy({
    retainProbabilities: toTensor(input.retainProbabilities),
    testProbabilities: toTensor(input.testProbabilities),
    forgetProbabilities: toTensor(input.forgetProbabilities),
    seed: input.seed,
  });
  return { ...result, metrics: { 'mia.entropy': result.memberFraction } };
}

export interface EfficacyMiaInput {
  /** Softmax outputs on D_r (the attacker's members) and their labels. */
  retainProbabilities: MatrixInput;
  retainLabels: IndicesInput;
  /** Softmax outputs on T (the attacker's non-members) and their labels. */
  testProbabilities: MatrixInput;
  testLabels: IndicesInput;
  /** Softmax outputs on D_f (what the attacker judges) and their labels. */
  forgetProbabilities: MatrixInput;
  forgetLabels: IndicesInput;
  /** Seeds the balancing subsample; default 0. */
  seed?: number;
}

export type EfficacyMiaResult = RawMiaEfficacyResult & { metrics: { 'mia.efficacy': number } };

function efficacyMiaOptions(input: EfficacyMiaInput) {
  checkObject(input, 'miaEfficacy: input');
  return {
    retainProbabilities: toTensor(input.retainProbabilities),
    retainLabels: toTensor(input.retainLabels),
    testProbabilities: toTensor(input.testProbabilities),
    testLabels: toTensor(input.testLabels),
    forgetProbabilities: toTensor(input.forgetProbabilities),
    forgetLabels: toTensor(input.forgetLabels),
    seed: input.seed,
  };
}

function withEfficacyMetric(result: RawMiaEfficacyResult): EfficacyMiaResult {
  return { ...result, metrics: { 'mia.efficacy': result.efficacy } };
}

/**
 * mia.efficacy, the "MIA-efficacy" of Jia et al. (NeurIPS 2023) and the papers that follow it: a
 * support vector classifier (RBF kernel, C = 3, gamma = 1, as scikit-learn's SVC(C=3,
 * gamma='auto') on one feature; LIBSVM's solver, tolerance 1e-3) on the true-class confidence
 * p_y, fitted on D_r (members) vs T (non-members) with the larger side subsampled (seeded) to the
 * smaller; the fraction of D_f it predicts non-member. Higher = D_f looks less like training data.
 * The fit is quadratic in the rows (seconds for 2 x 10000): a native job that an AbortSignal stops.
 */
export function miaEfficacy(input: EfficacyMiaInput, options: JobOptions = {}): Promise<EfficacyMiaResult> {
  const raw = efficacyMiaOptions(input);
  return runJob('miaEfficacy', options, (progress, flag) => binding.metricsMiaEfficacy(raw, progress, flag)).then(
    withEfficacyMetric,
  );
}

export function miaEfficacySync(input: EfficacyMiaInput): EfficacyMiaResult {
  return withEfficacyMetric(binding.metricsMiaEfficacySync(efficacyMiaOptions(input)));
}

export interface DistanceResult {
  /** Mean over rows of the L2 distance between the two softmax rows. */
  activationDistance: number;
  /** Mean over rows of JS(p, q) = 0.5 KL(p||m) + 0.5 KL(q||m), m = (p+q)/2, natural log (at most ln 2). */
  jsDivergence: number;
  rows: number;
  metrics: { 'distance.activation': number; 'distance.jsDivergence': number };
}

/** Distances of a model's softmax outputs to the retrained model's on the same rows (D_f in the protocol). */
export function distanceToRetrained(input: {
  probabilities: MatrixInput;
  retrainedProbabilities: MatrixInput;
}): DistanceResult {
  checkObject(input, 'distanceToRetrained: input');
  const result = binding.metricsDistanceToRetrained({
    probabilities: toTensor(input.probabilities),
    retrainedProbabilities: toTensor(input.retrainedProbabilities),
  });
  return {
    ...result,
    metrics: { 'distance.activation': result.activationDistance, 'distance.jsDivergence': result.jsDivergence },
  };
}

export interface ZrfResult {
  /** 1 - mean JS(model, random model), natural log: 1 for identical outputs, at least 1 - ln 2. */
  zrf: number;
  /** The mean JS divergence zrf is 1 minus. */
  jsDivergence: number;
  /**
   * Legacy: the Bad-Teacher code's UnLearningScore, 1 - (0.5 F.kl_div(log p, m) + 0.5 F.kl_div(log q, m))
   * with F.kl_div's default reduction 'mean' (over rows x classes, KL(m||p) direction). Not a JS
   * divergence; kept to compare with papers that copied it. null where it is not finite (any
   * zero probability: log 0).
   */
  legacyBadTeacher: number | null;
  rows: number;
  metrics: { zrf: number; 'zrf.legacyBadTeacher': number | null };
}

/** ZRF on D_f: the model's softmax outputs against those of a randomly initialised model of the same architecture. */
export function zrf(input: { probabilities: MatrixInput; randomProbabilities: MatrixInput }): ZrfResult {
  checkObject(input, 'zrf: input');
  const result = binding.metricsZrf({
    probabilities: toTensor(input.probabilities),
    randomProbabilities: toTensor(input.randomProbabilities),
  });
  return { ...result, metrics: { zrf: result.zrf, 'zrf.legacyBadTeacher': result.legacyBadTeacher } };
}
