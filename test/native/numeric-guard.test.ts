/**
 * The numeric guard (CheckFiniteStep, native/core/errors.h): a training or unlearning step whose
 * loss becomes NaN or infinite stops the job with ERR_CAMU_NON_FINITE, where before it returned a
 * model of NaN weights as a success.
 */
import { CamuError, ErrorCode, train, unlearn } from '../../lib';
import { Problem, trainedProblem, weights } from '../helpers/unlearning';

describe('the numeric guard', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  it('stops an unlearning run whose weights diverge, the input model untouched', async () => {
    const { trainSet, split, original } = problem;
    const before = weights(original);
    // SGD at 1e30 leaves float range within a few steps; the retained-accuracy guard is off, so
    // only the numeric guard can stop the run.
    const run = unlearn(original, split, { method: 'finetune', train: trainSet, learningRate: 1e30, epochs: 3, batchSize: 8, retainFloor: 0 });
    await expect(run).rejects.toThrow(CamuError);
    await expect(run).rejects.toMatchObject({
      code: ErrorCode.NonFinite,
      message: expect.stringMatching(/^unlearning with finetune stopped at step \d+ \(epoch \d\): its loss became (NaN|[+-]Infinity)/),
    });
    expect(weights(original)).toEqual(before);
  });

  it('stops training whose weights diverge', async () => {
    const { trainSet, original } = problem;
    const run = train(original, { images: trainSet.images, labels: trainSet.labels }, { epochs: 3, learningRate: 1e30 });
    await expect(run).rejects.toMatchObject({
      code: ErrorCode.NonFinite,
      message: expect.stringMatching(/^training stopped at step \d+ \(epoch \d\): its cross-entropy loss became/),
    });
    // A sane rate trains.
    await expect(train(original, { images: trainSet.images, labels: trainSet.labels }, { epochs: 1 })).resolves.toHaveProperty('steps');
  });
});
