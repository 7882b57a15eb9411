/**
 * Retraining from scratch on D_r as an unlearning method (native/unlearn/retrain.cc): bitwise the
 * model `trainFromScratch` makes, whatever the original's weights; a model that never saw D_f; and
 * a coded refusal of a TorchScript model, which camu cannot re-initialise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CamuError, createModel, ErrorCode, exportTorchScriptSync, loadTorchScriptSync, trainFromScratch, unlearn, unlearnSync } from '../../../lib';
import type { CreateModelOptions } from '../../../lib';
import { CLASSES, Problem, scoreOn, trainedProblem, weights } from '../../helpers/unlearning';

describe('retrain', () => {
  let problem: Problem;
  beforeAll(async () => {
    problem = await trainedProblem();
  });

  // One epoch from scratch need not reach the guard's floor (half the trained original's accuracy),
  // and the guard never changes a run it does not stop (test/conformance/methods.test.ts).
  const quick = { epochs: 1, seed: 7, retainFloor: 0 };

  it.each<[string, CreateModelOptions]>([
    ['mlp', { architecture: 'mlp', numClasses: CLASSES, inFeatures: 64, hiddenSize: 16 }],
    ['cnn', { architecture: 'cnn', numClasses: CLASSES, inputSize: 8 }],
  ])('gives bitwise the %s of trainFromScratch with the same seed on D_r', async (_, architecture) => {
    const { trainSet, split } = problem;
    const original = createModel({ ...architecture, seed: 1 });
    const { model } = await unlearn(original, split, { method: 'retrain', train: trainSet, ...quick });
    const scratch = await trainFromScratch({ ...architecture, seed: 7 }, { dataset: trainSet, indices: split.retainIndices }, { epochs: 1, seed: 7 });
    expect(weights(model)).toEqual(weights(scratch.model));
  });

  it("does not depend on the original's weights, only on its architecture", () => {
    const { trainSet, split, original } = problem;
    const untrained = createModel({ architecture: 'mlp', numClasses: CLASSES, inFeatures: 64, hiddenSize: 16, seed: 2 });
    const a = unlearnSync(original, split, { method: 'retrain', train: trainSet, ...quick }).model;
    const b = unlearnSync(untrained, split, { method: 'retrain', train: trainSet, ...quick }).model;
    expect(weights(a)).toEqual(weights(b));
  });

  it('never saw D_f: a removed class is not predicted, D_r is learnt, under the default guard', async () => {
    const { trainSet, split } = problem;
    const { model, stats } = await unlearn(problem.original, split, { method: 'retrain', train: trainSet, epochs: 10, learningRate: 3e-3, seed: 7 });
    expect(scoreOn(model, trainSet, split.forgetIndices).accuracy).toBe(0);
    expect(scoreOn(model, trainSet, split.retainIndices).accuracy).toBeGreaterThan(0.9);
    // The guard checks only the model the run ends with: a fresh one starts at chance.
    expect(stats.retainGuard?.checks.map((check) => check.step)).toEqual([stats.epochs.reduce((sum, epoch) => sum + epoch.steps, 0)]);
  });

  it('refuses a TorchScript model with ERR_CAMU_UNSUPPORTED: retrain it where it was defined', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-retrain-'));
    try {
      const file = path.join(dir, 'original.pt');
      exportTorchScriptSync(problem.original, file);
      const scripted = loadTorchScriptSync(file, { trustCode: true });
      const run = unlearn(scripted, problem.split, { method: 'retrain', train: problem.trainSet, ...quick });
      await expect(run).rejects.toThrow(CamuError);
      await expect(run).rejects.toMatchObject({ code: ErrorCode.Unsupported, message: expect.stringMatching(/torchscript model.*where it was defined/) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
