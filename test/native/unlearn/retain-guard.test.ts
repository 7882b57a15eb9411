/**
 * The retained-accuracy guard of every unlearning run (native/unlearn/retain_guard.h): settings
 * that destroy the model stop with ERR_CAMU_RETAIN_FLOOR, and what the guard measured is reported.
 */
import { CamuError, ErrorCode, unlearn, unlearnSync } from '../../../lib';
import { Problem, scoreOn, trainedProblem, weights } from '../../helpers/unlearning';

describe('the retained-accuracy guard', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  it('reports its probe, floor and checks', async () => {
    const { trainSet, split, original } = problem;
    const { stats } = await unlearn(original, split, { method: 'finetune', train: trainSet, epochs: 2, batchSize: 8, retainChecks: 4 });
    const guard = stats.retainGuard;
    expect(guard).not.toBeNull();
    expect(guard?.probeSize).toBe(Math.min(512, split.retainSize));
    expect(guard?.originalAccuracy).toBeCloseTo(100 * scoreOn(original, trainSet, split.retainIndices).accuracy, 0);
    expect(guard?.floor).toBeCloseTo((guard?.originalAccuracy ?? 0) / 2, 9);
    // 4 checks: 3 evenly spread over the run, the last after its last step.
    const totalSteps = stats.epochs.reduce((sum, epoch) => sum + epoch.steps, 0);
    expect(guard?.checks.map((check) => check.step)).toEqual([1, 2, 3, 4].map((k) => Math.ceil((k * totalSteps) / 4)));
    for (const check of guard?.checks ?? []) expect(check.accuracy).toBeGreaterThanOrEqual(guard?.floor ?? 100);
    expect(unlearnSync(original, split, { method: 'finetune', train: trainSet, epochs: 1, retainFloor: 0 }).stats.retainGuard).toBeNull();
  });

  it('stops a run that destroys the model and leaves the input model untouched', async () => {
    const { trainSet, split, original } = problem;
    const before = weights(original);
    // Gradient ascent at a learning rate 1000 times its default wrecks every class (without the
    // forget stop of its class preset, which would end it sooner).
    const run = unlearn(original, split, { method: 'neggrad', train: trainSet, learningRate: 1, epochs: 5, batchSize: 8, forgetTarget: -1 });
    await expect(run).rejects.toThrow(CamuError);
    await expect(run).rejects.toMatchObject({
      code: ErrorCode.RetainFloor,
      message: expect.stringMatching(/^unlearning with neggrad stopped after step \d+ \(epoch \d\): accuracy on \d+ retained samples fell to .*half the original model's/),
    });
    expect(weights(original)).toEqual(before);
    // The same run goes through with the guard off: it was the guard that stopped it.
    const { model } = await unlearn(original, split, { method: 'neggrad', train: trainSet, learningRate: 1, epochs: 5, batchSize: 8, forgetTarget: -1, retainFloor: 0 });
    expect(scoreOn(model, trainSet, split.retainIndices).accuracy).toBeLessThan(scoreOn(original, trainSet, split.retainIndices).accuracy / 2);
  });

  it('takes an explicit floor, and rejects bad guard options with coded errors', () => {
    const { trainSet, split, original } = problem;
    const run = (options: Record<string, unknown>) => () => unlearnSync(original, split, { method: 'finetune', train: trainSet, epochs: 1, ...options });
    expect(run({ method: 'neggrad', learningRate: 1, epochs: 5, batchSize: 8, forgetTarget: -1, retainFloor: 90 })).toThrow(
      expect.objectContaining({ code: ErrorCode.RetainFloor, message: expect.stringContaining('below the floor of 90.00% (retainFloor)') }),
    );
    expect(run({ retainFloor: 101 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ retainFloor: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ retainFloor: 'high' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(run({ retainProbe: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ retainChecks: 2.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });
});
