/**
 * unlearn()'s rendezvous reaches the native run with its checkEvery (native/unlearn/removal.cc):
 * two ranks of this process that start from different weights are caught by the check after
 * step checkEvery, with ERR_CAMU_DISTRIBUTED on both.
 */
import { createModel, ErrorCode, info, unlearn } from '../../../lib';
import { freePort } from '../../../lib/cli/launch';
import { CLASSES, Problem, trainedProblem } from '../../helpers/unlearning';

const maybe = info().distributed.available ? it : it.skip;

describe('distributed unlearning', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  maybe('catches ranks whose weights differ at the checkEvery step', async () => {
    const { trainSet, split, original } = problem;
    // Rank 1 unlearns another model of the same shape (untrained, another seed).
    const other = createModel({ architecture: 'mlp', numClasses: CLASSES, inFeatures: 64, hiddenSize: 16, seed: 9 });
    const masterPort = await freePort();
    const runs = [original, other].map((model, rank) =>
      unlearn(model, split, { method: 'finetune', train: trainSet, epochs: 2, batchSize: 8, retainFloor: 0, distributed: { masterPort, worldSize: 2, rank, timeoutSeconds: 30, checkEvery: 2 } }),
    );
    // Both handled at once: whichever rank fails first must not be an unhandled rejection.
    await Promise.all(
      runs.map((run) => expect(run).rejects.toMatchObject({ code: ErrorCode.Distributed, message: expect.stringContaining('unlearned weights after step 2 differ') })),
    );
  });
});
