/** SalUn (native/unlearn/salun.cc): only the masked fraction `threshold` of the weights change. */
import { unlearn } from '../../../lib';
import { Problem, scoreOn, trainedProblem, weights } from '../../helpers/unlearning';

describe('salun', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  const run = (options: Record<string, unknown>) =>
    unlearn(problem.original, problem.split, { method: 'salun', train: problem.trainSet, batchSize: 8, ...options });

  // Plain SGD without momentum or decay: a weight whose gradient is masked cannot move at all.
  const plainSgd = { optimizer: 'sgd', momentum: 0, weightDecay: 0, learningRate: 0.05, epochs: 2 };

  function changed(after: Record<string, number[]>, before: Record<string, number[]>): { changed: number; total: number } {
    let count = 0;
    let total = 0;
    for (const key of Object.keys(before)) {
      before[key].forEach((v, i) => {
        total++;
        if (!Object.is(after[key][i], v)) count++;
      });
    }
    return { changed: count, total };
  }

  it.each([0.5, 0.2])('changes exactly the fraction threshold = %p of the weights, leaving the others bitwise equal', async (threshold) => {
    const before = weights(problem.original);
    const { model, stats } = await run({ ...plainSgd, threshold });
    const { changed: count, total } = changed(weights(model), before);
    expect(stats.maskedWeights).toBe(Math.round(threshold * total));
    expect(count).toBe(Math.round(threshold * total));
  });

  it('keeps the unmasked weights even with momentum, weight decay or Adam', async () => {
    const before = weights(problem.original);
    for (const options of [{ momentum: 0.9, weightDecay: 0.01 }, { optimizer: 'adam', learningRate: 1e-3, weightDecay: 0.01 }]) {
      const { model, stats } = await run({ ...plainSgd, ...options });
      expect(changed(weights(model), before).changed).toBeLessThanOrEqual(stats.maskedWeights as number);
    }
  });

  it('forgets D_f through the masked weights while D_r stays', async () => {
    const { trainSet, split, original } = problem;
    expect(scoreOn(original, trainSet, split.forgetIndices).accuracy).toBeGreaterThan(0.9);
    const { model } = await run({ epochs: 3, learningRate: 5e-3 });
    expect(scoreOn(model, trainSet, split.forgetIndices).accuracy).toBeLessThan(0.2);
    expect(scoreOn(model, trainSet, split.retainIndices).accuracy).toBeGreaterThan(0.9);
  });

  it('takes the class preset for a whole class and the gentler random preset for any other forget set', async () => {
    const classRun = await run({ epochs: 1 });
    expect(classRun.stats.preset).toBe('class');
    expect(classRun.stats.settings.learningRate).toBe(1e-4);
    const random = await trainedProblem('random');
    const randomRun = await unlearn(random.original, random.split, { method: 'salun', train: random.trainSet, batchSize: 8, epochs: 1 });
    expect(randomRun.stats.preset).toBe('random');
    expect(randomRun.stats.settings.learningRate).toBe(2e-5);
    const explicit = await unlearn(random.original, random.split, { method: 'salun', train: random.trainSet, epochs: 1, learningRate: 1e-4 });
    expect(explicit.stats.preset).toBeNull();
    expect(explicit.stats.settings.learningRate).toBe(1e-4);
  });

  it('at threshold 0 changes nothing, and rejects bad options with coded errors', async () => {
    const { model } = await run({ ...plainSgd, threshold: 0 });
    expect(weights(model)).toEqual(weights(problem.original));
    expect(() => run({ threshold: 1.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/threshold/) }));
    expect(() => run({ threshold: '50%' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => run({ retain: true })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });
});
