/**
 * evaluateUnlearning on constructed cases: a model trained to be perfect on separable synthetic
 * data (every accuracy 100), a model compared with itself (distances 0, ZRF 1), class-removal
 * test accuracies that match a direct count, and keys that are exactly the metric catalogue's (METRICS).
 */
import { createModel, datasetFromArrays, evaluate, evaluateUnlearning, info, makeSplit, Model, train } from '../../../lib';
import { METRICS } from '../../../lib/metrics';
import type { Dataset } from '../../../lib';

const CLASSES = 4;
const SIDE = 4;

/** Class c lights pixel c (and its mirror) brightly over low seeded noise: linearly separable. */
function separable(size: number, seed: number, name: string): Dataset {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = SIDE * SIDE;
  const images = new Uint8Array(size * pixels);
  const labels: number[] = [];
  for (let i = 0; i < size; ++i) {
    const label = i % CLASSES;
    labels.push(label);
    for (let p = 0; p < pixels; ++p) images[i * pixels + p] = Math.floor(random() * 40);
    images[i * pixels + label] = 255;
    images[i * pixels + pixels - 1 - label] = 255;
  }
  return datasetFromArrays({ images, shape: [size, 1, SIDE, SIDE], labels, numClasses: CLASSES, name });
}

const trainSet = separable(240, 1, 'separable');
const testSet = separable(160, 2, 'separable');
const mlp = (seed: number) => createModel({ architecture: 'mlp', inFeatures: SIDE * SIDE, hiddenSize: 32, numClasses: CLASSES, seed });

let perfect: Model;

beforeAll(async () => {
  const trained = await train(mlp(0), trainSet, { epochs: 30, learningRate: 1e-2, seed: 0 });
  perfect = trained.model;
});

test('a perfect model on class removal: every accuracy 100, keys are METRICS keys', async () => {
  const split = makeSplit(trainSet, { type: 'class', classes: [1] }, { seed: 0 });
  const result = await evaluateUnlearning({ model: perfect, train: trainSet, test: testSet, split, retrained: perfect, random: mlp(7) });
  for (const key of ['acc.retain', 'acc.forget', 'acc.test', 'acc.testRemaining', 'acc.testForgotten']) {
    expect([key, result.metrics[key]]).toEqual([key, 100]);
  }
  const expected = [
    'acc.retain', 'acc.forget', 'acc.test', 'acc.testRemaining', 'acc.testForgotten', 'mia.camu', 'mia.loss',
    'mia.entropy', 'mia.efficacy', 'distance.activation', 'distance.js', 'zrf', 'zrf.legacyBadTeacher',
  ];
  expect(Object.keys(result.metrics).sort()).toEqual(expected.sort());
  for (const key of Object.keys(result.metrics)) expect(key in METRICS).toBe(true);
  // Compared with itself: no distance.
  expect(result.metrics['distance.activation']).toBeCloseTo(0, 6);
  expect(result.metrics['distance.js']).toBeCloseTo(0, 6);
  // A trained model is far from an untrained one on D_f.
  expect(result.metrics.zrf as number).toBeLessThan(0.95);
  // Half the test set (80 < 4000) trains the attacker, so evaluation non-members remain.
  expect(result.miaCamuTrainSize).toBe(80);
  if (info().xgboost.available) expect(typeof result.metrics['mia.camu']).toBe('number');
  else expect(result.unavailable['mia.camu']).toMatch(/XGBoost/i);
  for (const key of ['mia.loss', 'mia.entropy', 'mia.efficacy']) {
    expect(result.metrics[key]).toBeGreaterThanOrEqual(0);
    expect(result.metrics[key]).toBeLessThanOrEqual(1);
  }
});

test('a model compared with itself as the random model has ZRF 1; accuracies match a direct count', async () => {
  const model = mlp(3);
  const split = makeSplit(trainSet, { type: 'class', classes: [0, 2] }, { seed: 1 });
  const result = await evaluateUnlearning({ model, train: trainSet, test: testSet, split, random: model });
  expect(result.metrics.zrf).toBeCloseTo(1, 6);
  // No retrained model: the distances are unavailable, with the reason.
  expect(result.metrics['distance.activation']).toBeNull();
  expect(result.unavailable['distance.js']).toMatch(/retrained/);

  const predictions = (await evaluate(model, testSet, { outputs: ['predictions'] })).predictions as Int32Array;
  const labels = testSet.labels.toTypedArray() as BigInt64Array;
  let forgottenCorrect = 0;
  let forgottenCount = 0;
  let remainingCorrect = 0;
  for (let i = 0; i < labels.length; ++i) {
    const label = Number(labels[i]);
    if (label === 0 || label === 2) {
      forgottenCount += 1;
      forgottenCorrect += predictions[i] === label ? 1 : 0;
    } else {
      remainingCorrect += predictions[i] === label ? 1 : 0;
    }
  }
  expect(result.metrics['acc.testForgotten']).toBeCloseTo((100 * forgottenCorrect) / forgottenCount, 6);
  expect(result.metrics['acc.testRemaining']).toBeCloseTo((100 * remainingCorrect) / (labels.length - forgottenCount), 6);

  const forget = await evaluate(model, { images: trainSet.images, labels: trainSet.labels, indices: split.forgetIndices });
  expect(result.metrics['acc.forget']).toBeCloseTo((forget.accuracy as number) * 100, 6);
});

test('random removal has no class-restricted test accuracies', async () => {
  const split = makeSplit(trainSet, { type: 'random', fraction: 0.1 }, { seed: 0 });
  const result = await evaluateUnlearning({ model: perfect, train: trainSet, test: testSet, split });
  expect('acc.testRemaining' in result.metrics).toBe(false);
  expect('acc.testForgotten' in result.metrics).toBe(false);
  expect(result.metrics['acc.forget']).toBe(100);
  expect(result.unavailable.zrf).toMatch(/randomly initialised/);
});

test('a split of another train set is a RangeError', async () => {
  const other = separable(100, 3, 'other');
  const split = makeSplit(other, { type: 'random', count: 10 });
  await expect(evaluateUnlearning({ model: perfect, train: trainSet, test: testSet, split })).rejects.toThrow(RangeError);
});
