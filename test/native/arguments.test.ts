/**
 * Bad arguments to the public API: every check the TS layer makes itself throws (or, for async
 * functions, rejects with) a TypeError coded ERR_INVALID_ARG_TYPE or a RangeError coded
 * ERR_OUT_OF_RANGE; and lib/is.ts's helpers, which build those errors.
 */
import * as path from 'node:path';
import {
  accuracy,
  buildCounterfactualSet,
  buildCounterfactualSetSync,
  createModel,
  datasetFromArrays,
  downloadCifar,
  downloadFile,
  ErrorCode,
  evaluate,
  evaluateSync,
  evaluateUnlearning,
  exportTorchScript,
  extractTarGz,
  gapsToRetrain,
  loadCifar10,
  loadCifar100,
  loadMnist,
  loadMnistSync,
  loadSplit,
  loadTorchScript,
  loadWeights,
  makeSplit,
  measureThroughput,
  metricsRecord,
  miaLoss,
  presetFor,
  relearnTime,
  rte,
  saveSplit,
  saveWeights,
  splitFromJson,
  splitToJson,
  train,
  trainFromScratch,
} from '../../lib';
import * as is from '../../lib/is';
import { removeTempDirs, tempDir } from '../helpers/data-fixtures';

type Kind = 'type' | 'range';

/** The error class and a matcher of its code (and message) for an argument error of `kind`. */
function expected(kind: Kind, message?: RegExp) {
  const type = kind === 'type' ? TypeError : RangeError;
  const code = kind === 'type' ? ErrorCode.InvalidArgType : ErrorCode.OutOfRange;
  return [type, expect.objectContaining({ code, ...(message && { message: expect.stringMatching(message) }) })] as const;
}

/** `call` throws synchronously: bad arguments to job functions throw, they do not reject. */
function expectThrow(call: () => unknown, kind: Kind, message?: RegExp): void {
  const [type, coded] = expected(kind, message);
  expect(call).toThrow(type);
  expect(call).toThrow(coded);
}

async function expectReject(call: () => Promise<unknown>, kind: Kind, message?: RegExp): Promise<void> {
  const [type, coded] = expected(kind, message);
  await expect(call()).rejects.toBeInstanceOf(type);
  await expect(call()).rejects.toEqual(coded);
}

function toyDataset(name = 'toy', n = 20, numClasses = 2) {
  const labels = Array.from({ length: n }, (_, i) => i % numClasses);
  return datasetFromArrays({ images: new Uint8Array(n * 4), shape: [n, 1, 2, 2], labels, numClasses, name });
}

afterAll(removeTempDirs);

