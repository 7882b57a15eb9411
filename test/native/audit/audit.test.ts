/**
 * audit() and its reference models on constructed cases (docs/audit.md): images of noise with
 * random labels, so that nothing generalises and a model knows a row only by having trained on it.
 * A model that memorised its forget set is caught; a model retrained without it is not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { audit, RmiaAuditResult, createModel, datasetFromArrays, Dataset, ErrorCode, evaluateSync, makeSplit, Model, Progress, referenceHalf, Split, tensor, train, trainReferenceModels, unlearn } from '../../../lib';
import { seededRandom } from '../../helpers/models';

const SIDE = 8;
const CLASSES = 4;

function noiseDataset(n: number, seed: number, name: string): Dataset {
  const random = seededRandom(seed);
  const images = Uint8Array.from({ length: n * SIDE * SIDE }, () => Math.floor(random() * 256));
  const labels = Uint8Array.from({ length: n }, () => Math.floor(random() * CLASSES));
  return datasetFromArrays({ images, shape: [n, 1, SIDE, SIDE], labels, numClasses: CLASSES, name });
}

// 60 epochs: every row's random label memorised (30 leave about one in seven unlearnt).
const recipe = { epochs: 60, learningRate: 3e-3, batchSize: 16 };
const mlp = (seed: number) => createModel({ architecture: 'mlp', numClasses: CLASSES, inFeatures: SIDE * SIDE, hiddenSize: 64, seed });

let trainSet: Dataset;
let testSet: Dataset;
let split: Split;
let cacheDir: string;
beforeAll(() => {
  trainSet = noiseDataset(200, 1, 'noise-train');
  testSet = noiseDataset(200, 2, 'noise-test');
  split = makeSplit(trainSet, { type: 'random', fraction: 0.2 }, { seed: 3 });
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-audit-'));
});
afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

async function trained(rows: Split['retainIndices'] | undefined, seed: number): Promise<Model> {
  return (await train(mlp(seed), { dataset: trainSet, indices: rows }, { ...recipe, seed })).model;
}

function auditOf(model: Model, progress?: Progress[]): Promise<RmiaAuditResult> {
  return audit({ model, train: trainSet, test: testSet, split, references: 4, ...recipe, cacheDir, onProgress: progress && ((p) => progress.push(p)) });
}

describe('audit with RMIA', () => {
  test('a model that memorised its forget set is caught: D_f against test rows, AUC > 0.9', async () => {
    const original = await trained(undefined, 5);
    const memorised = (await train(original, { dataset: trainSet, indices: split.forgetIndices }, { ...recipe, epochs: 40, seed: 6 })).model;
    const progress: Progress[] = [];
    const result = await auditOf(memorised, progress);
    expect(result.forgetVsTest.auc).toBeGreaterThan(0.9);
    expect(result.forgetVsTest.bootstrap.auc.low).toBeGreaterThan(0.8);
    expect(result.groups.forget.rows).toBe(40);
    expect(result.groups.test.rows + result.populationSamples).toBe(200);
    expect(result.references).toMatchObject({ count: 4, cached: 0 });
    expect(progress.filter((p) => p.phase === 'references').map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(progress.filter((p) => p.phase === 'scoring').map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
  });

  test('a model retrained without D_f is not: the AUC interval contains 0.5 (references from the cache)', async () => {
    const retrained = await trained(split.retainIndices, 7);
    const result = await auditOf(retrained);
    expect(result.references.cached).toBe(4);
    const { low, high } = result.forgetVsTest.bootstrap.auc;
    expect(low).toBeLessThan(0.5);
    expect(high).toBeGreaterThan(0.5);
    // The rows it trained on are still members: the attack sees them.
    expect(result.retainVsTest.auc).toBeGreaterThan(0.9);
  });

  test('bad options throw coded errors before any work', () => {
    const model = mlp(0);
    expect(() => audit({ model, train: trainSet, test: testSet, split, references: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.OutOfRange }));
    expect(() => audit({ model, train: trainSet, test: testSet, split, references: 2, attack: 'lira' as never })).toThrow(expect.objectContaining({ code: ErrorCode.OutOfRange }));
    expect(() => audit({ model: {} as Model, train: trainSet, test: testSet, split, references: 2 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgType }));
    expect(() => audit({ model, train: trainSet, test: testSet, split: {} as Split, references: 2 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgType }));
    expect(() => audit({ model, train: trainSet, test: testSet, split, references: 2, rmia: { a: 2 } })).toThrow(expect.objectContaining({ code: ErrorCode.OutOfRange, message: expect.stringContaining('options.rmia.a') }));
    expect(() => trainReferenceModels({ population: trainSet, model: { architecture: 'mlp' }, count: 2, jobs: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.OutOfRange }));
  });
});

describe('audit with U-LiRA', () => {
  // The audited pair and the shadows use the same method and options (each shadow on a half).
  async function uliraOf(method: string, methodOptions: Record<string, unknown>, references = 4, progress?: Progress[]) {
    const original = await trained(undefined, 5);
    const unlearned = (await unlearn(original, split, { method, train: trainSet, retainFloor: 0, ...methodOptions })).model;
    const retrained = await trained(split.retainIndices, 8);
    return audit({ attack: 'ulira', model: unlearned, retrained, train: trainSet, test: testSet, split, references, method, methodOptions: { retainFloor: 0, ...methodOptions }, ...recipe, cacheDir, onProgress: progress && ((p) => progress.push(p)) });
  }

  test('a method that leaves D_f memorised is told from retraining', async () => {
    // One epoch of fine-tuning at a rate too small to move the weights: the unlearned model is the original.
    const progress: Progress[] = [];
    const result = await uliraOf('finetune', { epochs: 1, learningRate: 1e-7 }, 8, progress);
    const shadows = progress.filter((p) => p.phase === 'shadows');
    expect(shadows.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(shadows[7].etaSeconds).toBe(0);
    expect(result).toMatchObject({ attack: 'ulira', method: 'finetune', rows: 40, observationsPerRow: 4, variance: 'global' });
    expect(result.shadows).toMatchObject({ count: 8 });
    expect(result.unlearnedVsRetrained.auc).toBeGreaterThan(0.9);
    // Each shadow pair held out in turn is told apart as well.
    expect(result.heldOutShadows?.auc).toBeGreaterThan(0.9);
  });

  test('retraining as the method cannot be told from retraining: the AUC interval contains 0.5', async () => {
    const result = await uliraOf('retrain', { epochs: recipe.epochs, learningRate: recipe.learningRate, batchSize: recipe.batchSize }, 8);
    for (const { low, high } of [result.unlearnedVsRetrained.bootstrap.auc, result.heldOutShadows?.aucByExperiments ?? { low: 1, high: 0 }]) {
      expect(low).toBeLessThan(0.5);
      expect(high).toBeGreaterThan(0.5);
    }
    expect(result.heldOutShadows?.experiments).toBe(8);
    // The shadows' originals are the RMIA references' halves of the train set alone: trained once, then cached.
    expect(result.shadows.cached).toBeGreaterThanOrEqual(8);
  });

  test('ulira needs the retrained model and at least 4 shadow experiments', () => {
    const model = mlp(0);
    expect(() => audit({ attack: 'ulira', model, train: trainSet, test: testSet, split, references: 4 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgType, message: expect.stringContaining('options.retrained') }));
    expect(() => audit({ attack: 'ulira', model, retrained: model, train: trainSet, test: testSet, split, references: 3 })).toThrow(expect.objectContaining({ code: ErrorCode.OutOfRange }));
    expect(() => audit({ attack: 'ulira', model, retrained: model, train: trainSet, test: testSet, split, references: 4, method: 'nope' })).toThrow(expect.objectContaining({ code: ErrorCode.OutOfRange }));
  });
});

describe('reference models', () => {
  test('halves come in complementary pairs, seeded', () => {
    const [a, b, c] = [0, 1, 2].map((k) => referenceHalf(101, 9, k));
    expect(a.reduce((sum, bit) => sum + bit, 0)).toBe(50);
    expect(Array.from(a, (bit, i) => bit + b[i])).toEqual(new Array(101).fill(1));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(referenceHalf(101, 9, 2)).toEqual(c);
  });

  test('an abort stops training; finished references stay in the cache and are reused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-references-'));
    try {
      const controller = new AbortController();
      const options = { population: trainSet, model: { architecture: 'mlp' as const, numClasses: CLASSES, inFeatures: SIDE * SIDE, hiddenSize: 64 }, count: 4, ...recipe, cacheDir: dir };
      const run = trainReferenceModels({ ...options, signal: controller.signal, onProgress: (p) => p.step === 1 && controller.abort() });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      const kept = fs.readdirSync(dir).filter((name) => name.endsWith('.json')).length;
      expect(kept).toBeGreaterThanOrEqual(1);
      const resumed = await trainReferenceModels(options);
      expect(resumed.cached).toBe(kept);
      expect(resumed.models).toHaveLength(4);
      expect(resumed.inclusion[0].reduce((sum, bit) => sum + bit, 0)).toBe(100);
      // Each reference trained on its own half: it knows its members' random labels, not the rest's.
      const rows = (bit: number) => tensor(BigInt64Array.from(Array.from(resumed.inclusion[0].keys()).filter((i) => resumed.inclusion[0][i] === bit), BigInt), [100]);
      const accuracy = (bit: number) => evaluateSync(resumed.models[0], { dataset: trainSet, indices: rows(bit) }).accuracy as number;
      expect(accuracy(1)).toBeGreaterThan(0.9);
      expect(accuracy(0)).toBeLessThan(0.5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
