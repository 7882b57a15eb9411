/**
 * U-LiRA, the unlearning likelihood-ratio attack of Hayes, Shumailov, Triantafillou, Khalifa,
 * Papernot, "Inexact Unlearning Needs More Careful Evaluations to Avoid a False Sense of
 * Privacy", 2024 (arXiv:2403.01218): LiRA (Carlini et al., "Membership Inference Attacks From
 * First Principles", S&P 2022) turned on unlearning. For each audited example, shadow
 * experiments give two sets of its logit-scaled confidence φ:
 *   unlearned  φ under shadow models that trained on the example and then unlearned it (it was
 *              in their forget set), by the method audited;
 *   retrained  φ under shadow models retrained from scratch without it.
 * Each set is fitted with a Gaussian, and the audited model's φ is scored by the log likelihood
 * ratio log N(φ; μ_u, σ_u²) − log N(φ; μ_r, σ_r²): higher means it looks unlearned rather than
 * retrained, i.e. the unlearning left a trace an attacker can see.
 */
import { checkNumber, checkObject, checkOneOf, invalidArgType, outOfRange } from '../is';
import { checkedProbabilities, checkLength, checkList, Values } from './input';
import { RocSummary, RocSummaryOptions, Scores, summarize } from './roc';

/**
 * The default clamp of probabilities into [ε, 1 − ε] before the logit: 2^-24, half the spacing
 * of float32 numbers just below 1. The core's softmax outputs float32, whose values below 1 are
 * 1 − k·2^-24, so every one of them keeps its own φ, and p = 1 (a saturated softmax) maps to the
 * φ of the largest float32 below 1 (about 16.6) instead of +∞. The lower end is clamped
 * symmetrically.
 */
export const LOGIT_EPSILON = 2 ** -24;

/**
 * Variance floor: a fitted variance below 1e-6 (σ below 1e-3, in φ units) is raised to it, so
 * that shadow models agreeing exactly (e.g. all saturated at the clamp) give a very peaked but
 * finite density instead of a zero variance.
 */
export const VARIANCE_FLOOR = 1e-6;

/** Below this many observations per example on either side, variance 'auto' pools (global). */
export const PER_EXAMPLE_VARIANCE_MIN_OBSERVATIONS = 64;

/** φ(p) = log(p / (1 − p)) with p clamped into [ε, 1 − ε]. */
export function logitConfidence(probability: number, epsilon: number = LOGIT_EPSILON): number {
  checkNumber(probability, 'logitConfidence: probability', { min: 0, max: 1 });
  checkEpsilon(epsilon, 'logitConfidence: epsilon');
  return logit(probability, epsilon);
}

function checkEpsilon(epsilon: unknown, name: string): asserts epsilon is number {
  checkNumber(epsilon, name, { exclusiveMin: 0 });
  if (!(epsilon < 0.5)) throw outOfRange(`${name} must be in (0, 0.5), got ${epsilon}`);
}

function logit(probability: number, epsilon: number): number {
  const p = Math.min(1 - epsilon, Math.max(epsilon, probability));
  return Math.log(p / (1 - p));
}

/** Observations of each audited example's true-class probability under shadow models. */
export interface UliraObservations {
  /** unlearned[i]: example i's probability under each shadow model that unlearned it. */
  unlearned: readonly Values[];
  /** retrained[i]: example i's probability under each shadow model retrained without it. */
  retrained: readonly Values[];
}

export interface UliraFitOptions {
  /**
   * 'per-example': each example's own variance on each side (needs 2 observations at least).
   * 'global': one variance per side pooled over all examples, the within-example variance
   * Σ_i Σ_j (φ_ij − μ_i)² / Σ_i n_i (each example keeps its own mean). 'auto' (default):
   * per-example when every example has at least 64 observations on both sides, else global, as
   * LiRA advises for few shadow models (Carlini et al. 2022 find per-example variances too noisy
   * below 64 shadow models, where a global variance does better).
   */
  variance?: 'auto' | 'per-example' | 'global';
  /** The clamp of probabilities before the logit; default LOGIT_EPSILON. */
  epsilon?: number;
}

/** One Gaussian per example: its mean and variance of φ (with global variance, one value repeated). */
export interface GaussianFits {
  mean: Float64Array;
  variance: Float64Array;
}

export interface UliraFit {
  unlearned: GaussianFits;
  retrained: GaussianFits;
  /** Which variance was fitted ('auto' resolved). */
  variance: 'per-example' | 'global';
  /** The clamp used; scoring uses the same. */
  epsilon: number;
}

