/** SCRUB (native/unlearn/scrub.cc) on a small synthetic problem: the max passes drive the student
 * away from the original on D_f while the min passes keep it on D_r. */
import { unlearn } from '../../../lib';
import type { Progress } from '../../../lib';
import { accuracyOn, logits, meanKl, Problem, trainedProblem } from './baseline-fixtures';

describe('scrub', () => {
  let p: Problem;
  beforeAll(async () => {
    p = await trainedProblem();
  });

  const run = (options: Record<string, unknown> = {}, onProgress?: (progress: Progress) => void) =>
    unlearn(p.original, p.classSplit, {
      method: 'scrub',
      train: p.trainSet,
      epochs: 4,
      maxSteps: 2,
      batchSize: 32,
      forgetBatchSize: 16,
      optimizer: 'adam',
      learningRate: 2e-3,
      seed: 1,
      // On this toy problem these strong settings dip D_r accuracy to a third during the max passes
      // before the min passes restore it: the retained-accuracy guard would stop the run there.
      retainFloor: 0,
      onProgress,
      ...options,
    } as never);

  it('moves the student away from the teacher on D_f while D_r accuracy stays', async () => {
    const { model } = await run();
    const { forgetIndices: forget, retainIndices: retain } = p.classSplit;
    const klForget = meanKl(await logits(p.original, p.trainSet, forget), await logits(model, p.trainSet, forget));
    const klRetain = meanKl(await logits(p.original, p.trainSet, retain), await logits(model, p.trainSet, retain));
    expect(klForget).toBeGreaterThan(0.5);
    expect(klForget).toBeGreaterThan(10 * klRetain);
    expect(await accuracyOn(model, p.trainSet, forget)).toBeLessThan(0.5);
    const before = await accuracyOn(p.original, p.trainSet, retain);
    expect(await accuracyOn(model, p.trainSet, retain)).toBeGreaterThan(before - 0.05);

    // Without max passes it is distillation on D_r only: D_f stays close to the teacher.
    const { model: minOnly } = await run({ maxSteps: 0 });
    const klMinOnly = meanKl(await logits(p.original, p.trainSet, forget), await logits(minOnly, p.trainSet, forget));
    expect(klForget).toBeGreaterThan(5 * klMinOnly);
  });

  it('runs max passes over D_f only in the first maxSteps epochs, each step reporting what it did', async () => {
    const events: Progress[] = [];
    const { stats } = await run({}, (progress) => events.push(progress));
    const removal = events.filter((e) => e.phase === 'removal') as unknown as Record<string, number>[];
    const forgetSteps = Math.ceil(p.classSplit.forgetSize / 16);
    const retainSteps = Math.ceil(p.classSplit.retainSize / 32);
    expect(stats.epochs.map((e) => e.steps)).toEqual([
      forgetSteps + retainSteps,
      forgetSteps + retainSteps,
      retainSteps,
      retainSteps,
    ]);
    const maxStep = removal[0];
    expect(maxStep.forgetKl).toBeGreaterThanOrEqual(0);
    expect([maxStep.retainKl, maxStep.retainCe]).toEqual([0, 0]);
    const minStep = removal[forgetSteps];
    expect(minStep.forgetKl).toBe(0);
    expect(minStep.retainCe).toBeGreaterThan(0);
    // The max pass increases the KL it ascends.
    expect(removal[forgetSteps - 1].forgetKl).toBeGreaterThan(removal[0].forgetKl);
  });
});
