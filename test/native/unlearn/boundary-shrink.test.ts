/** Boundary Shrink (native/unlearn/boundary_shrink.cc) on a small synthetic problem: D_f samples
 * move to the neighbour classes the attack on the original found. */
import { unlearn } from '../../../lib';
import { accuracyOn, argmax, logits, Problem, trainedProblem } from './baseline-fixtures';

describe('boundary-shrink', () => {
  let p: Problem;
  beforeAll(async () => {
    p = await trainedProblem();
  });

  const run = (options: Record<string, unknown> = {}) =>
    unlearn(p.original, p.classSplit, {
      method: 'boundary-shrink',
      train: p.trainSet,
      epochs: 10,
      batchSize: 16,
      learningRate: 1e-4,
      seed: 1,
      ...options,
    } as never);

  it("moves D_f to the original's nearest wrong class", async () => {
    // With a vanishing epsilon the attack changes nothing: the original still predicts the true
    // label, so each neighbour is its second most likely class on the clean input.
    const { model, stats } = await run({ epsilon: 1e-9 });
    const { forgetIndices: forget, retainIndices: retain } = p.classSplit;
    expect(stats.neighbours).toBe(p.classSplit.forgetSize);
    expect(stats.neighboursFromAttack).toBe(0);
    const original = await logits(p.original, p.trainSet, forget);
    const neighbour = original.map((row) => {
      const top = argmax(row);
      return argmax(row.map((v, i) => (i === top ? -Infinity : v)));
    });
    const predicted = (await logits(model, p.trainSet, forget)).map(argmax);
    const agree = predicted.filter((c, i) => c === neighbour[i]).length / predicted.length;
    expect(agree).toBeGreaterThan(0.9);
    expect(await accuracyOn(model, p.trainSet, forget)).toBeLessThan(0.1);
    const before = await accuracyOn(p.original, p.trainSet, retain);
    // Trained on D_f alone, the student pays on D_r: on this 4-class toy problem the neighbour class
    // grows over part of another (0.85 here; higher learning rates lose a whole class).
    expect(before).toBeGreaterThan(0.95);
    expect(await accuracyOn(model, p.trainSet, retain)).toBeGreaterThan(0.75);
  });

  it('takes the neighbour from the attack where it crosses a boundary', async () => {
    const { stats } = await run({ epochs: 1, epsilon: 5, attackSteps: 3 });
    expect(stats.neighboursFromAttack).toBeGreaterThan(0);
    expect(stats.neighboursFromAttack).toBeLessThanOrEqual(p.classSplit.forgetSize);
  });
});
