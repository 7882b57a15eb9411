/**
 * ROC analysis of a membership-inference attack: the curve, its area, the true-positive rate at
 * a fixed low false-positive rate (the number Carlini et al., "Membership Inference Attacks From
 * First Principles", S&P 2022, argue an attack should be judged by), and percentile-bootstrap
 * confidence intervals for them (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993,
 * ch. 13).
 *
 * Scores are oriented so that higher means "more likely a member": the attack says "member" at
 * threshold t when score >= t. Members are the positives, non-members the negatives.
 */
import { checkInteger, checkNumber, checkObject, outOfRange } from '../is';
import { checkedScores, checkList, Values } from './input';
import { createRng } from './random';

/**
 * Per-sample attack scores: higher means more likely a member. They compare as the numbers they
 * hold: a float32 0.8 and a float64 0.8 differ, so give both sets in one precision for ties to tie.
 */
export type Scores = Values;

/**
 * ROC points in order of decreasing threshold, from (0, 0) (a threshold above every score) to
 * (1, 1). Plain number arrays, for plots and JSON.
 */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
}

/**
 * The vertices of the ROC curve as counts: (tp[k], fp[k]) for k < count are the members and
 * non-members at or above the k-th distinct threshold (k = 0: none), each weighted by
 * `memberWeights`/`nonMemberWeights` (bootstrap multiplicities; absent: 1 each). Scores must be
 * sorted in decreasing order. Equal scores form one threshold, hence one step: a tie between
 * members and non-members is a diagonal step. A threshold whose samples all have weight 0 adds no
 * vertex.
 */
function rocVertices(
  members: Float64Array,
  memberWeights: Uint32Array | undefined,
  nonMembers: Float64Array,
  nonMemberWeights: Uint32Array | undefined,
  tp: Float64Array,
  fp: Float64Array,
): number {
  let i = 0;
  let j = 0;
  let truePositives = 0;
  let falsePositives = 0;
  tp[0] = 0;
  fp[0] = 0;
  let count = 1;
  while (i < members.length || j < nonMembers.length) {
    let threshold: number;
    if (i === members.length) threshold = nonMembers[j];
    else if (j === nonMembers.length) threshold = members[i];
    else threshold = members[i] >= nonMembers[j] ? members[i] : nonMembers[j];
    for (; i < members.length && members[i] === threshold; i += 1) truePositives += memberWeights ? memberWeights[i] : 1;
    for (; j < nonMembers.length && nonMembers[j] === threshold; j += 1) falsePositives += nonMemberWeights ? nonMemberWeights[j] : 1;
    if (truePositives !== tp[count - 1] || falsePositives !== fp[count - 1]) {
      tp[count] = truePositives;
      fp[count] = falsePositives;
      count += 1;
    }
  }
  return count;
}

/**
 * The trapezoidal area under the vertices. On integer counts the sum is exact, so the result is
 * (2·#{member > non-member} + #{ties}) / (2·P·N) rounded once: the Mann-Whitney probability
 * P(s_member > s_non) + ½·P(tie).
 */
function verticesAuc(tp: Float64Array, fp: Float64Array, count: number): number {
  let twiceArea = 0;
  for (let k = 1; k < count; k += 1) twiceArea += (fp[k] - fp[k - 1]) * (tp[k] + tp[k - 1]);
  return twiceArea / (2 * tp[count - 1] * fp[count - 1]);
}

/** The highest TPR among vertices with FPR <= maxFpr (see tprAtFpr). */
function verticesTprAtFpr(tp: Float64Array, fp: Float64Array, count: number, maxFpr: number): number {
  const positives = tp[count - 1];
  const negatives = fp[count - 1];
  let best = 0;
  // FPR never decreases along the vertices and TPR never decreases either: the last admissible vertex is the best.
  for (let k = 0; k < count && fp[k] / negatives <= maxFpr; k += 1) best = tp[k];
  return best / positives;
}

/** Scores sorted in decreasing order, with the permutation: sorted[k] = scores[order[k]]. */
function sortDescending(scores: Float64Array): { sorted: Float64Array; order: Uint32Array } {
  const order = Uint32Array.from(scores.keys()).sort((a, b) => (scores[b] > scores[a] ? 1 : scores[b] < scores[a] ? -1 : 0));
  return { sorted: Float64Array.from(order, (index) => scores[index]), order };
}

