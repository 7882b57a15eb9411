/** Random labels (native/unlearn/random_label.cc): D_f's predictions move off their labels; `retain` uses D_r. */
import { evaluateSync, unlearn } from '../../../lib';
import { Problem, scoreOn, trainedProblem } from '../../helpers/unlearning';

describe('random-label', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  // The plain method, every planned step: the class preset's D_r batches and forget stop off.
  const run = (options: Record<string, unknown>) =>
    unlearn(problem.original, problem.split, { method: 'random-label', train: problem.trainSet, batchSize: 8, learningRate: 5e-3, retain: false, forgetTarget: -1, ...options });

  it('moves the predictions on D_f off their labels, onto the other classes', async () => {
    const { trainSet, split, original } = problem;
    expect(scoreOn(original, trainSet, split.forgetIndices).accuracy).toBeGreaterThan(0.9);
    const { model, stats } = await run({ epochs: 3 });
    const { predictions } = evaluateSync(model, { dataset: trainSet, indices: split.forgetIndices }, { outputs: ['predictions'] });
    const moved = Array.from(predictions as Int32Array).filter((p) => p !== 0).length;
    expect(moved / split.forgetSize).toBeGreaterThan(0.9);
    // Towards several other classes, not one: the labels are drawn per sample.
    expect(new Set(Array.from(predictions as Int32Array)).size).toBeGreaterThan(1);
    // An epoch is one pass over D_f; without retain there is no D_r term.
    expect(stats.epochs[0].steps).toBe(Math.ceil(split.forgetSize / 8));
    expect(stats.epochs[2].forgetLoss).toBeLessThan(stats.epochs[0].forgetLoss);
    for (const epoch of stats.epochs) expect(epoch.retainLoss).toBe(0);
  });

  it('with retain, also trains on D_r batches in the same steps', async () => {
    const { trainSet, split } = problem;
    const plain = await run({ epochs: 2, seed: 1 });
    const mixed = await run({ epochs: 2, seed: 1, retain: true });
    expect(mixed.stats.epochs[0].steps).toBe(plain.stats.epochs[0].steps);
    for (const epoch of mixed.stats.epochs) expect(epoch.retainLoss).toBeGreaterThan(0);
    // The D_r term keeps the retained data fit at least as well as without it, and changes the result.
    expect(scoreOn(mixed.model, trainSet, split.retainIndices).loss).toBeLessThan(scoreOn(plain.model, trainSet, split.retainIndices).loss);
    expect(scoreOn(mixed.model, trainSet, split.forgetIndices).accuracy).toBeLessThan(0.2);
  });

  it('rejects bad options with coded errors', () => {
    expect(() => run({ retain: 1 })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/retain/) }));
    expect(() => run({ learningRate: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => run({ batchSize: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });
});
