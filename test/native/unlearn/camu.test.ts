/** The CaMU engine (docs/algorithm.md §2-§4) on a small synthetic dataset. */
import {
  AbortError,
  buildCounterfactualSetSync,
  createModel,
  datasetFromArrays,
  makeSplit,
  train,
  unlearn,
} from '../../../lib';
import type { Dataset, Model, Split } from '../../../lib';
import { CLASSES, quadrantsDataset } from '../../helpers/unlearning';

const SIDE = 8;
const syntheticDataset = () => quadrantsDataset('synthetic');

const floats = (t: { toTypedArray(): unknown }) => Array.from(t.toTypedArray() as Float32Array);
const ints = (t: { toTypedArray(): unknown }) => Array.from(t.toTypedArray() as BigInt64Array, Number);

function rows(values: number[], width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, r) => values.slice(r * width, (r + 1) * width));
}

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/** Σ_rows KL(softmax(p) ‖ softmax(q)) */
function klSum(teacher: number[][], student: number[][]): number {
  return teacher.reduce((acc, row, r) => {
    const logP = logSoftmax(row);
    const logQ = logSoftmax(student[r]);
    return acc + logP.reduce((s, lp, i) => s + Math.exp(lp) * (lp - logQ[i]), 0);
  }, 0);
}

function ceMean(logits: number[][], labels: number[]): number {
  return logits.reduce((acc, row, r) => acc - logSoftmax(row)[labels[r]], 0) / logits.length;
}

function weights(model: Model): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateTensors()).map(([k, t]) => [k, floats(t)]));
}