/** Both score sets, checked; each must be non-empty. `names` are the arguments' names in messages. */
function prepare(
  members: unknown,
  nonMembers: unknown,
  fn: string,
  names: readonly [string, string] = ['members', 'nonMembers'],
): { members: Float64Array; nonMembers: Float64Array } {
  const m = checkedScores(members, `${fn}: ${names[0]}`);
  const n = checkedScores(nonMembers, `${fn}: ${names[1]}`);
  if (m.length === 0) throw outOfRange(`${fn}: ${names[0]} must hold at least one score, got none`);
  if (n.length === 0) throw outOfRange(`${fn}: ${names[1]} must hold at least one score, got none`);
  return { members: m, nonMembers: n };
}

function exactVertices(members: Float64Array, nonMembers: Float64Array): { tp: Float64Array; fp: Float64Array; count: number } {
  const tp = new Float64Array(members.length + nonMembers.length + 1);
  const fp = new Float64Array(tp.length);
  const count = rocVertices(sortDescending(members).sorted, undefined, sortDescending(nonMembers).sorted, undefined, tp, fp);
  return { tp, fp, count };
}

function verticesCurve({ tp, fp, count }: { tp: Float64Array; fp: Float64Array; count: number }): RocCurve {
  const positives = tp[count - 1];
  const negatives = fp[count - 1];
  return {
    fpr: Array.from(fp.subarray(0, count), (value) => value / negatives),
    tpr: Array.from(tp.subarray(0, count), (value) => value / positives),
  };
}

/**
 * The exact ROC curve: one point per distinct score (every threshold that changes the
 * decision), plus (0, 0). fpr[k] = (non-members with score >= t_k) / (non-members), tpr[k] the
 * same for members.
 */
export function rocCurve(members: Scores, nonMembers: Scores): RocCurve {
  const scores = prepare(members, nonMembers, 'rocCurve');
  return verticesCurve(exactVertices(scores.members, scores.nonMembers));
}

/** ROC AUC: the probability that a random member outscores a random non-member, ties counting ½. */
export function rocAuc(members: Scores, nonMembers: Scores): number {
  const scores = prepare(members, nonMembers, 'rocAuc');
  const { tp, fp, count } = exactVertices(scores.members, scores.nonMembers);
  return verticesAuc(tp, fp, count);
}

/** A curve as rocCurve returns it: fpr and tpr of one length, in [0, 1], never decreasing. */
export function checkCurve(curve: unknown, name: string): asserts curve is RocCurve {
  checkObject(curve, name);
  const { fpr, tpr } = curve as RocCurve;
  checkList(fpr, `${name}.fpr`, 'rates');
  checkList(tpr, `${name}.tpr`, 'rates');
  if (fpr.length !== tpr.length || fpr.length === 0) {
    throw outOfRange(`${name}.fpr and ${name}.tpr must be non-empty and of one length, got ${fpr.length} and ${tpr.length}`);
  }
  for (let k = 0; k < fpr.length; k += 1) {
    checkNumber(fpr[k], `${name}.fpr[${k}]`, { min: 0, max: 1 });
    checkNumber(tpr[k], `${name}.tpr[${k}]`, { min: 0, max: 1 });
    if (k > 0 && (fpr[k] < fpr[k - 1] || tpr[k] < tpr[k - 1])) throw outOfRange(`${name}: the points must not decrease, point ${k} does`);
  }
}

/**
 * TPR at FPR `maxFpr`: the highest TPR among the curve's points (its thresholds) whose FPR is at
 * most `maxFpr`. No interpolation between points: a point between two thresholds is reachable
 * only by a randomised attack, and interpolating would credit the attack with it. At least 0
 * (the point (0, 0) always qualifies). On an exact curve (rocCurve) this is the best a
 * threshold attack does at that FPR; on a reduced one (reduceRoc) it can be lower.
 */
export function tprAtFpr(curve: RocCurve, maxFpr: number): number {
  checkCurve(curve, 'tprAtFpr: curve');
  checkNumber(maxFpr, 'tprAtFpr: maxFpr', { min: 0, max: 1 });
  let best = 0;
  for (let k = 0; k < curve.fpr.length && curve.fpr[k] <= maxFpr; k += 1) best = curve.tpr[k];
  return best;
}

export interface ReduceOptions {
  /** At most this many points are kept; an integer >= 8, default 500. */
  maxPoints?: number;
  /** The smallest FPR a log-scale plot will show; default 1e-5. */
  minFpr?: number;
}

/**
 * The curve with at most `maxPoints` points, for plots and reports, keeping detail where a
 * log-scale FPR axis shows it. (minFpr, 1] is cut into bins of equal width in log10(FPR), and
 * FPR 0 and (0, minFpr] form two more; in each bin the first and the last point are kept, so
 * every kept point is a point of the exact curve and within a bin the curve becomes one straight
 * segment. A curve that already fits is returned as a copy.
 */