/** φ of every observation, per example; each example needs one observation at least. */
function logits(perExample: unknown, name: string, count: number | undefined, epsilon: number): Float64Array[] {
  checkList(perExample, name, 'probability arrays (one per example)');
  if (count !== undefined) checkLength(perExample.length, count, name, 'one per example of unlearned');
  return perExample.map((values, i) => {
    const probabilities = checkedProbabilities(values, `${name}[${i}]`);
    if (probabilities.length === 0) throw outOfRange(`${name}[${i}] must hold at least one observation, got none`);
    return probabilities.map((p) => logit(p, epsilon));
  });
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Σ (φ − μ)² of one example. */
function squaredDeviations(values: Float64Array, centre: number): number {
  let sum = 0;
  for (const value of values) sum += (value - centre) ** 2;
  return sum;
}

/**
 * Maximum-likelihood Gaussians (variance divides by n, not n − 1), floored at VARIANCE_FLOOR.
 * Per-example needs n >= 2 for every example; global needs one example with n >= 2.
 */
function fitSide(observations: Float64Array[], variance: 'per-example' | 'global', name: string): GaussianFits {
  const means = Float64Array.from(observations, mean);
  if (variance === 'per-example') {
    const variances = Float64Array.from(observations, (values, i) => {
      if (values.length < 2) {
        throw outOfRange(`${name}[${i}] has ${values.length} observation; a per-example variance needs 2 at least (use variance 'global')`);
      }
      return Math.max(VARIANCE_FLOOR, squaredDeviations(values, means[i]) / values.length);
    });
    return { mean: means, variance: variances };
  }
  let deviations = 0;
  let total = 0;
  observations.forEach((values, i) => {
    deviations += squaredDeviations(values, means[i]);
    total += values.length;
  });
  if (total === observations.length) {
    throw outOfRange(`${name} has one observation per example; a variance needs an example with 2 at least`);
  }
  // Maximum likelihood like the per-example fit: divided by Σ n_i.
  return { mean: means, variance: new Float64Array(observations.length).fill(Math.max(VARIANCE_FLOOR, deviations / total)) };
}

/**
 * Fits the two Gaussians of every example from its shadow observations: mean and variance of
 * φ (maximum likelihood; see UliraFitOptions.variance for per-example vs global).
 */
export function fitUlira(observations: UliraObservations, options: UliraFitOptions = {}): UliraFit {
  checkObject(observations, 'fitUlira: observations');
  checkObject(options, 'fitUlira: options');
  const { variance = 'auto', epsilon = LOGIT_EPSILON } = options;
  checkOneOf(variance, 'fitUlira: options.variance', ['auto', 'per-example', 'global'] as const);
  checkEpsilon(epsilon, 'fitUlira: options.epsilon');
  const unlearned = logits(observations.unlearned, 'fitUlira: observations.unlearned', undefined, epsilon);
  const retrained = logits(observations.retrained, 'fitUlira: observations.retrained', unlearned.length, epsilon);
  if (unlearned.length === 0) throw outOfRange('fitUlira: observations must hold at least one example, got none');
  let fewest = Infinity;
  for (const values of [...unlearned, ...retrained]) fewest = Math.min(fewest, values.length);
  const resolved = variance !== 'auto' ? variance : fewest >= PER_EXAMPLE_VARIANCE_MIN_OBSERVATIONS ? 'per-example' : 'global';
  return {
    unlearned: fitSide(unlearned, resolved, 'fitUlira: observations.unlearned'),
    retrained: fitSide(retrained, resolved, 'fitUlira: observations.retrained'),
    variance: resolved,
    epsilon,
  };
}

/** log N(x; μ, σ²) = −½·log(2πσ²) − (x − μ)² / (2σ²). */
function logNormalDensity(x: number, mu: number, variance: number): number {
  return -0.5 * Math.log(2 * Math.PI * variance) - (x - mu) ** 2 / (2 * variance);
}

/** A fit as fitUlira returns it: per-example Float64Arrays of one length, positive variances. */
function checkFit(fit: unknown, name: string): asserts fit is UliraFit {
  checkObject(fit, name);
  const { unlearned, retrained, epsilon } = fit as UliraFit;
  checkEpsilon(epsilon, `${name}.epsilon`);
  const length = (unlearned as GaussianFits | undefined)?.mean?.length;
  for (const [side, fits] of [['unlearned', unlearned], ['retrained', retrained]] as const) {
    checkObject(fits, `${name}.${side}`);
    for (const key of ['mean', 'variance'] as const) {
      const values: unknown = fits[key];
      if (!(values instanceof Float64Array) || values.length !== length) {
        throw invalidArgType(`${name}.${side}.${key} must be a Float64Array with one value per example, as fitUlira returns`);
      }
    }
    fits.variance.forEach((variance, i) => {
      if (!(variance > 0)) throw outOfRange(`${name}.${side}.variance[${i}] must be > 0, got ${variance}`);
    });
  }
}

/**
 * The U-LiRA score of each example under the audited model: its probability p_i becomes
 * φ_i = φ(p_i) (clamped with the fit's ε), scored log N(φ_i; μ_u,i, σ_u,i²) − log N(φ_i; μ_r,i, σ_r,i²).
 */
export function uliraScores(fit: UliraFit, target: Values): Float64Array {
  checkFit(fit, 'uliraScores: fit');
  const probabilities = checkedProbabilities(target, 'uliraScores: target');
  const { unlearned, retrained, epsilon } = fit;
  checkLength(probabilities.length, unlearned.mean.length, 'uliraScores: target', 'one per example of the fit');
  return probabilities.map((p, i) => {
    const phi = logit(p, epsilon);
    return logNormalDensity(phi, unlearned.mean[i], unlearned.variance[i]) - logNormalDensity(phi, retrained.mean[i], retrained.variance[i]);
  });
}

/**
 * How well U-LiRA tells unlearning from retraining: the ROC summary (rocSummary) with the
 * scores of audited models that unlearned the examples as positives and those of models
 * retrained without them as negatives. AUC 0.5 and TPR at low FPR near that FPR mean the
 * unlearning looks like retraining to this attack.
 */
export function uliraEvaluation(unlearnedScores: Scores, retrainedScores: Scores, options: RocSummaryOptions = {}): RocSummary {
  return summarize(unlearnedScores, retrainedScores, options, 'uliraEvaluation', ['unlearnedScores', 'retrainedScores']);
}
