/**
 * RMIA, the relative membership-inference attack of Zarifzadeh, Liu, Cheng, Shokri, "Low-Cost
 * High-Power Membership Inference Attacks", ICML 2024, from per-sample probabilities that
 * models already produced: the audited (target) model θ and K reference models θ_1..θ_K, each
 * trained on a known subset of the data.
 *
 * For a sample x, Pr(x|θ) is a model's probability of x's true class. The attack compares x
 * with population samples z (known non-members of θ):
 *   Pr(x)      the marginal over reference models: their mean Pr(x|θ_k) (online), or from the
 *              OUT models only through the offline approximation (see RmiaOptions.a);
 *   LR(x)      = Pr(x|θ) / Pr(x);
 *   LR(x, z)   = LR(x) / LR(z);
 *   score(x)   = the fraction of population samples z with LR(x, z) >= γ.
 * Higher scores mean "more likely a member of θ's training set".
 */
import { checkNumber, checkObject, checkOneOf, outOfRange } from '../is';
import { checkedFlags, checkedProbabilities, checkLength, checkList, Flags, Values } from './input';

/**
 * The offline approximation's default a: 0.33, the value the paper's authors configure for
 * CIFAR-10 in their released attack settings (0.6 for CIFAR-100). The paper tunes a per dataset
 * (from reference models, one posing as the target); camu's datasets are 10-class image sets
 * like CIFAR-10, so its value is the nearer starting point. Tune it when it matters.
 */
export const RMIA_OFFLINE_A = 0.33;

/** Probabilities of each sample's true class under the models, and the reference models' training sets. */
export interface RmiaSamples {
  /** Pr(x|θ): the audited model's probability of each sample's true class. */
  target: Values;
  /** reference[k][i] = Pr(x_i|θ_k): reference model k's probability of sample i's true class. */
  reference: readonly Values[];
  /**
   * inReference[k][i]: whether sample i was in reference model k's training set (IN) or not
   * (OUT). Required offline, where only OUT models count; online it is checked but not used.
   */
  inReference?: readonly Flags[];
}

export interface RmiaOptions {
  /**
   * 'online' (default): Pr(x) is the mean over all reference models, IN and OUT alike (the
   * paper's online attack, where x is IN for about half of them). 'offline': only OUT models,
   * through the approximation of option `a`.
   */
  mode?: 'online' | 'offline';
  /**
   * Offline only, in [0, 1]: the paper's linear approximation Pr_IN(x) ≈ a·Pr_OUT(x) + (1 − a),
   * which makes Pr(x) = ½(Pr_IN(x) + Pr_OUT(x)) = ½((1 + a)·Pr_OUT(x) + (1 − a)), Pr_OUT(x)
   * being the mean over OUT models. Default RMIA_OFFLINE_A (0.33); a = 1 uses Pr_OUT(x) alone.
   */
  a?: number;
  /** γ > 0: z counts when LR(x, z) >= γ. Default 1. */
  gamma?: number;
}

interface CheckedSamples {
  target: Float64Array;
  reference: Float64Array[];
  inReference?: Uint8Array[];
}

function checkSamples(samples: unknown, name: string, mode: 'online' | 'offline'): CheckedSamples {
  checkObject(samples, name);
  const { target, reference, inReference } = samples as RmiaSamples;
  const checkedTarget = checkedProbabilities(target, `${name}.target`);
  const n = checkedTarget.length;
  checkList(reference, `${name}.reference`, 'probability arrays (one per reference model)');
  if (reference.length === 0) throw outOfRange(`${name}.reference must hold at least one reference model, got none`);
  const checkedReference = reference.map((values, k) => {
    const probabilities = checkedProbabilities(values, `${name}.reference[${k}]`);
    checkLength(probabilities.length, n, `${name}.reference[${k}]`, 'one per sample of target');
    return probabilities;
  });
  if (inReference === undefined) {
    if (mode === 'offline') throw outOfRange(`${name}.inReference is required offline (to find each sample's OUT models), got undefined`);
    return { target: checkedTarget, reference: checkedReference };
  }
  checkList(inReference, `${name}.inReference`, 'flag arrays (one per reference model)');
  checkLength(inReference.length, reference.length, `${name}.inReference`, 'one per reference model');
  const checkedIn = inReference.map((flags, k) => {
    const checked = checkedFlags(flags, `${name}.inReference[${k}]`);
    checkLength(checked.length, n, `${name}.inReference[${k}]`, 'one per sample of target');
    return checked;
  });
  return { target: checkedTarget, reference: checkedReference, inReference: checkedIn };
}

