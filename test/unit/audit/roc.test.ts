/** ROC curve, AUC, TPR at FPR, curve reduction and bootstrap intervals (lib/audit/roc.ts). */
import { createRng } from '../../../lib/audit/random';
import { bootstrapRoc, percentileInterval, reduceRoc, rocAuc, rocCurve, rocSummary, tprAtFpr } from '../../../lib/audit/roc';
import { integers, normal, thrown, uniform } from './data';

// Hand example with ties. Members (positives) and non-members (negatives):
const members = [0.9, 0.8, 0.8, 0.3];
const nonMembers = [0.8, 0.5, 0.3, 0.1, 0.1];
// Thresholds (score >= t), P = 4, N = 5:
//   t = +inf: tp 0, fp 0 -> (0, 0)
//   t = 0.9:  tp 1, fp 0 -> (0, 0.25)
//   t = 0.8:  tp 3, fp 1 -> (0.2, 0.75)   the tie at 0.8 is one diagonal step
//   t = 0.5:  tp 3, fp 2 -> (0.4, 0.75)
//   t = 0.3:  tp 4, fp 3 -> (0.6, 1)      the tie at 0.3 is one diagonal step
//   t = 0.1:  tp 4, fp 5 -> (1, 1)
// Mann-Whitney over the 20 pairs: member 0.9 wins 5; each 0.8 wins 4 and ties 1; 0.3 wins 2
// (0.1, 0.1) and ties 1. Wins 15, ties 3: AUC = (15 + 3/2) / 20 = 0.825. The trapezoids agree:
// 0 + 0.2·0.5 + 0.2·0.75 + 0.2·0.875 + 0.4·1 = 0.825.

test('the ROC curve of a hand example with ties', () => {
  expect(rocCurve(members, nonMembers)).toEqual({ fpr: [0, 0, 0.2, 0.4, 0.6, 1], tpr: [0, 0.25, 0.75, 0.75, 1, 1] });
  expect(rocCurve(Float32Array.from(members), Float32Array.from(nonMembers))).toEqual(rocCurve(members, nonMembers));
  // Scores compare as the numbers they hold: float32 0.8 is not float64 0.8, so the ties split.
  expect(rocCurve(Float64Array.from(members), Float32Array.from(nonMembers)).fpr).toHaveLength(8);
});

test('AUC of the hand example is the Mann-Whitney probability with ties counting 1/2', () => {
  expect(rocAuc(members, nonMembers)).toBeCloseTo(0.825, 15);
  // All tied: every pair is a tie.
  expect(rocAuc([1, 1], [1, 1, 1])).toBe(0.5);
  expect(rocAuc([2], [1])).toBe(1);
  expect(rocAuc([1], [2])).toBe(0);
});

test('TPR at FPR is the best TPR among thresholds with FPR <= the target, without interpolation', () => {
  const curve = rocCurve(members, nonMembers);
  expect(tprAtFpr(curve, 0)).toBe(0.25);
  expect(tprAtFpr(curve, 0.1)).toBe(0.25);
  expect(tprAtFpr(curve, 0.2)).toBe(0.75);
  expect(tprAtFpr(curve, 0.5)).toBe(0.75); // not 0.875, halfway along the diagonal step
  expect(tprAtFpr(curve, 0.6)).toBe(1);
  expect(tprAtFpr(curve, 1)).toBe(1);
  // A member below every non-member: TPR 0 at FPR 0.
  expect(tprAtFpr(rocCurve([0], [1, 2]), 0)).toBe(0);
});

/** Plain twin: every threshold enumerated, counts by scanning. */
function plainRoc(m: readonly number[], n: readonly number[]): { fpr: number[]; tpr: number[] } {
  const thresholds = [Infinity, ...new Set([...m, ...n])].sort((a, b) => b - a);
  const points = thresholds.map((t) => ({
    fpr: n.filter((s) => s >= t).length / n.length,
    tpr: m.filter((s) => s >= t).length / m.length,
  }));
  return { fpr: points.map((p) => p.fpr), tpr: points.map((p) => p.tpr) };
}

function plainAuc(m: readonly number[], n: readonly number[]): number {
  let twice = 0;
  for (const a of m) for (const b of n) twice += a > b ? 2 : a === b ? 1 : 0;
  return twice / (2 * m.length * n.length);
}

function plainTprAtFpr(m: readonly number[], n: readonly number[], maxFpr: number): number {
  const { fpr, tpr } = plainRoc(m, n);
  return Math.max(...tpr.filter((_, k) => fpr[k] <= maxFpr));
}

test('the sorted sweep equals the plain threshold enumeration on random data with ties', () => {
  for (let seed = 0; seed < 5; seed += 1) {
    const m = integers(60 + seed, 100 + seed, 12).map((v) => v + 2);
    const n = integers(80 - seed, 200 + seed, 12);
    expect(rocCurve(m, n)).toEqual(plainRoc(m, n));
    expect(rocAuc(m, n)).toBe(plainAuc(m, n));
  }
});

