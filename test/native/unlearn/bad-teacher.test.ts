/** Bad Teaching (native/unlearn/bad_teacher.cc) on a small synthetic problem: the student's D_f
 * outputs move to the incompetent teacher's (its labels are lost) while D_r stays. */
import { unlearn } from '../../../lib';
import type { Progress } from '../../../lib';
import { accuracyOn, logits, Problem, trainedProblem } from './baseline-fixtures';

function meanMaxProbability(rows: number[][]): number {
  return (
    rows.reduce((acc, row) => {
      const m = Math.max(...row);
      const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      return acc + 1 / z;
    }, 0) / rows.length
  );
}

describe('bad-teacher', () => {
  let p: Problem;
  beforeAll(async () => {
    p = await trainedProblem();
  });

  const run = (options: Record<string, unknown> = {}, onProgress?: (progress: Progress) => void) =>
    unlearn(p.original, p.classSplit, {
      method: 'bad-teacher',
      train: p.trainSet,
      epochs: 20,
      batchSize: 32,
      learningRate: 3e-3,
      // every planned step: the class preset's forget stop off
      forgetTarget: -1,
      seed: 1,
      onProgress,
      ...options,
    } as never);

  it("moves D_f to the incompetent teacher's outputs and keeps D_r", async () => {
    const events: Progress[] = [];
    const { model, stats } = await run({}, (progress) => events.push(progress));
    const { forgetIndices: forget, retainIndices: retain } = p.classSplit;
    // Trained on D_f and round(0.3·|D_r|) retained samples.
    expect(stats.trainingSamples).toBe(p.classSplit.forgetSize + Math.round(0.3 * p.classSplit.retainSize));

    // The distance to the incompetent teacher on D_f shrinks (the student approaches it) ...
    const removal = events.filter((e) => e.phase === 'removal') as unknown as Record<string, number>[];
    const epochMean = (epoch: number) => {
      const rows = removal.filter((e) => e.epoch === epoch && e.forgetKl > 0);
      return rows.reduce((acc, e) => acc + e.forgetKl, 0) / rows.length;
    };
    expect(epochMean(20)).toBeLessThan(0.5 * epochMean(1));
    // ... so D_f loses its labels and the confidence the original had on it,
    expect(await accuracyOn(p.original, p.trainSet, forget)).toBeGreaterThan(0.9);
    expect(await accuracyOn(model, p.trainSet, forget)).toBeLessThan(0.3);
    expect(meanMaxProbability(await logits(model, p.trainSet, forget))).toBeLessThan(
      meanMaxProbability(await logits(p.original, p.trainSet, forget)) - 0.3,
    );
    // while the competent teacher keeps D_r.
    const before = await accuracyOn(p.original, p.trainSet, retain);
    expect(await accuracyOn(model, p.trainSet, retain)).toBeGreaterThan(before - 0.05);
  });

  it('trains on D_f alone when retainFraction is 0', async () => {
    const { stats } = await run({ epochs: 1, retainFraction: 0 });
    expect(stats.trainingSamples).toBe(p.classSplit.forgetSize);
    expect(stats.epochs[0].retainKl).toBe(0);
  });
});
