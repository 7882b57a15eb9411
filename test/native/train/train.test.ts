import * as path from 'node:path';
import {
  AbortError,
  createModel,
  Dataset,
  evaluate,
  evaluateSync,
  loadTorchScript,
  Model,
  Progress,
  tensor,
  train,
  trainFromScratch,
} from '../../../lib';
import { indexTensor, maxAbsDiff, squaresDataset } from '../../helpers/models';
import { fixturesDir as fixtures } from '../../helpers/paths';

const data = squaresDataset(320);
const cnn = (seed = 0) => createModel({ architecture: 'cnn', inputSize: 14, numClasses: 4, seed });
const state = (model: Model) =>
  Object.fromEntries(Object.entries(model.stateTensors()).map(([name, t]) => [name, t.toTypedArray()]));

describe('train', () => {
  test('learns the task, reports every step, leaves the input model untouched', async () => {
    const model = cnn();
    const before = state(model);
    const progress: Progress[] = [];
    const result = await train(model, data, { epochs: 2, onProgress: (p) => progress.push(p) });
    expect(result.model).not.toBe(model);
    expect(result.steps).toBe(20);
    expect(result.samplesPerEpoch).toBe(320);
    expect(progress).toHaveLength(20);
    expect(progress[19]).toMatchObject({ phase: 'train', step: 20, total: 20, epoch: 2 });
    expect(progress.every((p) => typeof p.loss === 'number' && Number.isFinite(p.loss))).toBe(true);
    expect(result.epochLosses[1]).toBeLessThan(result.epochLosses[0]);
    expect(state(model)).toEqual(before);
    const evaluation = await evaluate(result.model, data);
    expect(evaluation.accuracy).toBeGreaterThan(0.9);
  });

  test('same seed and threads give bitwise-identical weights; another seed does not', async () => {
    const run = async (seed: number) => state((await train(cnn(1), data, { epochs: 1, seed })).model);
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    for (const name of Object.keys(a)) expect(b[name]).toEqual(a[name]);
    expect(maxAbsDiff(a['fc1.weight'] as Float32Array, c['fc1.weight'] as Float32Array)).toBeGreaterThan(0);
  });

  test("steps camu's one-pass Adam by default and libtorch's on request, to the same weights up to rounding", async () => {
    const run = async (fusedAdam?: boolean) => state((await train(cnn(1), data, { epochs: 2, seed: 3, fusedAdam })).model);
    const fused = await run();
    const libtorch = await run(false);
    expect(await run(true)).toEqual(fused);
    let largest = 0;
    for (const name of Object.keys(fused)) {
      const diff = maxAbsDiff(fused[name] as Float32Array, libtorch[name] as Float32Array);
      expect({ name, close: diff < 1e-4 }).toEqual({ name, close: true });
      largest = Math.max(largest, diff);
    }
    expect(largest).toBeGreaterThan(0); // the two implementations did run: they round differently
    await expect(async () => train(cnn(1), data, { fusedAdam: 'yes' as unknown as boolean })).rejects.toThrow(
      expect.objectContaining({ name: 'TypeError' }),
    );
  });

  test('trains on the selected indices only, in place when asked', async () => {
    const model = cnn();
    const before = state(model);
    const indices = indexTensor(Array.from({ length: 70 }, (_, i) => i * 3));
    const result = await train(model, { ...data, indices }, { epochs: 1, batchSize: 16, inPlace: true });
    expect(result.model).toBe(model);
    expect(result.steps).toBe(5);
    expect(result.samplesPerEpoch).toBe(70);
    expect(maxAbsDiff(state(model)['fc1.weight'] as Float32Array, before['fc1.weight'] as Float32Array)).toBeGreaterThan(0);
  });

  test('trainFromScratch builds and trains a fresh model', async () => {
    const result = await trainFromScratch(
      { architecture: 'mlp', inFeatures: 196, hiddenSize: 32, numClasses: 4, seed: 3 },
      data,
      { epochs: 3, learningRate: 3e-3 },
    );
    expect(result.model.architecture).toBe('mlp');
    expect((await evaluate(result.model, data)).accuracy).toBeGreaterThan(0.9);
  });

  test('TorchScript models train like built-ins, in both output conventions', async () => {
    const pair = await loadTorchScript(path.join(fixtures, 'cnn14.pt'), { trustCode: true });
    const logitsOnly = await loadTorchScript(path.join(fixtures, 'logits-only.pt'), { trustCode: true, features: 'features', head: 'head' });
    for (const model of [pair, logitsOnly]) {
      const before = state(model);
      const result = await train(model, data, { epochs: 2 });
      expect(result.model.architecture).toBe('torchscript');
      expect(result.epochLosses[1]).toBeLessThan(result.epochLosses[0]);
      expect(state(model)).toEqual(before);
      expect((await evaluate(result.model, data)).accuracy).toBeGreaterThan(0.9);
    }
  });

  test('ResNet-18 (CIFAR stem) trains with batch statistics and counts batches', async () => {
    const images = tensor(new Uint8Array(8 * 3 * 8 * 8).map((_, i) => (i * 13) % 256), [8, 3, 8, 8]);
    const labels = tensor(BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 2)), [8]);
    const model = createModel({ architecture: 'resnet18-cifar', numClasses: 2 });
    const result = await train(model, { images, labels }, { epochs: 1, batchSize: 4 });
    const trained = result.model.stateTensors();
    expect(Array.from(trained['bn1.num_batches_tracked'].toTypedArray() as BigInt64Array)).toEqual([2n]);
    expect(Array.from(model.stateTensors()['bn1.num_batches_tracked'].toTypedArray() as BigInt64Array)).toEqual([0n]);
  });

  test("a Dataset trains through its transform: none = the raw tensors, pad-crop draws augmentation", async () => {
    const squares = new Dataset({ name: 'squares', images: data.images, labels: data.labels, numClasses: 4 });
    const indices = indexTensor(Array.from({ length: 96 }, (_, i) => 319 - i));
    const run = async (d: Parameters<typeof train>[1]) => state((await train(cnn(2), d, { epochs: 1, seed: 3 })).model);
    const raw = await run({ ...data, indices });
    expect(await run({ dataset: squares, indices })).toEqual(raw);
    const augmented = { dataset: squares.withTransform({ geometry: 'pad-crop-32' }), indices };
    const a = await run(augmented);
    expect(maxAbsDiff(a['fc1.weight'] as Float32Array, raw['fc1.weight'] as Float32Array)).toBeGreaterThan(0);
    expect(await run(augmented)).toEqual(a);
    expect(() => train(cnn(), { dataset: data as unknown as Dataset })).toThrow(/data.dataset must be a Dataset/);
  });

  test('abort stops between steps and changes nothing', async () => {
    const model = cnn();
    const before = state(model);
    const controller = new AbortController();
    const run = train(model, data, {
      epochs: 5,
      inPlace: true,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(state(model)).toEqual(before);
  });

  test('bad data throws before the job starts', () => {
    const model = cnn();
    expect(() => train(model, { images: data.images, labels: tensor(new Int32Array(320), [320]) })).toThrow(
      /labels must be int64/,
    );
    expect(() => train(model, { ...data, indices: indexTensor([0, 320]) })).toThrow(/indices must be in \[0, 320\)/);
    const wrongLabels = tensor(BigInt64Array.from({ length: 320 }, () => 4n), [320]);
    expect(() => train(model, { images: data.images, labels: wrongLabels })).toThrow(/labels must be in \[0, 4\)/);
    expect(() => train(model, data, { learningRate: 0 })).toThrow(expect.objectContaining({ name: 'RangeError' }));
    expect(() => train(model, { ...data, indices: indexTensor([]) })).toThrow(/no samples selected/);
  });

  test('images that do not fit the model reject with a RangeError', async () => {
    const images = tensor(new Uint8Array(4 * 3 * 14 * 14), [4, 3, 14, 14]);
    const labels = tensor(new BigInt64Array(4), [4]);
    await expect(train(cnn(), { images, labels }, { epochs: 1 })).rejects.toThrow(
      /cnn model takes input \[N, 1, 14, 14\], got \[4, 3, 14, 14\]/,
    );
  });
});

