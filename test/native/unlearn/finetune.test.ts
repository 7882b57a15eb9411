/** Fine-tuning (native/unlearn/finetune.cc) and its l1-sparse variant (option l1). */
import { unlearn } from '../../../lib';
import { Problem, trainedProblem, weights } from '../../helpers/unlearning';

describe('finetune', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  const run = (options: Record<string, unknown>) =>
    unlearn(problem.original, problem.split, { method: 'finetune', train: problem.trainSet, epochs: 2, batchSize: 16, seed: 2, ...options });

  const l1Norm = (w: Record<string, number[]>) => Object.values(w).reduce((acc, v) => acc + v.reduce((s, x) => s + Math.abs(x), 0), 0);

  it('l1 = 0 is plain fine-tuning, bitwise', async () => {
    const plain = weights((await run({})).model);
    expect(weights((await run({ l1: 0 })).model)).toEqual(plain);
    expect(plain).not.toEqual(weights(problem.original));
  });

  it('l1 > 0 adds the L1 penalty: smaller weights in L1 norm, growing with l1', async () => {
    const plain = l1Norm(weights((await run({})).model));
    const small = l1Norm(weights((await run({ l1: 1e-3 })).model));
    const large = l1Norm(weights((await run({ l1: 1e-2 })).model));
    expect(small).toBeLessThan(plain);
    expect(large).toBeLessThan(small);
  });

  it('rejects a negative l1', () => {
    expect(() => run({ l1: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/l1/) }));
  });
});
