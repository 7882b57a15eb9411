/**
 * SSD (native/unlearn/ssd.cc): the parameters whose importance on D_f exceeds alpha times their
 * importance on D are multiplied by min(lambda · []_D / []_Df, 1); all others stay bitwise equal.
 */
import { unlearn } from '../../../lib';
import { Problem, scoreOn, trainedProblem, weights } from '../../helpers/unlearning';

describe('ssd', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  const run = (options: Record<string, unknown>) =>
    unlearn(problem.original, problem.split, { method: 'ssd', train: problem.trainSet, batchSize: 16, ...options });

  /** after / before for every weight that changed, by "key:index". */
  function factors(after: Record<string, number[]>, before: Record<string, number[]>): Map<string, number> {
    const changed = new Map<string, number>();
    for (const key of Object.keys(before)) {
      before[key].forEach((v, i) => {
        if (!Object.is(after[key][i], v)) changed.set(`${key}:${i}`, after[key][i] / v);
      });
    }
    return changed;
  }

  it('dampens only the selected weights, each towards 0 by a factor below lambda / alpha, the rest bitwise equal', async () => {
    const before = weights(problem.original);
    const { model, stats } = await run({ alpha: 10, lambda: 1 });
    const changed = factors(weights(model), before);
    expect(changed.size).toBeGreaterThan(0);
    expect(changed.size).toBe(stats.dampenedWeights);
    // Selected: []_Df > 10·[]_D, so the factor λ·[]_D/[]_Df is below 1/10, and the sign is kept.
    for (const factor of changed.values()) {
      expect(factor).toBeGreaterThanOrEqual(0);
      expect(factor).toBeLessThan(1 / 10);
    }
  });

  it('selects by []_Df > alpha·[]_D and scales by lambda: the factors agree across settings', async () => {
    const before = weights(problem.original);
    const base = factors(weights((await run({ alpha: 10, lambda: 1 })).model), before);
    // The same seed measures the same importances, so the factor at lambda = 1 is []_D/[]_Df itself:
    // alpha = 20 selects exactly those of them below 1/20 ...
    const stricter = factors(weights((await run({ alpha: 20, lambda: 1 })).model), before);
    const expected = [...base].filter(([, f]) => f < 1 / 20).map(([k]) => k).sort();
    expect([...stricter.keys()].sort()).toEqual(expected);
    for (const [k, f] of stricter) expect(f).toBeCloseTo(base.get(k) as number, 6);
    // ... and lambda = 0.5 halves every factor, lambda = 0 zeroes the selected weights.
    const half = factors(weights((await run({ alpha: 10, lambda: 0.5 })).model), before);
    expect([...half.keys()].sort()).toEqual([...base.keys()].sort());
    for (const [k, f] of half) expect(f).toBeCloseTo((base.get(k) as number) / 2, 5);
    const zeroed = factors(weights((await run({ alpha: 10, lambda: 0 })).model), before);
    expect([...zeroed.keys()].sort()).toEqual([...base.keys()].sort());
    for (const f of zeroed.values()) expect(f).toBe(0);
  });

  it('changes nothing when no weight is selected, or before any importance is measured', async () => {
    expect(weights((await run({ alpha: 1e30 })).model)).toEqual(weights(problem.original));
    expect(weights((await run({ epochs: 0 })).model)).toEqual(weights(problem.original));
  });

  it('forgets D_f, keeping D_r, without any training step', async () => {
    const { trainSet, split, original } = problem;
    expect(scoreOn(original, trainSet, split.forgetIndices).accuracy).toBeGreaterThan(0.9);
    const { model, stats } = await run({});
    expect(scoreOn(model, trainSet, split.forgetIndices).accuracy).toBeLessThan(0.5);
    expect(scoreOn(model, trainSet, split.retainIndices).accuracy).toBeGreaterThan(0.85);
    expect(stats.epochs[0].steps).toBe(4 + 15); // 60 D_f samples and 240 of D in batches of 16
  });

  it('rejects bad options with coded errors', () => {
    expect(() => run({ alpha: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/alpha/) }));
    expect(() => run({ lambda: 'one' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