export function reduceRoc(curve: RocCurve, options: ReduceOptions = {}): RocCurve {
  checkCurve(curve, 'reduceRoc: curve');
  const { maxPoints, minFpr } = checkReduceOptions(options, 'reduceRoc');
  return reduceCheckedCurve(curve, maxPoints, minFpr);
}

function checkReduceOptions(options: unknown, fn: string): Required<ReduceOptions> {
  checkObject(options, `${fn}: options`);
  const { maxPoints = 500, minFpr = 1e-5 } = options as ReduceOptions;
  checkInteger(maxPoints, `${fn}: options.maxPoints`, { min: 8 });
  checkNumber(minFpr, `${fn}: options.minFpr`, { exclusiveMin: 0, max: 0.1 });
  return { maxPoints, minFpr };
}

function reduceCheckedCurve(curve: RocCurve, maxPoints: number, minFpr: number): RocCurve {
  if (curve.fpr.length <= maxPoints) return { fpr: [...curve.fpr], tpr: [...curve.tpr] };
  // Two points per bin at most, over `bins` log bins plus the two low bins.
  const bins = Math.floor(maxPoints / 2) - 2;
  const logMin = Math.log10(minFpr);
  const binOf = (fpr: number): number => {
    if (fpr === 0) return -1;
    if (fpr <= minFpr) return 0;
    return Math.min(bins, 1 + Math.floor(((Math.log10(fpr) - logMin) / -logMin) * bins));
  };
  const reduced: RocCurve = { fpr: [], tpr: [] };
  const last = curve.fpr.length - 1;
  for (let k = 0; k <= last; k += 1) {
    const bin = binOf(curve.fpr[k]);
    const opens = k === 0 || binOf(curve.fpr[k - 1]) !== bin;
    const closes = k === last || binOf(curve.fpr[k + 1]) !== bin;
    if (opens || closes) {
      reduced.fpr.push(curve.fpr[k]);
      reduced.tpr.push(curve.tpr[k]);
    }
  }
  return reduced;
}

/** A two-sided confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * The empirical quantile of sorted `values` at probability q, interpolating linearly between
 * order statistics: position (n − 1)·q counted from 0 (Hyndman & Fan, "Sample Quantiles in
 * Statistical Packages", 1996, definition 7; R's and NumPy's default).
 */
function quantileOfSorted(values: Float64Array, q: number): number {
  const position = (values.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, values.length - 1);
  return values[below] + (position - below) * (values[above] - values[below]);
}

function checkLevel(level: unknown, name: string): asserts level is number {
  checkNumber(level, name);
  if (!(level > 0 && level < 1)) throw outOfRange(`${name} must be a number in (0, 1), got ${level}`);
}

/**
 * The percentile interval at `level`: the (1 − level)/2 and (1 + level)/2 quantiles of the
 * statistic over the resamples (definition 7 quantiles, see above).
 */
export function percentileInterval(values: Float64Array | readonly number[], level: number): Interval {
  checkLevel(level, 'percentileInterval: level');
  if (values.length === 0) throw outOfRange('percentileInterval: values must hold at least one value, got none');
  const sorted = Float64Array.from(values).sort();
  return { low: quantileOfSorted(sorted, (1 - level) / 2), high: quantileOfSorted(sorted, (1 + level) / 2) };
}

export interface BootstrapOptions {
  /** The FPRs at which TPR is reported; default [0.01, 0.001]. */
  fprs?: readonly number[];
  /** Bootstrap resamples; an integer >= 1, default 1000. */
  resamples?: number;
  /** Confidence level of the intervals, in (0, 1); default 0.95. */
  level?: number;
  /** Seed of the resampling (an integer >= 0); the same seed gives the same intervals. Default 0. */
  seed?: number;
}

export interface RocBootstrap {
  resamples: number;
  level: number;
  seed: number;
  auc: Interval;
  /** One interval per requested FPR, in the order of `fprs`. */
  tprAtFpr: { fpr: number; low: number; high: number }[];
}

interface CheckedBootstrapOptions {
  fprs: number[];
  resamples: number;
  level: number;
  seed: number;
}

function checkBootstrapOptions(options: unknown, fn: string): CheckedBootstrapOptions {
  checkObject(options, `${fn}: options`);
  const { fprs = [0.01, 0.001], resamples = 1000, level = 0.95, seed = 0 } = options as BootstrapOptions;
  checkList(fprs, `${fn}: options.fprs`, 'false-positive rates');
  fprs.forEach((fpr, i) => checkNumber(fpr, `${fn}: options.fprs[${i}]`, { min: 0, max: 1 }));
  checkInteger(resamples, `${fn}: options.resamples`, { min: 1 });
  checkLevel(level, `${fn}: options.level`);
  checkInteger(seed, `${fn}: options.seed`, { min: 0 });
  return { fprs: [...fprs], resamples, level, seed };
}