describe('lib/is.ts', () => {
  test('invalidArgType and outOfRange carry Node’s codes', () => {
    const type = is.invalidArgType('f: x must be y');
    expect(type).toBeInstanceOf(TypeError);
    expect(type).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: 'f: x must be y' });
    const range = is.outOfRange('f: x must be small');
    expect(range).toBeInstanceOf(RangeError);
    expect(range).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'f: x must be small' });
  });

  test('isObject: non-null objects that are not arrays', () => {
    expect(is.isObject({})).toBe(true);
    expect(is.isObject(new Map())).toBe(true);
    expect([null, undefined, [], 'a', 1, () => 0].map(is.isObject)).toEqual([false, false, false, false, false, false]);
  });

  test('describeValue shows strings quoted and objects by kind', () => {
    expect(['a', 1, 2n, null, undefined, true, [1], () => 0, {}, new Map()].map(is.describeValue)).toEqual([
      "'a'",
      '1',
      '2n',
      'null',
      'undefined',
      'true',
      'an array',
      'a function',
      'an object',
      'an instance of Map',
    ]);
  });

  test('checkObject, checkBoolean, checkString, checkFunction', () => {
    expect(() => is.checkObject({}, 'f: options')).not.toThrow();
    expectThrow(() => is.checkObject(null, 'f: options'), 'type', /^f: options must be an object, got null$/);
    expectThrow(() => is.checkObject([], 'f: options'), 'type', /got an array/);
    expect(() => is.checkBoolean(false, 'f: flag')).not.toThrow();
    expectThrow(() => is.checkBoolean(0, 'f: flag'), 'type', /^f: flag must be a boolean, got 0$/);
    expect(() => is.checkString('a', 'f: name')).not.toThrow();
    expectThrow(() => is.checkString('', 'f: name'), 'type', /^f: name must be a non-empty string, got ''$/);
    expectThrow(() => is.checkString(3, 'f: name'), 'type');
    expect(() => is.checkFunction(() => 0, 'f: callback')).not.toThrow();
    expectThrow(() => is.checkFunction('x', 'f: callback'), 'type', /^f: callback must be a function, got 'x'$/);
  });

  test('checkInstance names the class with its article', () => {
    expect(() => is.checkInstance(new AbortController().signal, AbortSignal, 'f: signal')).not.toThrow();
    expectThrow(() => is.checkInstance({}, AbortSignal, 'f: signal'), 'type', /^f: signal must be an AbortSignal, got an object$/);
    expectThrow(() => is.checkInstance(1, Map, 'f: table'), 'type', /^f: table must be a Map, got 1$/);
  });

  test('checkNumber: a non-number is a TypeError; NaN, infinities and values out of bounds a RangeError', () => {
    expect(() => is.checkNumber(0.5, 'f: x', { min: 0, max: 1 })).not.toThrow();
    expect(() => is.checkNumber(-3, 'f: x')).not.toThrow();
    expectThrow(() => is.checkNumber('1', 'f: x'), 'type', /^f: x must be a finite number, got '1'$/);
    expectThrow(() => is.checkNumber(NaN, 'f: x'), 'range', /^f: x must be a finite number, got NaN$/);
    expectThrow(() => is.checkNumber(Infinity, 'f: x'), 'range');
    expectThrow(() => is.checkNumber(0, 'f: x', { exclusiveMin: 0 }), 'range', /^f: x must be a finite number > 0, got 0$/);
    expectThrow(() => is.checkNumber(2, 'f: x', { exclusiveMin: 0, max: 1 }), 'range', /in \(0, 1\]/);
    expectThrow(() => is.checkNumber(-1, 'f: x', { min: 0 }), 'range', />= 0/);
    expectThrow(() => is.checkNumber(2, 'f: x', { max: 1 }), 'range', /<= 1/);
  });

  test('checkInteger: safe integers within bounds', () => {
    expect(() => is.checkInteger(1000, 'f: n', { min: 1, max: 1000 })).not.toThrow();
    expectThrow(() => is.checkInteger(1n, 'f: n'), 'type', /^f: n must be an integer, got 1n$/);
    expectThrow(() => is.checkInteger(1.5, 'f: n'), 'range', /^f: n must be an integer, got 1.5$/);
    expectThrow(() => is.checkInteger(2 ** 53, 'f: n'), 'range');
    expectThrow(() => is.checkInteger(0, 'f: n', { min: 1, max: 1000 }), 'range', /^f: n must be an integer in \[1, 1000\], got 0$/);
  });

  test('checkOneOf lists what is allowed', () => {
    expect(() => is.checkOneOf('b', 'f: mode', ['a', 'b'])).not.toThrow();
    expectThrow(() => is.checkOneOf('c', 'f: mode', ['a', 'b', 'c2']), 'range', /^f: mode must be 'a', 'b' or 'c2', got 'c'$/);
    expectThrow(() => is.checkOneOf('32', 'f: size', [224, 32]), 'range', /^f: size must be 224 or 32, got '32'$/);
    expectThrow(() => is.checkOneOf(2, 'f: one', [1]), 'range', /^f: one must be 1, got 2$/);
  });
});

