/**
 * The forget stop of the removal loop (native/unlearn/forget_stop.h): with a forgetTarget, a run
 * ends at the first check where its accuracy on a probe of D_f is at or below the target; the
 * class presets of the ascent methods, random labels and bad teaching set one.
 */
import { unlearn, unlearnSync } from '../../../lib';
import { Problem, scoreOn, trainedProblem } from '../../helpers/unlearning';

describe('the forget stop', () => {
  let problem: Problem;
  let random: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
    random = await trainedProblem('random');
  });

  it('ends the run once the probe of D_f is at the target, and reports what it measured', async () => {
    const { trainSet, split, original } = problem;
    const options = { method: 'neggrad', train: trainSet, epochs: 50, batchSize: 8, learningRate: 1e-3 };
    const { model, stats } = await unlearn(original, split, { ...options, forgetTarget: 0 });
    const stop = stats.forgetStop;
    expect(stop).not.toBeNull();
    // D_f (60 samples) is smaller than the probe: the probe is all of it.
    expect(stop?.probeSize).toBe(split.forgetSize);
    expect(stop?.target).toBe(0);
    expect(stop?.originalAccuracy).toBeCloseTo(100 * scoreOn(original, trainSet, split.forgetIndices).accuracy, 6);
    expect(stop?.lastAccuracy).toBe(0);
    const steps = stats.epochs.reduce((sum, epoch) => sum + epoch.steps, 0);
    const planned = 50 * Math.ceil(split.forgetSize / 8);
    expect(stop?.stoppedAfterStep).toBe(steps);
    expect(steps).toBeLessThan(planned);
    expect(stop?.checks).toBe(steps);
    expect(scoreOn(model, trainSet, split.forgetIndices).accuracy).toBe(0);
    // Checking every 4th step ends it at a multiple of 4, no sooner than every step did.
    const every4 = unlearnSync(original, split, { ...options, forgetTarget: 0, forgetCheckEvery: 4 }).stats.forgetStop;
    expect((every4?.stoppedAfterStep ?? 1) % 4).toBe(0);
    expect(every4?.stoppedAfterStep).toBeGreaterThanOrEqual(steps);
    // Without a target the same run takes every step.
    const plain = unlearnSync(original, split, { ...options, epochs: 2, forgetTarget: -1 });
    expect(plain.stats.forgetStop).toBeNull();
    expect(plain.stats.epochs).toHaveLength(2);
  });

  it('is set by the class presets of neggrad, neggrad+, random-label and bad-teacher, not by their random ones', () => {
    for (const method of ['neggrad', 'neggrad+', 'random-label', 'bad-teacher']) {
      const forClass = unlearnSync(problem.original, problem.split, { method, train: problem.trainSet, epochs: 1 });
      expect(forClass.stats.preset).toBe('class');
      expect(forClass.stats.settings.forgetTarget).toBe(1);
      expect(forClass.stats.forgetStop?.target).toBe(1);
      const forRandom = unlearnSync(random.original, random.split, { method, train: random.trainSet, epochs: 1 });
      expect(forRandom.stats.preset).toBe('random');
      expect(forRandom.stats.settings.forgetTarget).toBe(-1);
      expect(forRandom.stats.forgetStop).toBeNull();
    }
  });

  it('rejects bad options, and is no option of methods whose steps do not forget', () => {
    const { trainSet, split, original } = problem;
    const run = (options: Record<string, unknown>) => () => unlearnSync(original, split, { method: 'neggrad', train: trainSet, epochs: 1, ...options });
    expect(run({ forgetTarget: 101 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ forgetTarget: -0.5 })).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/forgetTarget must be an accuracy in \[0, 100\] or -1/) }),
    );
    expect(run({ forgetTarget: 'low' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(run({ forgetProbe: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ forgetCheckEvery: 1.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ method: 'retrain', forgetTarget: 5 })).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining("has no option 'forgetTarget'") }),
    );
  });
});