function bootstrap(members: Float64Array, nonMembers: Float64Array, options: CheckedBootstrapOptions): RocBootstrap {
  const { fprs, resamples, level, seed } = options;
  const m = sortDescending(members);
  const n = sortDescending(nonMembers);
  // positionOf[i]: where the i-th score sits once sorted. A resample is drawn as original indices
  // and counted at sorted positions, so each resample is an O(P + N) walk instead of a sort.
  const positionOf = (order: Uint32Array) => {
    const position = new Uint32Array(order.length);
    order.forEach((index, k) => (position[index] = k));
    return position;
  };
  const memberPosition = positionOf(m.order);
  const nonMemberPosition = positionOf(n.order);
  const memberWeights = new Uint32Array(members.length);
  const nonMemberWeights = new Uint32Array(nonMembers.length);
  const tp = new Float64Array(members.length + nonMembers.length + 1);
  const fp = new Float64Array(tp.length);
  const aucs = new Float64Array(resamples);
  const tprs = fprs.map(() => new Float64Array(resamples));
  const rng = createRng(seed);
  for (let r = 0; r < resamples; r += 1) {
    // Members and non-members are resampled independently, each keeping its size.
    memberWeights.fill(0);
    nonMemberWeights.fill(0);
    for (let d = 0; d < members.length; d += 1) memberWeights[memberPosition[rng.nextBelow(members.length)]] += 1;
    for (let d = 0; d < nonMembers.length; d += 1) nonMemberWeights[nonMemberPosition[rng.nextBelow(nonMembers.length)]] += 1;
    const count = rocVertices(m.sorted, memberWeights, n.sorted, nonMemberWeights, tp, fp);
    aucs[r] = verticesAuc(tp, fp, count);
    fprs.forEach((fpr, f) => (tprs[f][r] = verticesTprAtFpr(tp, fp, count, fpr)));
  }
  return {
    resamples,
    level,
    seed,
    auc: percentileInterval(aucs, level),
    tprAtFpr: fprs.map((fpr, f) => ({ fpr, ...percentileInterval(tprs[f], level) })),
  };
}

/**
 * Percentile-bootstrap intervals for AUC and TPR at each FPR in `options.fprs`. Each resample
 * draws P members from the P members and N non-members from the N non-members, uniformly with
 * replacement and independently (the draws: the P member indices, then the N non-member
 * indices, from one xoshiro128** stream seeded by `options.seed`), and computes the statistics
 * exactly on it.
 */
export function bootstrapRoc(members: Scores, nonMembers: Scores, options: BootstrapOptions = {}): RocBootstrap {
  const scores = prepare(members, nonMembers, 'bootstrapRoc');
  return bootstrap(scores.members, scores.nonMembers, checkBootstrapOptions(options, 'bootstrapRoc'));
}

export interface RocSummaryOptions extends BootstrapOptions, ReduceOptions {}

/** What an audit reports of one attack: plain numbers, ready for JSON. */
export interface RocSummary {
  members: number;
  nonMembers: number;
  auc: number;
  /** TPR at each requested FPR (see tprAtFpr), in the order of `options.fprs`. */
  tprAtFpr: { fpr: number; tpr: number }[];
  bootstrap: RocBootstrap;
  /** The curve reduced for plotting (reduceRoc); the numbers above come from the exact one. */
  curve: RocCurve;
}

/** AUC, TPR at low FPRs (default 1% and 0.1%), their bootstrap intervals, and a plottable curve. */
export function rocSummary(members: Scores, nonMembers: Scores, options: RocSummaryOptions = {}): RocSummary {
  return summarize(members, nonMembers, options, 'rocSummary');
}

/** rocSummary for callers whose arguments have other names (positives first). */
export function summarize(
  members: unknown,
  nonMembers: unknown,
  options: unknown,
  fn: string,
  names?: readonly [string, string],
): RocSummary {
  const scores = prepare(members, nonMembers, fn, names);
  const checked = checkBootstrapOptions(options, fn);
  const { maxPoints, minFpr } = checkReduceOptions(options, fn);
  const vertices = exactVertices(scores.members, scores.nonMembers);
  const { tp, fp, count } = vertices;
  return {
    members: scores.members.length,
    nonMembers: scores.nonMembers.length,
    auc: verticesAuc(tp, fp, count),
    tprAtFpr: checked.fprs.map((fpr) => ({ fpr, tpr: verticesTprAtFpr(tp, fp, count, fpr) })),
    bootstrap: bootstrap(scores.members, scores.nonMembers, checked),
    curve: reduceCheckedCurve(verticesCurve(vertices), maxPoints, minFpr),
  };
}