test('identical distributions: AUC near 0.5 and its interval contains 0.5', () => {
  const summary = rocSummary(normal(2000, 1), normal(2000, 2), { resamples: 300, seed: 7 });
  expect(Math.abs(summary.auc - 0.5)).toBeLessThan(0.03);
  expect(summary.bootstrap.auc.low).toBeLessThan(0.5);
  expect(summary.bootstrap.auc.high).toBeGreaterThan(0.5);
  expect(summary.bootstrap.auc.high - summary.bootstrap.auc.low).toBeLessThan(0.1);
  // TPR at a low FPR is about that FPR for a useless attack.
  expect(summary.tprAtFpr.map((t) => t.fpr)).toEqual([0.01, 0.001]);
  expect(summary.tprAtFpr[0].tpr).toBeLessThan(0.05);
});

test('separated distributions: AUC 1 and TPR 1 at 0.1% FPR, intervals [1, 1]', () => {
  const summary = rocSummary(uniform(500, 3, 2, 3), uniform(3000, 4, 0, 1), { resamples: 50 });
  expect(summary.auc).toBe(1);
  expect(summary.tprAtFpr).toEqual([
    { fpr: 0.01, tpr: 1 },
    { fpr: 0.001, tpr: 1 },
  ]);
  expect(summary.bootstrap.auc).toEqual({ low: 1, high: 1 });
  expect(summary.bootstrap.tprAtFpr).toEqual([
    { fpr: 0.01, low: 1, high: 1 },
    { fpr: 0.001, low: 1, high: 1 },
  ]);
  // The plotted curve is reduced (3501 exact points) but still reaches TPR 1 at FPR 0.
  expect(summary.curve.fpr.length).toBeLessThanOrEqual(500);
  expect(tprAtFpr(summary.curve, 0)).toBe(1);
});

test('percentile intervals use linearly interpolated quantiles (Hyndman-Fan 7)', () => {
  expect(percentileInterval([5, 1, 4, 2, 3], 0.5)).toEqual({ low: 2, high: 4 });
  const ninety = percentileInterval([1, 2, 3, 4, 5], 0.9); // positions 0.2 and 3.8
  expect(ninety.low).toBeCloseTo(1.2, 12);
  expect(ninety.high).toBeCloseTo(4.8, 12);
  expect(percentileInterval([3], 0.95)).toEqual({ low: 3, high: 3 });
});

/**
 * Plain twin of the bootstrap: the same draws (member indices, then non-member indices, from one
 * stream), the resample built as arrays, the statistics by the plain functions above.
 */
function plainBootstrap(m: readonly number[], n: readonly number[], resamples: number, level: number, seed: number, fprs: number[]) {
  const rng = createRng(seed);
  const aucs: number[] = [];
  const tprs: number[][] = fprs.map(() => []);
  for (let r = 0; r < resamples; r += 1) {
    const mr = m.map(() => m[rng.nextBelow(m.length)]);
    const nr = n.map(() => n[rng.nextBelow(n.length)]);
    aucs.push(plainAuc(mr, nr));
    fprs.forEach((fpr, f) => tprs[f].push(plainTprAtFpr(mr, nr, fpr)));
  }
  return {
    resamples,
    level,
    seed,
    auc: percentileInterval(aucs, level),
    tprAtFpr: fprs.map((fpr, f) => ({ fpr, ...percentileInterval(tprs[f], level) })),
  };
}

test('the weighted-sweep bootstrap equals the plain resample-and-recompute twin exactly', () => {
  const m = integers(40, 11, 20).map((v) => v + 3);
  const n = integers(70, 12, 20);
  const fprs = [0.05, 0.2, 0.5];
  expect(bootstrapRoc(m, n, { resamples: 60, level: 0.9, seed: 5, fprs })).toEqual(plainBootstrap(m, n, 60, 0.9, 5, fprs));
  const mc = uniform(30, 13, 0.2, 1);
  const nc = uniform(50, 14, 0, 0.8);
  expect(bootstrapRoc(mc, nc, { resamples: 40, seed: 9 })).toEqual(plainBootstrap(mc, nc, 40, 0.95, 9, [0.01, 0.001]));
});

test('the same seed gives the same intervals; another seed other ones', () => {
  const m = normal(300, 21, 0.5);
  const n = normal(300, 22);
  const first = bootstrapRoc(m, n, { resamples: 200, seed: 3 });
  expect(bootstrapRoc(m, n, { resamples: 200, seed: 3 })).toEqual(first);
  expect(bootstrapRoc(m, n, { resamples: 200, seed: 4 }).auc).not.toEqual(first.auc);
  expect(rocSummary(m, n, { resamples: 200, seed: 3 }).bootstrap).toEqual(first);
  expect(first).toMatchObject({ resamples: 200, level: 0.95, seed: 3 });
});