describe('models, training, inference, jobs', () => {
  const model = createModel({ architecture: 'mlp', inFeatures: 4, hiddenSize: 4, numClasses: 2 });
  const data = toyDataset();

  test('job options: an object, an AbortSignal, a function', async () => {
    expectThrow(() => measureThroughput(null as never), 'type', /^measureThroughput: options must be an object, got null$/);
    expectThrow(() => measureThroughput({ signal: {} as AbortSignal }), 'type', /options\.signal must be an AbortSignal/);
    expectThrow(() => measureThroughput({ onProgress: 1 as never }), 'type', /options\.onProgress must be a function/);
    expectThrow(() => loadWeights(model, 'w.safetensors', null as never), 'type', /^loadWeights: options/);
    expectThrow(() => loadTorchScript('m.pt', 5 as never), 'type', /^loadTorchScript: options/);
    await expectReject(() => saveWeights(model, 'w.safetensors', null as never), 'type', /^saveWeights: options/);
    await expectReject(() => exportTorchScript(model, 'm.pt', { signal: 'stop' as never }), 'type', /^exportTorchScript: options\.signal/);
  });

  test('train, trainFromScratch, evaluate and evaluateSync check the data and the options', () => {
    expectThrow(() => train(model, 5 as never), 'type', /^train: data must be a Dataset, \{dataset, indices\?\}/);
    expectThrow(() => train(model, [] as never), 'type', /^train: data must be/);
    expectThrow(() => train(model, { dataset: {} as never }), 'type', /^train: data\.dataset must be a Dataset, got an object$/);
    expectThrow(() => train(model, data, null as never), 'type', /^train: options must be an object/);
    expectThrow(() => trainFromScratch({ architecture: 'mlp', inFeatures: 4 }, data, { onProgress: 'x' as never }), 'type');
    expectThrow(() => evaluate(model, null as never), 'type', /^evaluate: data must be/);
    expectThrow(() => evaluate(model, data, 1 as never), 'type', /^evaluate: options must be an object/);
    expectThrow(() => evaluateSync(model, { dataset: 1 } as never), 'type', /^evaluateSync: data\.dataset must be a Dataset/);
  });
});

describe('datasets', () => {
  test('datasetFromArrays', () => {
    const base = { images: new Uint8Array(8), shape: [2, 1, 2, 2], labels: [0, 1], numClasses: 2 };
    expectThrow(() => datasetFromArrays(null as never), 'type', /^datasetFromArrays: init must be an object/);
    expectThrow(() => datasetFromArrays({ ...base, labels: [0, 1.5] }), 'type', /labels\[1\] must be an integer/);
    expectThrow(() => datasetFromArrays({ ...base, labels: [0, '1'] as never }), 'type', /labels\[1\] must be an integer/);
    expectThrow(() => datasetFromArrays({ ...base, labels: [-1, 0] }), 'range', /labels\[0\] = -1 is outside/);
    expectThrow(() => datasetFromArrays({ ...base, name: '' }), 'type', /^datasetFromArrays: name must be a non-empty string/);
  });

  test('MNIST readers', async () => {
    expectThrow(() => loadMnistSync(null as never), 'type', /^loadMnistSync: options must be an object/);
    expectThrow(() => loadMnistSync({ dir: '' }), 'type', /^loadMnistSync: options\.dir must be a non-empty string/);
    await expectReject(() => loadMnist({ dir: 7 as never }), 'type', /^loadMnist: options\.dir/);
  });

  test('CIFAR readers', async () => {
    await expectReject(() => loadCifar10(null as never), 'type', /^loadCifar10: options must be an object/);
    await expectReject(() => loadCifar10({ resolution: 64 as never }), 'range', /^loadCifar10: options\.resolution must be 224 or 32, got 64$/);
    await expectReject(() => loadCifar10({ download: 'yes' as never }), 'type', /options\.download must be a boolean/);
    await expectReject(() => loadCifar10({ dir: '' }), 'type', /options\.dir must be a non-empty string/);
    await expectReject(() => loadCifar100({ labels: 'medium' as never }), 'range', /^loadCifar100: options\.labels must be 'fine' or 'coarse'/);
  });

  test('downloads and archives', async () => {
    const dir = tempDir('arguments');
    await expectReject(() => downloadCifar('cifar11' as never, { cacheDir: dir }), 'range', /^downloadCifar: name must be 'cifar10' or 'cifar100', got 'cifar11'$/);
    await expectReject(() => downloadCifar('cifar10', null as never), 'type', /^downloadCifar: options must be an object/);
    await expectReject(() => downloadCifar('cifar10', { cacheDir: '' }), 'type', /options\.cacheDir must be a non-empty string/);
    await expectReject(() => downloadCifar('cifar10', { baseUrl: 3 as never }), 'type', /options\.baseUrl/);
    await expectReject(() => downloadCifar('cifar10', { md5: 'xyz' }), 'range', /options\.md5 must be 32 hexadecimal digits, got 'xyz'/);
    await expectReject(() => downloadFile(5 as never, path.join(dir, 'f'), 'a'.repeat(32)), 'type', /^downloadFile: url/);
    await expectReject(() => downloadFile('http://127.0.0.1:9/f', '', 'a'.repeat(32)), 'type', /^downloadFile: dest/);
    await expectReject(() => downloadFile('http://127.0.0.1:9/f', path.join(dir, 'f'), 'abc'), 'range', /^downloadFile: md5/);
    await expectReject(() => downloadFile('http://127.0.0.1:9/f', path.join(dir, 'f'), 'a'.repeat(32), { onProgress: 1 as never }), 'type');
    await expectReject(() => extractTarGz('a.tar.gz', dir, null as never), 'type', /^extractTarGz: options must be an object/);
    await expectReject(() => extractTarGz('a.tar.gz', dir, { signal: 1 as never }), 'type', /^extractTarGz: options\.signal/);
    await expectReject(() => extractTarGz('a.tar.gz', dir, { onBytes: 1 as never }), 'type', /^extractTarGz: options\.onBytes/);
  });
});

