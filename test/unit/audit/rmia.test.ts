/** RMIA scores (lib/audit/rmia.ts; Zarifzadeh et al., ICML 2024). */
import { rmiaMarginals, rmiaScores, RmiaSamples, RMIA_OFFLINE_A } from '../../../lib/audit/rmia';
import { integers, thrown, uniform } from './data';

// Hand example: 3 targets x, 4 population samples z, 2 reference models (dyadic numbers, so the
// arithmetic below is exact in floating point).
//   targets:    Pr(x|θ)  ref 1  ref 2   online Pr(x) = mean   LR(x) = Pr(x|θ)/Pr(x)
//     x1        1        0.5    0.75    0.625                 1.6
//     x2        0.375    0.5    0.25    0.375                 1
//     x3        0.125    0.25   0.25    0.25                  0.5
//   population: Pr(z|θ)  ref 1  ref 2   Pr(z)                 LR(z)
//     z1        0.5      0.5    0.5     0.5                   1
//     z2        0.75     0.25   0.75    0.5                   1.5
//     z3        0.25     0.75   0.25    0.5                   0.5
//     z4        0.5      0.125  0.375   0.25                  2
const targets: RmiaSamples = {
  target: [1, 0.375, 0.125],
  reference: [
    [0.5, 0.5, 0.25],
    [0.75, 0.25, 0.25],
  ],
  // Offline: x1 is IN model 1, x2 IN model 2, x3 OUT of both.
  inReference: [
    [true, false, false],
    [false, true, false],
  ],
};
const population: RmiaSamples = {
  target: [0.5, 0.75, 0.25, 0.5],
  reference: [
    [0.5, 0.25, 0.75, 0.125],
    [0.5, 0.75, 0.25, 0.375],
  ],
  inReference: [new Uint8Array(4), new Uint8Array(4)],
};

test('online RMIA on the hand example', () => {
  expect(rmiaMarginals(targets)).toEqual(Float64Array.from([0.625, 0.375, 0.25]));
  expect(rmiaMarginals(population)).toEqual(Float64Array.from([0.5, 0.5, 0.5, 0.25]));
  // γ = 1: z counts when LR(z) <= LR(x). x1 (1.6): z1, z2, z3. x2 (1): z1 (ratio exactly 1 counts), z3. x3 (0.5): z3.
  expect(rmiaScores(targets, population)).toEqual(Float64Array.from([0.75, 0.5, 0.25]));
  // γ = 2: x1: 1.6/0.5 = 3.2 (z3 only; 1.6/1 = 1.6 < 2). x2: 1/0.5 = 2 (z3, at γ exactly). x3: 0.5/0.5 = 1 < 2, none.
  expect(rmiaScores(targets, population, { gamma: 2 })).toEqual(Float64Array.from([0.25, 0.25, 0]));
  // Online ignores the membership flags.
  const withoutFlags = (s: RmiaSamples): RmiaSamples => ({ target: s.target, reference: s.reference });
  expect(rmiaScores(withoutFlags(targets), withoutFlags(population))).toEqual(rmiaScores(targets, population));
});

test('offline RMIA: Pr(x) = ½((1 + a)·Pr_OUT(x) + (1 − a)) over OUT models only', () => {
  // a = 0.5. x1: OUT model 2 only, Pr_OUT 0.75 -> ½(1.5·0.75 + 0.5) = 0.8125. x2: OUT model 1,
  // 0.5 -> ½(0.75 + 0.5) = 0.625. x3: both, 0.25 -> ½(0.375 + 0.5) = 0.4375.
  expect(rmiaMarginals(targets, { mode: 'offline', a: 0.5 })).toEqual(Float64Array.from([0.8125, 0.625, 0.4375]));
  // Population, all OUT: Pr_OUT = 0.5, 0.5, 0.5, 0.25 -> 0.625, 0.625, 0.625, 0.4375.
  expect(rmiaMarginals(population, { mode: 'offline', a: 0.5 })).toEqual(Float64Array.from([0.625, 0.625, 0.625, 0.4375]));
  // LR(x) = 1/0.8125 ≈ 1.231, 0.375/0.625 = 0.6, 0.125/0.4375 ≈ 0.286;
  // LR(z) = 0.8, 1.2, 0.4, 0.5/0.4375 ≈ 1.143. γ = 1: x1 beats all four, x2 only z3 (0.4), x3 none.
  expect(rmiaScores(targets, population, { mode: 'offline', a: 0.5 })).toEqual(Float64Array.from([1, 0.25, 0]));
  // The default a, and a = 1 (Pr_OUT itself).
  expect(RMIA_OFFLINE_A).toBe(0.33);
  expect(rmiaMarginals(targets, { mode: 'offline' })[2]).toBeCloseTo(0.5 * (1.33 * 0.25 + 0.67), 15);
  expect(rmiaMarginals(targets, { mode: 'offline', a: 1 })).toEqual(Float64Array.from([0.75, 0.5, 0.25]));
});

/**
 * Plain twin: the paper's definitions literally, every (x, z) pair compared. Pr(x) sums the
 * reference models in order, as the fast path does, so both compute the same floating-point LRs.
 */
function plainRmia(x: RmiaSamples, z: RmiaSamples, mode: 'online' | 'offline', a: number, gamma: number): Float64Array {
  const lr = (s: RmiaSamples, i: number) => {
    let sum = 0;
    let count = 0;
    s.reference.forEach((model, k) => {
      if (mode === 'offline' && s.inReference?.[k][i]) return;
      sum += model[i];
      count += 1;
    });
    const marginal = mode === 'offline' ? 0.5 * ((1 + a) * (sum / count) + (1 - a)) : sum / count;
    return s.target[i] / marginal;
  };
  return Float64Array.from(x.target, (_, i) => {
    let count = 0;
    for (let j = 0; j < z.target.length; j += 1) if (lr(x, i) / lr(z, j) >= gamma) count += 1;
    return count / z.target.length;
  });
}