describe('CaMU engine', () => {
  let trainSet: Dataset;
  let split: Split;
  let original: Model;

  beforeAll(async () => {
    trainSet = syntheticDataset();
    const start = createModel({ architecture: 'cnn', numClasses: CLASSES, inputSize: SIDE, seed: 1 });
    original = (await train(start, { images: trainSet.images, labels: trainSet.labels }, { epochs: 3, seed: 1 })).model;
    split = makeSplit(trainSet, { type: 'class', classes: [0] }, { seed: 3 });
  });

  const run = (options: Partial<Parameters<typeof unlearn>[2]> = {}) =>
    unlearn(original, split, { train: trainSet, epochs: 2, klLr: 4e-4, impairLr: 1e-3, ...options });

  it('first-step losses equal a direct computation of docs/algorithm.md §3 on the counterfactual set', async () => {
    // One batch holds every pair and all of D_s, so the step's sums do not depend on the order.
    const events: Record<string, number>[] = [];
    await run({ epochs: 1, batchSize: 1000, klLr: 1e-12, impairLr: 1e-12, onProgress: (p) => events.push(p as any) });
    const first = events.find((e) => e.phase === ('removal' as any))!;

    const cf = buildCounterfactualSetSync(trainSet, split, { seed: split.seed });
    const D = original.embeddingSize!;
    const forward = (images: any) => original.forward(images);
    const xf = trainSet.batch(cf.forgetOrder);
    const xr = trainSet.batch(split.sampleIndices);
    const teacherCf = rows(floats(forward(cf.inputs()).embedding), D);
    const studentF = forward(xf);
    const studentR = forward(xr);
    const yrOrdered = ints(split.sampleIndices).map((i) => ints(trainSet.labels)[i]);

    // Step 1 at θ = θ_o: the sample-set term is KL(p ‖ p) = 0; the counterfactual term pairs x~ with x_f.
    expect(first.klSample).toBeCloseTo(0, 5);
    const expectedKl = 0.5 * klSum(teacherCf, rows(floats(studentF.embedding), D));
    expect(Math.abs(first.klCounterfactual - expectedKl)).toBeLessThan(1e-4 * Math.max(1, expectedKl));
    // Step 2 after a (here negligible, lr 1e-12) step 1: 0.9·CE(f(x_r), y_r) and 0.01·CE(f(x_f), y~).
    const expectedCeSample = 0.9 * ceMean(rows(floats(studentR.logits), CLASSES), yrOrdered);
    const expectedCeCf = 0.01 * ceMean(rows(floats(studentF.logits), CLASSES), ints(cf.labels));
    expect(first.ceSample).toBeCloseTo(expectedCeSample, 4);
    expect(first.ceCounterfactual).toBeCloseTo(expectedCeCf, 5);
    // The counterfactual labels never equal the paired forget label (the re-draw rule).
    const trainLabels = ints(trainSet.labels);
    ints(cf.labels).forEach((y, i) => expect(y).not.toBe(trainLabels[ints(cf.forgetOrder)[i]]));
  });

  it('returns a new model, never modifies the input, and is reproducible from its seed', async () => {
    const before = weights(original);
    const a = await run({ seed: 7 });
    const b = await run({ seed: 7 });
    const c = await run({ seed: 8 });
    expect(weights(original)).toEqual(before);
    expect(weights(a.model)).toEqual(weights(b.model));
    expect(weights(a.model)).not.toEqual(weights(c.model));
    expect(a.stats.pairs).toBe(split.forgetSize);
    expect(a.stats.epochs).toHaveLength(2);
    expect(a.stats.seconds).toBeGreaterThanOrEqual(a.stats.removalSeconds);
    expect(a.stats.settings).toMatchObject({ epochs: 2, seed: 7, batchSize: 32 });
  });

  it('leaves the input model unchanged when aborted, and rejects with an AbortError', async () => {
    const before = weights(original);
    const controller = new AbortController();
    let steps = 0;
    const job = run({
      epochs: 50,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'removal' && ++steps === 3) controller.abort();
      },
    });
    await expect(job).rejects.toBeInstanceOf(AbortError);
    expect(steps).toBeLessThan(10);
    expect(weights(original)).toEqual(before);
  });

  it('gives the same result with every shortcut off (teacher caches, batched passes, fused loss)', async () => {
    const fast = await run({ seed: 5 });
    const plain = await run({
      seed: 5,
      cacheTeacherEmbeddings: false,
      batchStudentPasses: false,
      backwardPerPass: false,
      fusedLoss: false,
      fusedAdam: false,
    });
    expect(fast.stats.teacherSampleCached).toBe(true);
    expect(fast.stats.studentPassesBatched).toBe(true);
    expect(plain.stats.teacherSampleCached).toBe(false);
    expect(plain.stats.studentPassesBatched).toBe(false);
    const a = weights(fast.model);
    const b = weights(plain.model);
    for (const key of Object.keys(a)) {
      const worst = a[key].reduce((m, v, i) => Math.max(m, Math.abs(v - b[key][i])), 0);
      expect({ key, close: worst < 1e-4 }).toEqual({ key, close: true });
    }
    fast.stats.epochs.forEach((epoch, i) => {
      expect(epoch.klCounterfactual).toBeCloseTo(plain.stats.epochs[i].klCounterfactual, 4);
      expect(epoch.ceSample).toBeCloseTo(plain.stats.epochs[i].ceSample, 4);
    });
  });

  it('differentiates each student pass on its own where batch statistics keep them apart, with bitwise the same result', async () => {
    const resnet = createModel({ architecture: 'resnet18-cifar', numClasses: CLASSES, inChannels: 1, seed: 4 });
    const options = { train: trainSet, epochs: 1, batchSize: 16, klLr: 4e-4, impairLr: 1e-3, seed: 5 };
    const perPass = await unlearn(resnet, split, options);
    const joint = await unlearn(resnet, split, { ...options, backwardPerPass: false });
    expect(perPass.stats).toMatchObject({ studentPassesBatched: false, backwardPerPass: true });
    expect(joint.stats).toMatchObject({ studentPassesBatched: false, backwardPerPass: false });
    expect(perPass.stats.epochs[0].steps).toBeGreaterThan(1);
    // Byte comparisons: ResNet-18 has 11M weights, too many for element-wise matchers.
    const bytes = (model: Model) =>
      Object.entries(model.stateTensors()).map(([name, t]) => {
        const values = t.toTypedArray() as ArrayBufferView;
        return [name, Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64')];
      });
    const before = Object.fromEntries(bytes(resnet));
    const after = bytes(perPass.model);
    expect(after).toEqual(bytes(joint.model));
    expect(after.filter(([name, value]) => value !== before[name]).length).toBeGreaterThan(100);
    perPass.model.dispose();
    joint.model.dispose();
    resnet.dispose();
  });

  it('switches off each ablated component', async () => {
    const events: Record<string, number>[] = [];
    await run({ epochs: 1, ablate: ['klSample', 'klCounterfactual', 'ceCounterfactual'], onProgress: (p) => events.push(p as any) });
    const removal = events.filter((e) => e.phase === ('removal' as any));
    expect(removal.length).toBeGreaterThan(0);
    for (const e of removal) {
      expect(e.klSample).toBe(0);
      expect(e.klCounterfactual).toBe(0);
      expect(e.ceCounterfactual).toBe(0);
      expect(e.ceSample).toBeGreaterThan(0);
    }
    const noNoise = await run({ seed: 5, ablate: ['noise'] });
    const full = await run({ seed: 5 });
    expect(weights(noNoise.model)).not.toEqual(weights(full.model));
    expect(() => run({ ablate: ['teacher' as any] })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/ablate entries must be/) }));
  });

  it('uses the paper preset for the split, and validates options', async () => {
    expect(() => unlearn(original, split, { train: trainSet })).toThrow(/no paper preset for dataset 'synthetic'/);
    expect(() => unlearn(original, split, { train: trainSet, preset: 'mnist-class', batchSize: 0 })).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => unlearn(original, split, { train: trainSet, preset: 'mnist-class', klLr: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/options\.klLr must be a finite number > 0/) }));
    expect(() => unlearn(original, split, { train: trainSet, preset: 'nope' as any })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/options\.preset must be/) }));
    const other = datasetFromArrays({ images: new Uint8Array(10 * 64), shape: [10, 1, 8, 8], labels: new Uint8Array(10), numClasses: 4, name: 'other' });
    expect(() => unlearn(original, split, { train: other, preset: 'mnist-class' })).toThrow(/split/);
    const { stats } = await unlearn(original, split, { train: trainSet, preset: 'mnist-class', epochs: 1 });
    expect(stats.preset).toBe('mnist-class');
    expect(stats.settings).toMatchObject({ epochs: 1, klLr: 4e-4, impairLr: 1e-3 });
  });
});