describe('evaluate', () => {
  test("a Dataset is evaluated through its evaluation transform, in the given order", async () => {
    const squares = new Dataset({ name: 'squares', images: data.images, labels: data.labels, numClasses: 4 });
    const indices = indexTensor([5, 300, 7, 12]);
    const model = cnn(4);
    const outputs: ('logits' | 'loss')[] = ['logits', 'loss'];
    const raw = await evaluate(model, { ...data, indices }, { outputs });
    // pad-crop's evaluation input is the stored image
    const padded = await evaluate(model, { dataset: squares.withTransform({ geometry: 'pad-crop-32' }), indices }, { outputs });
    expect(padded.logits).toEqual(raw.logits);
    expect(padded.loss).toEqual(raw.loss);
    // resize-224 evaluates the resized centre crop: the same as its batch() input, passed as floats
    const big = createModel({ architecture: 'cnn', inputSize: 224, numClasses: 4, seed: 4 });
    const resized = squares.withTransform({ geometry: 'resize-224' });
    const viaDataset = evaluateSync(big, { dataset: resized, indices }, { outputs: ['logits'] });
    const viaBatch = evaluateSync(big, { images: resized.batch(indices), labels: tensor(BigInt64Array.from([1n, 0n, 3n, 0n]), [4]) }, { outputs: ['logits'] });
    expect(maxAbsDiff(viaDataset.logits as Float32Array, viaBatch.logits as Float32Array)).toBeLessThan(1e-6);
    expect(viaDataset.correct).toBe(viaBatch.correct);
  });

  test('returns the requested per-sample outputs, consistent with each other', async () => {
    const model = (await train(cnn(), data, { epochs: 1 })).model;
    const indices = indexTensor([5, 0, 17, 300]);
    const result = evaluateSync(
      model,
      { ...data, indices },
      { batchSize: 3, outputs: ['logits', 'probabilities', 'embeddings', 'loss', 'predictions'] },
    );
    expect(result.count).toBe(4);
    expect(result.numClasses).toBe(4);
    expect(result.embeddingSize).toBe(256);
    expect(result.logits).toHaveLength(16);
    expect(result.embeddings).toHaveLength(4 * 256);
    const labels = [5, 0, 17, 300].map((i) => i % 4);
    let correct = 0;
    let lossSum = 0;
    for (let n = 0; n < 4; n++) {
      const row = Array.from(result.probabilities!.subarray(n * 4, n * 4 + 4));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const argmax = row.indexOf(Math.max(...row));
      expect(result.predictions![n]).toBe(argmax);
      if (argmax === labels[n]) correct++;
      expect(result.loss![n]).toBeCloseTo(-Math.log(row[labels[n]]), 4);
      lossSum += result.loss![n];
    }
    expect(result.correct).toBe(correct);
    expect(result.accuracy).toBe(correct / 4);
    expect(result.meanLoss).toBeCloseTo(lossSum / 4, 5);
    // Batch size does not change the outputs; the async job gives the same.
    const whole = await evaluate(model, { ...data, indices }, { batchSize: 256, outputs: ['logits'] });
    expect(maxAbsDiff(whole.logits!, result.logits!)).toBeLessThan(1e-5);
  });

  test('without labels there is no accuracy, and the loss output is refused', () => {
    const model = cnn();
    const result = evaluateSync(model, { images: data.images }, { outputs: ['predictions'] });
    expect(result.accuracy).toBeUndefined();
    expect(result.predictions).toHaveLength(320);
    expect(() => evaluateSync(model, { images: data.images }, { outputs: ['loss'] })).toThrow(/'loss' output needs labels/);
    expect(() => evaluateSync(model, data, { outputs: ['features' as never] })).toThrow(/must be one of 'logits'/);
  });
});
