/** NegGrad (native/unlearn/neggrad.cc): gradient ascent on D_f lowers its accuracy and raises its loss. */
import { unlearn } from '../../../lib';
import { Problem, scoreOn, trainedProblem, weights } from '../../helpers/unlearning';

describe('neggrad', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  it('raises the loss on D_f and lowers its accuracy', async () => {
    const { trainSet, split, original } = problem;
    const before = scoreOn(original, trainSet, split.forgetIndices);
    expect(before.accuracy).toBeGreaterThan(0.9);
    const events: Record<string, unknown>[] = [];
    const { model, stats } = await unlearn(original, split, {
      method: 'neggrad',
      train: trainSet,
      epochs: 3,
      batchSize: 8,
      learningRate: 1e-3,
      forgetTarget: -1,
      onProgress: (p) => events.push(p as unknown as Record<string, unknown>),
    });
    const after = scoreOn(model, trainSet, split.forgetIndices);
    expect(after.loss).toBeGreaterThan(before.loss + 1);
    expect(after.accuracy).toBeLessThan(before.accuracy - 0.5);
    // An epoch is one pass over D_f (60 samples in batches of 8), and the reported forget loss rises.
    expect(stats.epochs[0].steps).toBe(Math.ceil(split.forgetSize / 8));
    expect(stats.epochs[2].forgetLoss).toBeGreaterThan(stats.epochs[0].forgetLoss);
    expect(events.some((e) => e.phase === 'removal' && typeof e.forgetLoss === 'number')).toBe(true);
  });

  it('ascends with SGD too, and with both never touches the input model', async () => {
    const { trainSet, split, original } = problem;
    const before = weights(original);
    const { model } = await unlearn(original, split, { method: 'neggrad', train: trainSet, optimizer: 'sgd', learningRate: 0.01, epochs: 2, batchSize: 8 });
    expect(scoreOn(model, trainSet, split.forgetIndices).loss).toBeGreaterThan(scoreOn(original, trainSet, split.forgetIndices).loss);
    expect(weights(original)).toEqual(before);
  });

  it('rejects bad options with coded errors', () => {
    const { trainSet, split, original } = problem;
    const run = (options: Record<string, unknown>) => () => unlearn(original, split, { method: 'neggrad', train: trainSet, ...options });
    expect(run({ learningRate: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ optimizer: 'rmsprop' })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ momentum: 2 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ alpha: 0.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(run({ epochs: 'two' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