interface CheckedOptions {
  mode: 'online' | 'offline';
  a: number;
  gamma: number;
}

/** The options with their defaults; coded errors naming a bad one (audit() checks them before any training). */
export function checkRmiaOptions(options: unknown, name: string): CheckedOptions {
  checkObject(options, name);
  const { mode = 'online', a = RMIA_OFFLINE_A, gamma = 1 } = options as RmiaOptions;
  checkOneOf(mode, `${name}.mode`, ['online', 'offline'] as const);
  checkNumber(a, `${name}.a`, { min: 0, max: 1 });
  checkNumber(gamma, `${name}.gamma`, { exclusiveMin: 0 });
  return { mode, a, gamma };
}

/** Pr(x) for each sample (see RmiaOptions); > 0 for every sample, or a RangeError naming it. */
function marginals(samples: CheckedSamples, options: CheckedOptions, name: string): Float64Array {
  const { reference, inReference } = samples;
  const out = new Float64Array(samples.target.length);
  for (let i = 0; i < out.length; i += 1) {
    let sum = 0;
    let count = 0;
    for (let k = 0; k < reference.length; k += 1) {
      if (options.mode === 'offline' && (inReference as Uint8Array[])[k][i] !== 0) continue;
      sum += reference[k][i];
      count += 1;
    }
    if (count === 0) {
      throw outOfRange(`${name}: sample ${i} has no OUT reference model (it is IN all ${reference.length}); offline RMIA needs at least one`);
    }
    const mean = sum / count;
    out[i] = options.mode === 'offline' ? 0.5 * ((1 + options.a) * mean + (1 - options.a)) : mean;
    if (out[i] === 0) {
      throw outOfRange(`${name}: sample ${i} has Pr(x) = 0 (every reference model counted gives it probability 0), so its likelihood ratio is undefined`);
    }
  }
  return out;
}

/** LR(x) = Pr(x|θ) / Pr(x) per sample. */
function likelihoodRatios(samples: CheckedSamples, options: CheckedOptions, name: string): Float64Array {
  const marginal = marginals(samples, options, name);
  return samples.target.map((probability, i) => probability / marginal[i]);
}

/**
 * Pr(x) per sample: the mean of the reference models' Pr(x|θ_k) online; offline the mean over
 * OUT models, Pr_OUT(x), made ½((1 + a)·Pr_OUT(x) + (1 − a)).
 */
export function rmiaMarginals(samples: RmiaSamples, options: RmiaOptions = {}): Float64Array {
  const checked = checkRmiaOptions(options, 'rmiaMarginals: options');
  return marginals(checkSamples(samples, 'rmiaMarginals: samples', checked.mode), checked, 'rmiaMarginals: samples');
}

/**
 * The RMIA score of each target sample x: the fraction of population samples z with
 * LR(x) / LR(z) >= γ, in [0, 1]. `targets` and `population` must come from the same reference
 * models, in the same order. The population's LRs are sorted once and each target's count is a
 * binary search: O((n + m) log m) for n targets and m population samples. The comparison is the
 * division itself, which is monotone in LR(z) under rounding, so the count equals the one
 * from comparing every pair.
 */
export function rmiaScores(targets: RmiaSamples, population: RmiaSamples, options: RmiaOptions = {}): Float64Array {
  const checked = checkRmiaOptions(options, 'rmiaScores: options');
  const x = checkSamples(targets, 'rmiaScores: targets', checked.mode);
  const z = checkSamples(population, 'rmiaScores: population', checked.mode);
  checkLength(z.reference.length, x.reference.length, 'rmiaScores: population.reference', "the targets' reference models");
  if (z.target.length === 0) throw outOfRange('rmiaScores: population must hold at least one sample, got none');
  const lrX = likelihoodRatios(x, checked, 'rmiaScores: targets');
  const lrZ = likelihoodRatios(z, checked, 'rmiaScores: population').sort();
  const { gamma } = checked;
  return lrX.map((ratio) => {
    // The count of z with ratio / lrZ[k] >= γ: true for a prefix of the ascending lrZ.
    let low = 0;
    let high = lrZ.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ratio / lrZ[middle] >= gamma) low = middle + 1;
      else high = middle;
    }
    return low / lrZ.length;
  });
}
