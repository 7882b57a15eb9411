/**
 * The numeric guard (CheckFiniteStep, native/core/errors.h): a training or unlearning step whose
 * loss becomes NaN or infinite stops the job with ERR_CAMU_NON_FINITE, where before it returned a
 * model of NaN weights as a success; and evaluation refuses a model whose logits are not finite.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CamuError, ErrorCode, evaluate, evaluateUnlearning, loadWeightsSync, saveWeightsSync, tensor, train, unlearn, writeSafetensorsSync, readSafetensorsSync } from '../../lib';
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

  it('checkWeights stops at the step whose update made a weight infinite, one step before its loss could', async () => {
    const { trainSet, split, original } = problem;
    // A rate beyond float range: the first update makes weights infinite while that step's loss
    // (computed before it) is finite; the loss check alone stops at step 2.
    const data = { images: trainSet.images, labels: trainSet.labels };
    await expect(train(original, data, { epochs: 1, learningRate: 1e39, checkWeights: true })).rejects.toMatchObject({
      code: ErrorCode.NonFinite,
      message: expect.stringMatching(/^training stopped at step 1 \(epoch 1\): weight '[\w.]+' holds NaN or infinite values/),
    });
    await expect(train(original, data, { epochs: 1, learningRate: 1e39 })).rejects.toMatchObject({
      message: expect.stringMatching(/^training stopped at step 2 \(epoch 1\): its cross-entropy loss became/),
    });
    const options = { method: 'finetune', train: trainSet, optimizer: 'adam', learningRate: 1e39, epochs: 1, batchSize: 8, retainFloor: 0 };
    await expect(unlearn(original, split, { ...options, checkWeights: true })).rejects.toMatchObject({
      code: ErrorCode.NonFinite,
      message: expect.stringMatching(/^unlearning with finetune stopped at step 1 \(epoch 1\): weight '[\w.]+' holds NaN or infinite values/),
    });
    await expect(unlearn(original, split, options)).rejects.toMatchObject({ message: expect.stringMatching(/stopped at step 2 /) });
    expect(() => unlearn(original, split, { ...options, checkWeights: 'yes' as never })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgType }));
  });

  it('refuses to evaluate a model whose outputs are not finite', async () => {
    const { trainSet, split, original } = problem;
    // The original's weights with one NaN, written and loaded back as a user's file would be.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-nan-'));
    try {
      const file = path.join(dir, 'nan.safetensors');
      saveWeightsSync(original, file);
      const { tensors } = readSafetensorsSync(file);
      const [name, weight] = Object.entries(tensors).find(([, t]) => t.dtype === 'float32') as [string, (typeof tensors)[string]];
      const values = Float32Array.from(weight.toTypedArray() as Float32Array).fill(Number.NaN);
      writeSafetensorsSync(file, { ...tensors, [name]: tensor(values, weight.shape) });
      const broken = loadWeightsSync(original.clone(), file);
      await expect(evaluate(broken, { dataset: trainSet })).rejects.toMatchObject({
        code: ErrorCode.NonFinite,
        message: expect.stringMatching(/^evaluation stopped at batch 1 of \d+: the model's logits are not finite/),
      });
      await expect(evaluateUnlearning({ model: broken, train: trainSet, test: trainSet, split })).rejects.toMatchObject({ code: ErrorCode.NonFinite });
      // The same file without the NaN evaluates.
      writeSafetensorsSync(file, tensors);
      await expect(evaluate(loadWeightsSync(original.clone(), file), { dataset: trainSet })).resolves.toHaveProperty('accuracy');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
