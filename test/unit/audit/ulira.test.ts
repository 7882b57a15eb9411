/** U-LiRA (lib/audit/ulira.ts; Hayes et al. 2024): logit confidences, Gaussian fits, scores. */
import { fitUlira, LOGIT_EPSILON, logitConfidence, uliraEvaluation, uliraScores, VARIANCE_FLOOR } from '../../../lib/audit/ulira';
import { normal, thrown } from './data';

/** The probability whose logit is φ. */
const sigmoid = (phi: number) => 1 / (1 + Math.exp(-phi));

test('logit confidence φ(p) = log(p / (1 − p)), clamped at 2^-24', () => {
  expect(logitConfidence(0.5)).toBe(0);
  expect(logitConfidence(sigmoid(3))).toBeCloseTo(3, 12);
  expect(LOGIT_EPSILON).toBe(2 ** -24);
  const top = Math.log(2 ** 24 - 1); // φ(1 − 2^-24) ≈ 16.64
  expect(logitConfidence(1)).toBeCloseTo(top, 12);
  expect(logitConfidence(0)).toBeCloseTo(-top, 12);
  // The float32 numbers below 1 keep distinct logits: 1 − 2^-24 is the clamp itself, 1 − 2^-23 is below it.
  expect(logitConfidence(Math.fround(1 - 2 ** -24))).toBe(logitConfidence(1));
  expect(logitConfidence(1 - 2 ** -23)).toBeCloseTo(Math.log(2 ** 23 - 1), 12);
  expect(logitConfidence(0.9, 0.2)).toBeCloseTo(Math.log(4), 12); // clamped to 0.8
});

// Hand example, two examples A and B, in φ (the probabilities given are sigmoid(φ)):
//   A: unlearned φ 1, 2, 3 -> μ_u 2, σ_u² (1 + 0 + 1)/3 = 2/3;  retrained φ −1, 0, 1 -> μ_r 0, σ_r² 2/3
//   B: unlearned φ 0, 4    -> μ_u 2, σ_u² (4 + 4)/2 = 4;        retrained φ −3, −1 -> μ_r −2, σ_r² 1
// Pooled (global) variances: unlearned (2 + 8)/5 = 2, retrained (2 + 2)/5 = 0.8.
// The audited model gives A φ = 2 and B φ = 0. With log N(x; μ, σ²) = −½ log(2πσ²) − (x − μ)²/(2σ²):
//   per-example A: log N(2; 2, 2/3) − log N(2; 0, 2/3) = 0 + 4/(4/3) = 3
//   per-example B: [−½ log(8π) − 4/8] − [−½ log(2π) − 4/2] = −½ log 4 + 1.5 = 1.5 − log 2
//   global A: [−½ log(4π)] − [−½ log(1.6π) − 4/1.6] = 2.5 − ½ log 2.5
//   global B: [−½ log(4π) − 4/4] − [−½ log(1.6π) − 4/1.6] = 1.5 − ½ log 2.5
const observations = {
  unlearned: [[1, 2, 3].map(sigmoid), [0, 4].map(sigmoid)],
  retrained: [[-1, 0, 1].map(sigmoid), Float64Array.from([-3, -1], sigmoid)],
};
const audited = [2, 0].map(sigmoid);

test('per-example Gaussian fits and log likelihood ratios of the hand example', () => {
  const fit = fitUlira(observations, { variance: 'per-example' });
  expect(fit.variance).toBe('per-example');
  expect(Array.from(fit.unlearned.mean)).toEqual([expect.closeTo(2, 12), expect.closeTo(2, 12)]);
  expect(Array.from(fit.unlearned.variance)).toEqual([expect.closeTo(2 / 3, 12), expect.closeTo(4, 12)]);
  expect(Array.from(fit.retrained.mean)).toEqual([expect.closeTo(0, 12), expect.closeTo(-2, 12)]);
  expect(Array.from(fit.retrained.variance)).toEqual([expect.closeTo(2 / 3, 12), expect.closeTo(1, 12)]);
  const scores = uliraScores(fit, audited);
  expect(scores[0]).toBeCloseTo(3, 10);
  expect(scores[1]).toBeCloseTo(1.5 - Math.log(2), 10);
});

test('global variance pools the within-example deviations; auto picks it below 64 observations', () => {
  const fit = fitUlira(observations, { variance: 'global' });
  expect(fit.variance).toBe('global');
  expect(Array.from(fit.unlearned.variance)).toEqual([expect.closeTo(2, 12), expect.closeTo(2, 12)]);
  expect(Array.from(fit.retrained.variance)).toEqual([expect.closeTo(0.8, 12), expect.closeTo(0.8, 12)]);
  const scores = uliraScores(fit, audited);
  expect(scores[0]).toBeCloseTo(2.5 - 0.5 * Math.log(2.5), 10);
  expect(scores[1]).toBeCloseTo(1.5 - 0.5 * Math.log(2.5), 10);
  expect(fitUlira(observations)).toEqual(fit);

  const many = (count: number, seed: number) => [normal(count, seed).map(sigmoid), normal(count, seed + 1).map(sigmoid)];
  expect(fitUlira({ unlearned: many(64, 1), retrained: many(64, 3) }).variance).toBe('per-example');
  expect(fitUlira({ unlearned: many(64, 1), retrained: [...many(64, 3).slice(1), normal(63, 5).map(sigmoid)] }).variance).toBe('global');
});