describe('splits and counterfactual sets', () => {
  const data = toyDataset();
  const split = makeSplit(data, { type: 'class', classes: [1] });

  test('makeSplit', () => {
    expectThrow(() => makeSplit({} as never, { type: 'random', fraction: 0.1 }), 'type', /^makeSplit: trainSet must be a Dataset, got an object$/);
    expectThrow(() => makeSplit(data, null as never), 'type', /^makeSplit: scenario must be an object/);
    expectThrow(() => makeSplit(data, { type: 'all' } as never), 'range', /^makeSplit: scenario\.type must be 'class', 'random' or 'indices', got 'all'$/);
    expectThrow(() => makeSplit(data, { type: 'random', fraction: 0.1 }, null as never), 'type', /^makeSplit: options must be an object/);
    expectThrow(() => makeSplit(data, { type: 'random', fraction: 0.1 }, { seed: -1 }), 'range', /^makeSplit: options\.seed must be an integer >= 0, got -1$/);
    expectThrow(() => makeSplit(data, { type: 'random', fraction: 0.1 }, { seed: '1' as never }), 'type', /options\.seed/);
    expectThrow(() => makeSplit(data, { type: 'random', fraction: 0.1 }, { forgetRepeat: 0 }), 'range', /options\.forgetRepeat must be an integer in \[1, 1000\]/);
    expectThrow(() => makeSplit(data, { type: 'indices', file: 5 } as never), 'type', /^makeSplit: scenario\.file must be a non-empty string/);
    expectThrow(() => makeSplit(data, { type: 'indices', indices: 'x' } as never), 'type', /scenario\.indices must be an array of integers/);
    expectThrow(() => makeSplit(data, { type: 'indices', indices: [1, 'a'] } as never), 'type', /scenario\.indices\[1\] must be a number, got 'a'/);
  });

  test('split JSON and files', async () => {
    expectThrow(() => splitToJson({} as never), 'type', /^splitToJson: split must be a Split/);
    expectThrow(() => splitFromJson(split.toJSON(), null as never), 'type', /^splitFromJson: trainSet must be a Dataset/);
    expectThrow(() => splitFromJson(split.toJSON(), toyDataset('other')), 'range', /the split was made for 'toy'/);
    await expectReject(() => saveSplit({} as never, 'split.json'), 'type', /^saveSplit: split must be a Split/);
    await expectReject(() => saveSplit(split, ''), 'type', /^saveSplit: file must be a non-empty string/);
    await expectReject(() => loadSplit(3 as never, data), 'type', /^loadSplit: file/);
    await expectReject(() => loadSplit('split.json', {} as never), 'type', /^loadSplit: trainSet must be a Dataset/);
  });

  test('buildCounterfactualSet and buildCounterfactualSetSync', async () => {
    expectThrow(() => buildCounterfactualSetSync({} as never, split), 'type', /^buildCounterfactualSetSync: trainSet must be a Dataset/);
    expectThrow(() => buildCounterfactualSetSync(data, {} as never), 'type', /^buildCounterfactualSetSync: split must be a Split/);
    expectThrow(() => buildCounterfactualSetSync(data, split, null as never), 'type', /options must be an object/);
    await expectReject(() => buildCounterfactualSet(data, 'split' as never), 'type', /^buildCounterfactualSet: split must be a Split, got 'split'$/);
    await expectReject(() => buildCounterfactualSet(data, split, { signal: {} as never }), 'type', /options\.signal/);
  });
});

