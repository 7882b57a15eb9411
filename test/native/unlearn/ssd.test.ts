/**
 * SSD (native/unlearn/ssd.cc): the parameters whose importance on D_f exceeds alpha times their
 * importance on a reference set (D, or D_r) are multiplied by min(lambda · []_ref / []_Df, 1); all
 * others stay bitwise equal. With a forget target it chooses alpha itself.
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

  it("measures each sample's importance with importance 'sample': the batched estimate at batches of one", async () => {
    const perSample = await run({ importance: 'sample' });
    const batchesOfOne = await run({ importance: 'batch', batchSize: 1 });
    // The same shuffles, the same squared gradients summed in the same order.
    expect(weights(perSample.model)).toEqual(weights(batchesOfOne.model));
    expect(perSample.stats.dampenedWeights).toBe(batchesOfOne.stats.dampenedWeights);
    expect(perSample.stats.epochs[0].steps).toBe(4 + 15);
    expect(batchesOfOne.stats.epochs[0].steps).toBe(60 + 240);
    // Per sample, a weight used by D_f alone has []_D = []_Df / 5 at most (D_f is a fifth of D), so
    // alpha 10 selects nothing against D; against D_r it does.
    expect(perSample.stats.dampenedWeights).toBe(0);
    expect((await run({ importance: 'sample', reference: 'retain' })).stats.dampenedWeights).toBeGreaterThan(0);
  });

  it('measures the reference on referenceSamples of it, drawn at random; all of it when there are fewer', async () => {
    const all = await run({ reference: 'retain' });
    expect(all.stats.epochs[0].steps).toBe(4 + 12); // 60 D_f samples and the 180 of D_r in batches of 16
    expect(weights((await run({ reference: 'retain', referenceSamples: 180 })).model)).toEqual(weights(all.model));
    const some = await run({ reference: 'retain', referenceSamples: 50 });
    expect(some.stats.epochs[0].steps).toBe(4 + 4);
    expect(weights(some.model)).not.toEqual(weights(all.model));
  });

  it('with a forget target, takes the largest alpha of its grid whose model is at or below it on the probe', async () => {
    const { trainSet, split, original } = problem;
    const forgetAccuracy = (model: typeof original) => 100 * (scoreOn(model, trainSet, split.forgetIndices).accuracy as number);
    const settings = { importance: 'sample', reference: 'retain', lambda: 0.1 };
    const tuned = await run({ ...settings, alpha: 100, forgetTarget: 10 });
    const alpha = tuned.stats.alpha as number;
    const step = Math.round(Math.log(100 / alpha) / Math.log(1.08));
    expect(step).toBeGreaterThan(0);
    expect(alpha).toBeCloseTo(100 / 1.08 ** step, 9); // a point of the grid 100, 100/1.08, ..., 1
    // The probe is all 60 of D_f here: the model handed back meets the target ...
    const report = tuned.stats.forgetStop as { target: number; lastAccuracy: number; checks: number };
    expect(report.target).toBe(10);
    expect(report.lastAccuracy).toBeLessThanOrEqual(10);
    expect(forgetAccuracy(tuned.model)).toBeCloseTo(report.lastAccuracy, 9);
    expect(report.checks).toBeLessThan(12); // a bisection of the 61 points, not a scan
    // ... it is the model of that alpha taken as given, and the next alpha up misses the target.
    expect(weights((await run({ ...settings, alpha })).model)).toEqual(weights(tuned.model));
    expect(forgetAccuracy((await run({ ...settings, alpha: alpha * 1.08 })).model)).toBeGreaterThan(10);
    // A target the largest alpha already meets takes it.
    expect((await run({ ...settings, alpha: 100, forgetTarget: 100 })).stats.alpha).toBe(100);
    // Whichever side the bisection's last probe fell on, the model handed back is the chosen alpha's.
    for (const target of [0, 5, 20, 40, 60, 80]) {
      const { model, stats } = await run({ ...settings, alpha: 100, forgetTarget: target });
      expect(forgetAccuracy(model)).toBeLessThanOrEqual(target);
      expect(weights(model)).toEqual(weights((await run({ ...settings, alpha: stats.alpha })).model));
    }
  });

  it('with a forget target no alpha meets, takes the smallest, 1: the strongest dampening', async () => {
    const random = await trainedProblem('random'); // D_f a sample of D: nothing is specialised to it
    const { stats, model } = await unlearn(random.original, random.split, {
      method: 'ssd', train: random.trainSet, batchSize: 16, alpha: 100, forgetTarget: 0,
    });
    expect(stats.alpha).toBe(1);
    const report = stats.forgetStop as { lastAccuracy: number };
    expect(report.lastAccuracy).toBeGreaterThan(0);
    expect(100 * (scoreOn(model, random.trainSet, random.split.forgetIndices).accuracy as number)).toBeCloseTo(report.lastAccuracy, 9);
  });

  it('rejects bad options with coded errors', () => {
    expect(() => run({ alpha: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/alpha/) }));
    expect(() => run({ lambda: 'one' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => run({ importance: 'fisher' })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/importance/) }));
    expect(() => run({ reference: 'test' })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/reference/) }));
    expect(() => run({ referenceSamples: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/referenceSamples/) }));
    expect(() => run({ forgetTarget: 101 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/forgetTarget/) }));
  });
});