function randomSamples(n: number, models: number, seed: number, coarse: boolean): RmiaSamples {
  // Coarse probabilities (multiples of 1/8) make many ties between LRs, exact ones included.
  const probabilities = (count: number, s: number) => (coarse ? integers(count, s, 9).map((v) => v / 8) : uniform(count, s, 0.01, 1));
  return {
    target: probabilities(n, seed),
    reference: Array.from({ length: models }, (_, k) => probabilities(n, seed * 100 + k + 1).map((p) => Math.max(p, 0.125))),
    inReference: Array.from({ length: models }, (_, k) => integers(n, seed * 1000 + k, 2).map((v, i) => v === 1 && i % models !== k)),
  };
}

test('the sorted binary search equals the plain O(n·m) twin exactly on random data', () => {
  for (const coarse of [false, true]) {
    for (let seed = 1; seed <= 3; seed += 1) {
      const x = randomSamples(150, 4, seed, coarse);
      const z = randomSamples(90, 4, seed + 50, coarse);
      for (const gamma of [1, 2, 0.5]) {
        expect(rmiaScores(x, z, { gamma })).toEqual(plainRmia(x, z, 'online', 0, gamma));
        expect(rmiaScores(x, z, { mode: 'offline', gamma })).toEqual(plainRmia(x, z, 'offline', RMIA_OFFLINE_A, gamma));
        expect(rmiaScores(x, z, { mode: 'offline', a: 0.6, gamma })).toEqual(plainRmia(x, z, 'offline', 0.6, gamma));
      }
    }
  }
});

test('a target with probability 0 scores 0; a population sample with probability 0 is beaten by every other', () => {
  const x: RmiaSamples = { target: [0, 0.5], reference: [[0.5, 0.5]] };
  const z: RmiaSamples = { target: [0, 0.5], reference: [[0.5, 0.5]] };
  // LR(x) = 0, 1; LR(z) = 0, 1. x1: 0/0 is NaN and 0/1 = 0, neither >= 1. x2: 1/0 = ∞ and 1/1 = 1, both count.
  expect(rmiaScores(x, z)).toEqual(Float64Array.from([0, 1]));
  expect(rmiaScores(x, z)).toEqual(plainRmia(x, z, 'online', 0, 1));
});

test('bad input throws with codes and names what is wrong', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => rmiaScores({ ...targets, target: [1, 0.5] }, population), 'ERR_OUT_OF_RANGE', /targets.reference\[0\] must have 2 elements \(one per sample of target\), got 3/],
    [() => rmiaScores({ ...targets, target: [1, 1.5, 0] }, population), 'ERR_OUT_OF_RANGE', /targets.target\[1\] must be a probability in \[0, 1\], got 1.5/],
    [() => rmiaScores(targets, { ...population, reference: [[0.5, 0.5, 0.5, -0.1], [0.5, 0.5, 0.5, 0.5]] }), 'ERR_OUT_OF_RANGE', /population.reference\[0\]\[3\] must be a probability/],
    [() => rmiaScores(targets, { ...population, reference: [population.reference[0]], inReference: undefined }), 'ERR_OUT_OF_RANGE', /population.reference must have 2 elements \(the targets' reference models\), got 1/],
    [() => rmiaScores({ ...targets, reference: [] }, population), 'ERR_OUT_OF_RANGE', /at least one reference model/],
    [() => rmiaScores(targets, { target: [], reference: [[], []] }), 'ERR_OUT_OF_RANGE', /population must hold at least one sample/],
    [() => rmiaScores({ ...targets, inReference: [[true, true, false], [true, false, false]] }, population, { mode: 'offline' }), 'ERR_OUT_OF_RANGE', /targets: sample 0 has no OUT reference model/],
    [() => rmiaScores({ ...targets, inReference: undefined }, population, { mode: 'offline' }), 'ERR_OUT_OF_RANGE', /targets.inReference is required offline/],
    [() => rmiaScores({ ...targets, inReference: [[1, 0, 0] as never, [false, false, false]] }, population), 'ERR_INVALID_ARG_TYPE', /targets.inReference\[0\]\[0\] must be a boolean/],
    [() => rmiaScores({ ...targets, inReference: [[true, false, false]] }, population), 'ERR_OUT_OF_RANGE', /targets.inReference must have 2 elements/],
    [() => rmiaScores({ ...targets, reference: [[0, 0.5, 0.25], [0, 0.25, 0.25]] }, population), 'ERR_OUT_OF_RANGE', /targets: sample 0 has Pr\(x\) = 0/],
    [() => rmiaScores(targets, population, { gamma: 0 }), 'ERR_OUT_OF_RANGE', /options.gamma must be a finite number > 0/],
    [() => rmiaScores(targets, population, { a: 1.5 }), 'ERR_OUT_OF_RANGE', /options.a must be a finite number in \[0, 1\]/],
    [() => rmiaScores(targets, population, { mode: 'both' as never }), 'ERR_OUT_OF_RANGE', /options.mode must be 'online' or 'offline'/],
    [() => rmiaScores(null as never, population), 'ERR_INVALID_ARG_TYPE', /rmiaScores: targets must be an object/],
    [() => rmiaMarginals({ ...targets, reference: 'x' as never }), 'ERR_INVALID_ARG_TYPE', /samples.reference must be an array/],
  ];
  for (const [fn, code, message] of cases) {
    const error = thrown(fn);
    expect(error.message).toMatch(message);
    expect(error.code).toBe(code);
  }
});