test('reduceRoc keeps at most maxPoints exact points and the low-FPR region', () => {
  const m = normal(20000, 31, 1);
  const n = normal(20000, 32);
  const exact = rocCurve(m, n);
  expect(exact.fpr.length).toBeGreaterThan(20000);
  const reduced = reduceRoc(exact, { maxPoints: 100, minFpr: 1e-4 });
  expect(reduced.fpr.length).toBeLessThanOrEqual(100);
  expect(reduced.fpr.length).toBeGreaterThan(50);
  // Every kept point is a point of the exact curve, in order.
  const exactPoints = new Set(exact.fpr.map((f, k) => `${f},${exact.tpr[k]}`));
  for (let k = 0; k < reduced.fpr.length; k += 1) {
    expect(exactPoints.has(`${reduced.fpr[k]},${reduced.tpr[k]}`)).toBe(true);
    if (k > 0) expect(reduced.fpr[k]).toBeGreaterThanOrEqual(reduced.fpr[k - 1]);
  }
  expect([reduced.fpr[0], reduced.tpr[0]]).toEqual([0, 0]);
  expect([reduced.fpr.at(-1), reduced.tpr.at(-1)]).toEqual([1, 1]);
  // The highest TPR at FPR 0 survives, and each FPR decade down to 1e-4 keeps points.
  expect(tprAtFpr(reduced, 0)).toBe(tprAtFpr(exact, 0));
  for (const [low, high] of [[1e-4, 1e-3], [1e-3, 1e-2], [1e-2, 1e-1]]) {
    expect(reduced.fpr.filter((f) => f > low && f <= high).length).toBeGreaterThanOrEqual(10);
  }
  // Reading the reduced curve at a bin's edge is close to the exact value.
  expect(Math.abs(tprAtFpr(reduced, 0.01) - tprAtFpr(exact, 0.01))).toBeLessThan(0.01);
  // A curve that fits is copied unchanged.
  const small = rocCurve(members, nonMembers);
  expect(reduceRoc(small)).toEqual(small);
  expect(reduceRoc(small)).not.toBe(small);
});

test('bad arguments throw with codes', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => rocCurve('x' as never, [1]), 'ERR_INVALID_ARG_TYPE', /rocCurve: members must be a Float64Array/],
    [() => rocCurve([1], [1, '2' as never]), 'ERR_INVALID_ARG_TYPE', /rocCurve: nonMembers\[1\] must be a number/],
    [() => rocAuc([NaN], [1]), 'ERR_OUT_OF_RANGE', /rocAuc: members\[0\] must be a number, not NaN/],
    [() => rocAuc([], [1]), 'ERR_OUT_OF_RANGE', /members must hold at least one score/],
    [() => rocSummary([1], [], {}), 'ERR_OUT_OF_RANGE', /nonMembers must hold at least one score/],
    [() => tprAtFpr({ fpr: [0, 1], tpr: [0] }, 0.1), 'ERR_OUT_OF_RANGE', /of one length/],
    [() => tprAtFpr({ fpr: [0, 0.5, 0.4], tpr: [0, 1, 1] }, 0.1), 'ERR_OUT_OF_RANGE', /must not decrease/],
    [() => tprAtFpr(rocCurve([1], [0]), 2), 'ERR_OUT_OF_RANGE', /maxFpr must be a finite number in \[0, 1\]/],
    [() => bootstrapRoc([1], [0], { resamples: 0 }), 'ERR_OUT_OF_RANGE', /options.resamples must be an integer >= 1/],
    [() => bootstrapRoc([1], [0], { level: 1 }), 'ERR_OUT_OF_RANGE', /options.level must be a number in \(0, 1\)/],
    [() => bootstrapRoc([1], [0], { seed: -1 }), 'ERR_OUT_OF_RANGE', /options.seed/],
    [() => bootstrapRoc([1], [0], { fprs: [0.1, 2] }), 'ERR_OUT_OF_RANGE', /options.fprs\[1\]/],
    [() => rocSummary([1], [0], { maxPoints: 4 }), 'ERR_OUT_OF_RANGE', /rocSummary: options.maxPoints must be an integer >= 8/],
    [() => reduceRoc(rocCurve([1], [0]), { minFpr: 0 }), 'ERR_OUT_OF_RANGE', /options.minFpr/],
    [() => percentileInterval([], 0.9), 'ERR_OUT_OF_RANGE', /at least one value/],
    [() => rocSummary([1], [0], null as never), 'ERR_INVALID_ARG_TYPE', /rocSummary: options must be an object/],
  ];
  for (const [fn, code, message] of cases) {
    const error = thrown(fn);
    expect(error.message).toMatch(message);
    expect(error.code).toBe(code);
  }
});