describe('evaluation, metrics, presets', () => {
  test('evaluateUnlearning', async () => {
    const model = createModel({ architecture: 'mlp', inFeatures: 4, hiddenSize: 4, numClasses: 2 });
    const data = toyDataset();
    const split = makeSplit(data, { type: 'class', classes: [1] });
    await expectReject(() => evaluateUnlearning(null as never), 'type', /^evaluateUnlearning: input must be an object/);
    await expectReject(() => evaluateUnlearning({ model, train: data, test: data, split }, null as never), 'type', /^evaluateUnlearning: options/);
    await expectReject(() => evaluateUnlearning({ model, train: {} as never, test: data, split }), 'type', /input\.train must be a Dataset/);
    await expectReject(() => evaluateUnlearning({ model, train: data, test: 1 as never, split }), 'type', /input\.test must be a Dataset/);
    await expectReject(() => evaluateUnlearning({ model, train: data, test: data, split: {} as never }), 'type', /input\.split must be a Split/);
    await expectReject(() => evaluateUnlearning({ model, train: toyDataset('other'), test: data, split }), 'range', /the split was made for 'toy'/);
  });

  test('metric functions', () => {
    const labels = BigInt64Array.from([0n, 1n]);
    const predictions = { data: Float32Array.from([1, 0, 0, 1]), shape: [2, 2] as [number, number] };
    expectThrow(() => accuracy(null as never), 'type', /^accuracy: input must be an object/);
    expectThrow(() => accuracy({ predictions, labels, set: '' }), 'type', /^accuracy: input\.set must be a non-empty string/);
    expectThrow(() => miaLoss([] as never), 'type', /^miaLoss: input must be an object, got an array$/);
    expectThrow(() => relearnTime({ accuracies: [1], target: '1' as never }), 'type', /^relearnTime: target must be a finite number/);
    expectThrow(() => relearnTime({ accuracies: 5 as never, target: 1 }), 'type', /accuracies must be an array/);
    expectThrow(() => relearnTime({ accuracies: [1, NaN], target: 1 }), 'range', /accuracies\[1\] must be a finite number/);
    expectThrow(() => relearnTime({ accuracies: [1, 2], steps: [1], target: 1 }), 'range', /steps has 1 entries/);
    expectThrow(() => relearnTime({ accuracies: [1, 2], steps: [2, 2], target: 1 }), 'range', /increasing/);
    expectThrow(() => rte({ retrainSeconds: 300, methodSeconds: 0 }), 'range', /^rte: methodSeconds must be a finite number > 0, got 0$/);
    expectThrow(() => rte({ retrainSeconds: '300' as never, methodSeconds: 1 }), 'type', /^rte: retrainSeconds/);
    expectThrow(() => metricsRecord({ metrics: { zrf: 1 } }, { metrics: { zrf: 2 } }), 'range', /metric 'zrf' is given twice/);
    expectThrow(() => gapsToRetrain({ a: '1' as never }, {}), 'type', /record\['a'\] must be a number or null/);
    expectThrow(() => gapsToRetrain({}, null as never), 'type', /retrained must be an object of metric values/);
  });

  test('presetFor', () => {
    expectThrow(() => presetFor('imagenet', 'class'), 'range', /no paper preset for dataset 'imagenet'/);
    expectThrow(() => presetFor('mnist', 'indices'), 'range', /no paper preset for scenario 'indices'/);
  });
});