test('identical observations get the variance floor, not a zero variance', () => {
  const fit = fitUlira({ unlearned: [[0.9, 0.9], [1, 1]], retrained: [[0.5, 0.4], [0.2, 0.3]] }, { variance: 'per-example' });
  expect(Array.from(fit.unlearned.variance)).toEqual([VARIANCE_FLOOR, VARIANCE_FLOOR]);
  const scores = uliraScores(fit, [0.9, 0.5]);
  expect(scores.every(Number.isFinite)).toBe(true);
  expect(scores[0]).toBeGreaterThan(0); // right on the peaked unlearned mean
  expect(scores[1]).toBeLessThan(0); // far from it
});

test('the evaluation summarises U-LiRA scores of unlearned (positive) vs retrained (negative) models', () => {
  // Synthetic shadow experiments: per example, unlearning leaves φ one unit above retraining.
  const examples = 200;
  const base = normal(examples, 40, 0, 2);
  const shadow = (shift: number, seed: number) => base.map((mu, i) => normal(16, seed + i, mu + shift).map(sigmoid));
  const fit = fitUlira({ unlearned: shadow(1, 1000), retrained: shadow(0, 5000) });
  expect(fit.variance).toBe('global');
  const target = (shift: number, seed: number) => base.map((mu, i) => sigmoid(normal(1, seed + i, mu + shift)[0]));
  const unlearnedScores = uliraScores(fit, target(1, 9000));
  const retrainedScores = uliraScores(fit, target(0, 9500));
  const summary = uliraEvaluation(unlearnedScores, retrainedScores, { resamples: 100 });
  expect(summary.members).toBe(examples);
  expect(summary.auc).toBeGreaterThan(0.65);
  expect(summary.bootstrap.auc.low).toBeGreaterThan(0.5);
  // An unlearning indistinguishable from retraining: AUC near 0.5.
  const same = uliraEvaluation(uliraScores(fit, target(0, 20000)), retrainedScores, { resamples: 100 });
  expect(same.bootstrap.auc.low).toBeLessThan(0.5);
  expect(same.bootstrap.auc.high).toBeGreaterThan(0.5);
});

test('bad input throws with codes', () => {
  const fit = fitUlira(observations);
  const cases: [() => unknown, string, RegExp][] = [
    [() => fitUlira({ unlearned: [[0.5, 0.6]], retrained: [[0.5, 0.6], [0.1, 0.2]] }), 'ERR_OUT_OF_RANGE', /observations.retrained must have 1 elements \(one per example of unlearned\), got 2/],
    [() => fitUlira({ unlearned: [[0.5, 0.6], []], retrained: [[0.5], [0.1]] }), 'ERR_OUT_OF_RANGE', /observations.unlearned\[1\] must hold at least one observation/],
    [() => fitUlira({ unlearned: [[0.5, 1.1]], retrained: [[0.5]] }), 'ERR_OUT_OF_RANGE', /observations.unlearned\[0\]\[1\] must be a probability in \[0, 1\]/],
    [() => fitUlira({ unlearned: [], retrained: [] }), 'ERR_OUT_OF_RANGE', /at least one example/],
    [() => fitUlira({ unlearned: [[0.5, 0.6], [0.7]], retrained: [[0.5, 0.4], [0.1, 0.2]] }, { variance: 'per-example' }), 'ERR_OUT_OF_RANGE', /observations.unlearned\[1\] has 1 observation; a per-example variance needs 2/],
    [() => fitUlira({ unlearned: [[0.5], [0.7]], retrained: [[0.5], [0.1]] }), 'ERR_OUT_OF_RANGE', /one observation per example; a variance needs an example with 2/],
    [() => fitUlira(observations, { variance: 'pooled' as never }), 'ERR_OUT_OF_RANGE', /options.variance must be 'auto', 'per-example' or 'global'/],
    [() => fitUlira(observations, { epsilon: 0.5 }), 'ERR_OUT_OF_RANGE', /options.epsilon must be in \(0, 0.5\)/],
    [() => fitUlira({ unlearned: 'x' as never, retrained: [] }), 'ERR_INVALID_ARG_TYPE', /observations.unlearned must be an array/],
    [() => uliraScores(fit, [0.5]), 'ERR_OUT_OF_RANGE', /uliraScores: target must have 2 elements/],
    [() => uliraScores({ ...fit, retrained: { mean: [0, 0], variance: fit.retrained.variance } } as never, audited), 'ERR_INVALID_ARG_TYPE', /fit.retrained.mean must be a Float64Array/],
    [() => uliraScores({ ...fit, unlearned: { ...fit.unlearned, variance: new Float64Array(2) } }, audited), 'ERR_OUT_OF_RANGE', /fit.unlearned.variance\[0\] must be > 0/],
    [() => uliraEvaluation([1], []), 'ERR_OUT_OF_RANGE', /uliraEvaluation: retrainedScores must hold at least one score/],
    [() => logitConfidence(-0.5), 'ERR_OUT_OF_RANGE', /logitConfidence: probability/],
  ];
  for (const [fn, code, message] of cases) {
    const error = thrown(fn);
    expect(error.message).toMatch(message);
    expect(error.code).toBe(code);
  }
});
