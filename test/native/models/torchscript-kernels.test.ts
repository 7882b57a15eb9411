/**
 * camu's kernels on a user's TorchScript module (native/models/layer_plan.h): the paper's CNN as a
 * scripted nn.Module runs on them, and trains and unlearns as its own forward does (the reference
 * twin, `camuKernels: false`); modules with other layers keep their own forward and say why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModel, Dataset, evaluate, exportTorchScript, loadTorchScript, makeSplit, Model, train, unlearn } from '../../../lib';
import { maxAbsDiff, squaresDataset } from '../../helpers/models';
import { fixturesDir as fixtures } from '../../helpers/paths';

const data = squaresDataset(320);
const squares = new Dataset({ name: 'squares', images: data.images, labels: data.labels, numClasses: 4 });
const state = (model: Model) =>
  Object.fromEntries(Object.entries(model.stateTensors()).map(([name, t]) => [name, t.toTypedArray() as Float32Array]));
const load = (camuKernels: boolean) => loadTorchScript(path.join(fixtures, 'cnn14.pt'), { trustCode: true, camuKernels });

/** The largest difference between two models' tensors, relative to the largest weight. */
function relativeDifference(a: Model, b: Model): number {
  const [sa, sb] = [state(a), state(b)];
  let worst = 0;
  for (const name of Object.keys(sa)) {
    const scale = 1 + Math.max(...Array.from(sb[name], Math.abs));
    worst = Math.max(worst, maxAbsDiff(sa[name], sb[name]) / scale);
  }
  return worst;
}

describe("camu's kernels on TorchScript modules", () => {
  test('the paper CNN as a scripted nn.Module runs on the built-in CNN kernels', async () => {
    const model = await load(true);
    expect(model.execution).toEqual({
      engine: 'camu-kernels',
      layers: ['conv-relu-pool conv1.0', 'conv2d conv2.0', 'pool-relu', 'flatten', 'linear fc1 (embedding)', 'linear fc2.0', 'linear fc2.1'],
      precision: 'float32',
    });
    expect((await load(false)).execution).toEqual({ engine: 'torchscript', reason: 'off (camuKernels: false)', precision: 'float32' });
    expect(createModel({ architecture: 'cnn' }).execution).toEqual({ engine: 'builtin', precision: 'float32' });
  });

  test('training on the kernels gives the model the module itself trains to', async () => {
    const [fast, plain] = [await load(true), await load(false)];
    const [a, b] = [await train(fast, data, { epochs: 2, seed: 1 }), await train(plain, data, { epochs: 2, seed: 1 })];
    expect(a.model.execution.engine).toBe('camu-kernels');
    expect(b.model.execution.engine).toBe('torchscript');
    expect(relativeDifference(a.model, b.model)).toBeLessThan(1e-3);
    expect(relativeDifference(a.model, fast)).toBeGreaterThan(1e-3); // it did train
    expect((await evaluate(a.model, data)).accuracy).toBeCloseTo((await evaluate(b.model, data)).accuracy as number, 2);
  });

  test('CaMU unlearning on the kernels matches the module', async () => {
    const original = (await train(await load(false), data, { epochs: 2, seed: 1 })).model;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'camu-kernels-')), 'trained.pt');
    await exportTorchScript(original, file);
    const split = makeSplit(squares, { type: 'class', classes: [0] }, { seed: 3 });
    const run = async (camuKernels: boolean) =>
      unlearn(await loadTorchScript(file, { trustCode: true, camuKernels }), split, { train: squares, seed: 2, epochs: 1, klLr: 4e-4, impairLr: 1e-3, retainFloor: 0 });
    const [a, b] = [await run(true), await run(false)];
    expect(a.model.execution.engine).toBe('camu-kernels');
    expect(relativeDifference(a.model, b.model)).toBeLessThan(1e-3);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  test('modules with layers camu has no kernels for keep their own forward and say why', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'camu-kernels-')), 'resnet.pt');
    await exportTorchScript(createModel({ architecture: 'resnet18-cifar', numClasses: 2 }), file);
    const resnet = await loadTorchScript(file, { trustCode: true });
    expect(resnet.execution.engine).toBe('torchscript');
    expect(resnet.execution.reason).toMatch(/layers that behave differently in training \(batch norm, dropout/);
    const logitsOnly = await loadTorchScript(path.join(fixtures, 'logits-only.pt'), { trustCode: true, features: 'features', head: 'head' });
    expect(logitsOnly.execution).toEqual({ engine: 'camu-kernels', layers: ['flatten', 'linear features.1', 'relu', 'flatten (embedding)', 'linear head'], precision: 'float32' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
