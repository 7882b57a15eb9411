/** NegGrad+ (native/unlearn/neggrad_plus.cc): D_f's accuracy falls while D_r's stays high. */
import { unlearn } from '../../../lib';
import { Problem, scoreOn, trainedProblem } from '../../helpers/unlearning';

describe('neggrad+', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  const run = (options: Record<string, unknown>) =>
    unlearn(problem.original, problem.split, { method: 'neggrad+', train: problem.trainSet, batchSize: 8, forgetTarget: -1, ...options });

  it('forgets D_f while the retained term keeps D_r', async () => {
    const { trainSet, split, original } = problem;
    expect(scoreOn(original, trainSet, split.forgetIndices).accuracy).toBeGreaterThan(0.9);
    const { model, stats } = await run({ epochs: 2, alpha: 0.9, optimizer: 'adam', learningRate: 1e-3 });
    expect(scoreOn(model, trainSet, split.forgetIndices).accuracy).toBeLessThan(0.2);
    expect(scoreOn(model, trainSet, split.retainIndices).accuracy).toBeGreaterThan(0.9);
    // An epoch is one pass over D_r (180 samples in batches of 8), D_f's batches cycling beside it.
    expect(stats.epochs[0].steps).toBe(Math.ceil(split.retainSize / 8));
    expect(stats.epochs[1].forgetLoss).toBeGreaterThan(stats.epochs[0].forgetLoss);
    expect(stats.epochs[1].retainLoss).toBeLessThan(0.5);
  });

  it('weighs only the ascent at alpha 0 and only the descent at alpha 1', async () => {
    const { trainSet, split } = problem;
    const options = { epochs: 1, optimizer: 'adam', learningRate: 1e-3 };
    const ascent = await run({ ...options, alpha: 0 });
    const descent = await run({ ...options, alpha: 1 });
    const forgetAfter = (model: typeof ascent.model) => scoreOn(model, trainSet, split.forgetIndices);
    expect(forgetAfter(ascent.model).loss).toBeGreaterThan(1);
    expect(forgetAfter(ascent.model).accuracy).toBeLessThan(0.5);
    expect(forgetAfter(descent.model).accuracy).toBe(1);
    expect(forgetAfter(descent.model).loss).toBeLessThan(0.1);
    expect(descent.stats.epochs[0].retainLoss).toBeLessThan(ascent.stats.epochs[0].retainLoss);
  });

  it('rejects bad options with coded errors', () => {
    expect(() => run({ alpha: 1.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/alpha/) }));
    expect(() => run({ alpha: -0.1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => run({ alpha: 'half' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => run({ optimizer: 'lbfgs' })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });
});
