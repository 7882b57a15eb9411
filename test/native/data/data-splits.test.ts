import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CamuError,
  Dataset,
  datasetFromArrays,
  ErrorCode,
  FASHION_MNIST_SYSTEM_DIR,
  loadFashionMnistSync,
  loadMnistSync,
  loadSplit,
  makeSplit,
  saveSplit,
  Split,
  splitFromJson,
  SplitJson,
} from '../../../lib';
import { expectThrows, removeTempDirs, tempDir, toNumbers } from '../../helpers/data-fixtures';

afterAll(removeTempDirs);

const indices = (t: { toTypedArray(): unknown }) => toNumbers(t.toTypedArray() as BigInt64Array);

/** 100 samples, labels i % 5 (20 per class), tiny images. */
function toyDataset(name = 'toy', n = 100, numClasses = 5): Dataset {
  const labels = Array.from({ length: n }, (_, i) => i % numClasses);
  return datasetFromArrays({ images: new Uint8Array(n * 4), shape: [n, 1, 2, 2], labels, numClasses, name });
}

/** The invariants every split must satisfy. */
function checkInvariants(split: Split, trainSize: number): void {
  const forget = indices(split.forgetIndices);
  const retain = indices(split.retainIndices);
  const sample = indices(split.sampleIndices);
  expect(forget.length).toBeGreaterThan(0);
  expect([...forget].sort((a, b) => a - b)).toEqual(forget); // ascending
  expect([...retain].sort((a, b) => a - b)).toEqual(retain);
  expect(new Set([...forget, ...retain]).size).toBe(trainSize); // a partition of the train set
  expect(forget.length + retain.length).toBe(trainSize);
  expect(sample.length).toBe(forget.length * split.forgetRepeat);
  expect(new Set(sample).size).toBe(sample.length); // without replacement
  const retainSet = new Set(retain);
  expect(sample.every((i) => retainSet.has(i))).toBe(true); // D_s ⊂ D_r
  expect(split.forgetSize).toBe(forget.length);
  expect(split.retainSize).toBe(retain.length);
  expect(split.sampleSize).toBe(sample.length);
}

describe('the paper scenarios on the real data', () => {
  const mnist = loadMnistSync().train;

  test('MNIST class 0 removes 5923 samples, all of class 0', () => {
    const split = makeSplit(mnist, { type: 'class', classes: [0] }, { seed: 0 });
    expect(split.forgetSize).toBe(5923);
    checkInvariants(split, 60000);
    const labels = toNumbers(mnist.labels.toTypedArray() as BigInt64Array);
    expect(indices(split.forgetIndices).every((i) => labels[i] === 0)).toBe(true);
    expect(indices(split.retainIndices).every((i) => labels[i] !== 0)).toBe(true);
    expect(split.description).toBe('mnist class removal (classes 0): |D_f| = 5923, |D_r| = 54077, |D_s| = 5923, seed 0');
  });

  test('MNIST random 10% removes 6000 samples', () => {
    const split = makeSplit(mnist, { type: 'random', fraction: 0.1 }, { seed: 0 });
    expect(split.forgetSize).toBe(6000);
    checkInvariants(split, 60000);
    expect(split.description).toBe('mnist random removal (10%): |D_f| = 6000, |D_r| = 54000, |D_s| = 6000, seed 0');
    expect(makeSplit(mnist, { type: 'random', fraction: 0.07 }).description).toMatch(/^mnist random removal \(7%\): \|D_f\| = 4200,/);
  });

  test('a split JSON round-trips to identical index tensors', async () => {
    const dir = tempDir('split-json');
    for (const split of [
      makeSplit(mnist, { type: 'class', classes: [0] }, { seed: 3 }),
      makeSplit(mnist, { type: 'random', fraction: 0.1 }, { seed: 4 }),
    ]) {
      const file = path.join(dir, 'split.json');
      await saveSplit(split, file);
      const loaded = await loadSplit(file, mnist);
      for (const key of ['forgetIndices', 'retainIndices', 'sampleIndices'] as const) {
        expect(loaded[key].dtype).toBe('int64');
        expect(Buffer.from((loaded[key].toTypedArray() as BigInt64Array).buffer).equals(Buffer.from((split[key].toTypedArray() as BigInt64Array).buffer))).toBe(true);
      }
      expect(loaded.seed).toBe(split.seed);
      expect(loaded.scenario).toEqual(split.scenario);
      expect(loaded.toJSON()).toEqual(split.toJSON());
    }
    expect(fs.readdirSync(dir)).toEqual(['split.json']); // no temporary files left
  });

  test('the JSON has exactly the documented format', () => {
    const split = makeSplit(mnist, { type: 'class', classes: [0] }, { seed: 0 });
    const json = JSON.parse(JSON.stringify(split)) as SplitJson;
    expect(Object.keys(json)).toEqual(['format', 'version', 'dataset', 'scenario', 'seed', 'forgetRepeat', 'forgetIndices', 'sampleIndices']);
    expect(json.format).toBe('camu-split');
    expect(json.version).toBe(1);
    expect(json.dataset).toEqual({ name: 'mnist', trainSize: 60000, numClasses: 10 });
    expect(json.scenario).toEqual({ type: 'class', classes: [0], proportions: [1] });
    expect(json.forgetRepeat).toBe(1);
    expect(json.forgetIndices.length).toBe(5923);
    expect(json.sampleIndices.length).toBe(5923);
  });

  const fashionTest = fs.existsSync(FASHION_MNIST_SYSTEM_DIR) ? test : test.skip;
  fashionTest(`Fashion-MNIST class 0 removes 6000 samples${fs.existsSync(FASHION_MNIST_SYSTEM_DIR) ? '' : ` (skipped: ${FASHION_MNIST_SYSTEM_DIR} is missing; apt-get install dataset-fashion-mnist)`}`, () => {
    const fashion = loadFashionMnistSync().train;
    const split = makeSplit(fashion, { type: 'class', classes: [0] }, { seed: 0 });
    expect(split.forgetSize).toBe(6000);
    checkInvariants(split, 60000);
    // An MNIST split must not load onto Fashion-MNIST, although both have 60000 samples.
    expectThrows(() => splitFromJson(makeSplit(mnist, { type: 'class', classes: [0] }).toJSON(), fashion, 'mnist.json'), 'RangeError', /made for 'mnist'/);
  });
});

describe('scenarios', () => {
  const toy = toyDataset();

  test('class removal of several classes with per-class proportions', () => {
    const split = makeSplit(toy, { type: 'class', classes: [1, 3, 4], proportions: [1, 0.5, 0] }, { seed: 2 });
    checkInvariants(split, 100);
    const forget = indices(split.forgetIndices);
    expect(forget.filter((i) => i % 5 === 1).length).toBe(20);
    expect(forget.filter((i) => i % 5 === 3).length).toBe(10);
    expect(forget.filter((i) => i % 5 === 4).length).toBe(0);
    expect(forget.length).toBe(30);
    expect(split.scenario).toEqual({ type: 'class', classes: [1, 3, 4], proportions: [1, 0.5, 0] });
  });

  test('random removal by count', () => {
    const split = makeSplit(toy, { type: 'random', count: 17 }, { seed: 1 });
    expect(split.forgetSize).toBe(17);
    checkInvariants(split, 100);
    expect(split.scenario).toEqual({ type: 'random', count: 17 });
  });

  test('explicit indices from JS (any order, any integer array kind)', () => {
    for (const list of [[42, 7, 3], Int32Array.from([3, 42, 7]), BigInt64Array.from([7n, 3n, 42n])]) {
      const split = makeSplit(toy, { type: 'indices', indices: list }, { seed: 0 });
      expect(indices(split.forgetIndices)).toEqual([3, 7, 42]);
      checkInvariants(split, 100);
    }
  });

  test('explicit indices from a JSON file (an array or {indices})', () => {
    const dir = tempDir('indices');
    const arrayFile = path.join(dir, 'forget.json');
    fs.writeFileSync(arrayFile, JSON.stringify([5, 1, 9]));
    const objectFile = path.join(dir, 'forget-object.json');
    fs.writeFileSync(objectFile, JSON.stringify({ indices: [5, 1, 9] }));
    for (const file of [arrayFile, objectFile]) {
      const split = makeSplit(toy, { type: 'indices', file }, { seed: 0 });
      expect(indices(split.forgetIndices)).toEqual([1, 5, 9]);
      expect(split.scenario).toEqual({ type: 'indices', file, count: 3 });
    }
  });

  test('forgetRepeat draws D_s to the repeated size (the CIFAR-100 class removal)', () => {
    const split = makeSplit(toy, { type: 'class', classes: [2] }, { seed: 0, forgetRepeat: 3 });
    expect(split.forgetSize).toBe(20);
    expect(split.sampleSize).toBe(60);
    expect(split.forgetRepeat).toBe(3);
    checkInvariants(split, 100);
    const restored = splitFromJson(split.toJSON(), toy);
    expect(restored.forgetRepeat).toBe(3);
    expect(indices(restored.sampleIndices)).toEqual(indices(split.sampleIndices));
  });

  test('the same seed gives the same split; another seed another one', () => {
    const a = makeSplit(toy, { type: 'random', fraction: 0.3 }, { seed: 5 });
    const b = makeSplit(toy, { type: 'random', fraction: 0.3 }, { seed: 5 });
    const c = makeSplit(toy, { type: 'random', fraction: 0.3 }, { seed: 6 });
    expect(indices(a.forgetIndices)).toEqual(indices(b.forgetIndices));
    expect(indices(a.sampleIndices)).toEqual(indices(b.sampleIndices));
    expect(indices(a.forgetIndices)).not.toEqual(indices(c.forgetIndices));
    const d = makeSplit(toy, { type: 'class', classes: [0] }, { seed: 5 });
    const e = makeSplit(toy, { type: 'class', classes: [0] }, { seed: 6 });
    expect(indices(d.forgetIndices)).toEqual(indices(e.forgetIndices)); // class removal takes the whole class
    expect(indices(d.sampleIndices)).not.toEqual(indices(e.sampleIndices));
  });
});

describe('bad scenarios name the argument', () => {
  const toy = toyDataset();

  test('empty forget sets', () => {
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [] }), 'RangeError', /classes is empty/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [1], proportions: [0] }), 'RangeError', /the forget set is empty/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: [] }), 'RangeError', /scenario\.indices: the forget set is empty/);
  });

  test('fractions outside (0, 1) and bad counts', () => {
    for (const fraction of [0, 1, -0.1, 1.5]) {
      expectThrows(() => makeSplit(toy, { type: 'random', fraction }), 'RangeError', /scenario\.fraction must be in \(0, 1\)/);
    }
    expectThrows(() => makeSplit(toy, { type: 'random', fraction: 0.001 }), 'RangeError', /removes 0/);
    expectThrows(() => makeSplit(toy, { type: 'random', count: 100 }), 'RangeError', /scenario\.count must be in \[1, 99\]/);
    expectThrows(() => makeSplit(toy, { type: 'random', fraction: NaN }), 'RangeError', /fraction must be finite/);
    expectThrows(() => makeSplit(toy, { type: 'random' } as never), 'TypeError', /exactly one of fraction and count/);
    expectThrows(() => makeSplit(toy, { type: 'random', fraction: 0.5, count: 3 } as never), 'TypeError', /exactly one of fraction and count/);
  });

  test('classes that are not in the data', () => {
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [5] }), 'RangeError', /classes\[0\] = 5 is not a class of the data \(classes 0\.\.4\)/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [-1] }), 'RangeError', /is not a class of the data/);
    const missing = datasetFromArrays({ images: new Uint8Array(16), shape: [4, 1, 2, 2], labels: [0, 0, 2, 2], numClasses: 3 });
    expectThrows(() => makeSplit(missing, { type: 'class', classes: [1] }), 'RangeError', /classes\[0\] = 1 has no samples in the data/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [1, 1] }), 'RangeError', /classes\[1\] = 1 is listed twice/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [1], proportions: [1.5] }), 'RangeError', /proportions\[0\] must be in \[0, 1\]/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [1, 2], proportions: [1] }), 'RangeError', /proportions has 1 entries for 2 classes/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [0.5] }), 'RangeError', /classes\[0\] must be an integer/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: 'all' } as never), 'TypeError', /classes must be an array/);
  });

  test('duplicate, out-of-range and non-integer indices', () => {
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: [4, 8, 4] }), 'RangeError', /scenario\.indices: index 4 appears more than once \(entries 0 and 2\)/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: [4, 100] }), 'RangeError', /entry 1 \(100\) is out of range \[0, 100\)/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: [-1] }), 'RangeError', /entry 0 \(-1\) is out of range/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: [1.5] }), 'RangeError', /entry 0 is not an integer/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: BigInt64Array.from([1n, 1n]) }), 'RangeError', /appears more than once/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: ['1'] as never }), 'TypeError', /scenario\.indices\[0\] must be a number/);
    expectThrows(() => makeSplit(toy, { type: 'indices', indices: Array.from({ length: 100 }, (_, i) => i) }), 'RangeError', /holds every train sample/);
  });

  test('a forget set too large to draw D_s from the retain set', () => {
    expectThrows(() => makeSplit(toy, { type: 'random', fraction: 0.6 }), 'RangeError', /needs 60 samples .* which has only 40/);
    expectThrows(() => makeSplit(toy, { type: 'class', classes: [0] }, { forgetRepeat: 5 }), 'RangeError', /needs 100 samples/);
  });

  test('bad files, options, datasets and types', () => {
    const dir = tempDir('indices-bad');
    const file = path.join(dir, 'forget.json');
    fs.writeFileSync(file, '[1, 2, 2]');
    const error = expectThrows(() => makeSplit(toy, { type: 'indices', file }), 'CamuError', new RegExp(`${file.replace(/[.]/g, '\\.')}: index 2 appears more than once`));
    expect((error as CamuError).code).toBe(ErrorCode.Format);
    fs.writeFileSync(file, '{"forget": [1]}');
    expectThrows(() => makeSplit(toy, { type: 'indices', file }), 'CamuError', /expected a JSON array of indices/);
    fs.writeFileSync(file, '[1, 2');
    expectThrows(() => makeSplit(toy, { type: 'indices', file }), 'CamuError', /not valid JSON/);
    expectThrows(() => makeSplit(toy, { type: 'indices', file: path.join(dir, 'missing.json') }), 'CamuError', /cannot read .*missing\.json/);
    expectThrows(() => makeSplit(toy, { type: 'random', fraction: 0.1 }, { seed: -1 }), 'RangeError', /options\.seed/);
    expectThrows(() => makeSplit(toy, { type: 'random', fraction: 0.1 }, { forgetRepeat: 0 }), 'RangeError', /options\.forgetRepeat/);
    expectThrows(() => makeSplit(toy, { type: 'everything' } as never), 'RangeError', /scenario\.type must be/);
    expectThrows(() => makeSplit({} as Dataset, { type: 'random', fraction: 0.1 }), 'TypeError', /trainSet must be a Dataset/);
  });
});

describe('split files', () => {
  const toy = toyDataset();
  const good = makeSplit(toy, { type: 'class', classes: [1] }, { seed: 9 }).toJSON();
  const forget = good.forgetIndices;
  const retainIndex = good.sampleIndices[0];

  const cases: { name: string; edit: (json: Record<string, unknown>) => void; error: 'CamuError' | 'RangeError'; pattern: RegExp }[] = [
    { name: 'wrong format', edit: (j) => (j.format = 'other'), error: 'CamuError', pattern: /not a camu split/ },
    { name: 'unknown version', edit: (j) => (j.version = 2), error: 'CamuError', pattern: /version 2 is not supported/ },
    { name: 'another dataset', edit: (j) => (j.dataset = { name: 'toy', trainSize: 99, numClasses: 5 }), error: 'RangeError', pattern: /made for 'toy' \(99 train samples/ },
    { name: 'a missing dataset', edit: (j) => delete j.dataset, error: 'CamuError', pattern: /"dataset" must be/ },
    { name: 'a missing scenario', edit: (j) => (j.scenario = 3), error: 'CamuError', pattern: /"scenario" must be/ },
    { name: 'a bad seed', edit: (j) => (j.seed = -2), error: 'CamuError', pattern: /"seed" must be/ },
    { name: 'a bad forgetRepeat', edit: (j) => (j.forgetRepeat = 0), error: 'CamuError', pattern: /"forgetRepeat" must be/ },
    { name: 'duplicate forget indices', edit: (j) => (j.forgetIndices = [...forget, forget[0]]), error: 'CamuError', pattern: /forgetIndices: index \d+ appears more than once/ },
    { name: 'out-of-range forget indices', edit: (j) => (j.forgetIndices = [...forget.slice(1), 100]), error: 'CamuError', pattern: /forgetIndices: entry 19 \(100\) is out of range/ },
    { name: 'non-numeric indices', edit: (j) => (j.sampleIndices = ['a']), error: 'CamuError', pattern: /sampleIndices: entry 0 is not a number/ },
    { name: 'an empty forget set', edit: (j) => (j.forgetIndices = []), error: 'CamuError', pattern: /forgetIndices: the forget set is empty/ },
    { name: 'a sample set overlapping the forget set', edit: (j) => (j.sampleIndices = [forget[3], ...good.sampleIndices.slice(1)]), error: 'CamuError', pattern: /sampleIndices: entry 0 \(\d+\) is in the forget set/ },
    { name: 'a sample set of the wrong size', edit: (j) => (j.sampleIndices = good.sampleIndices.slice(1)), error: 'CamuError', pattern: /the sample set has 19 indices; it must have 20/ },
    { name: 'duplicate sample indices', edit: (j) => (j.sampleIndices = [retainIndex, ...good.sampleIndices.slice(0, -1)]), error: 'CamuError', pattern: /sampleIndices: index \d+ appears more than once/ },
  ];

  for (const c of cases) {
    test(`loading a file with ${c.name} fails naming the file`, async () => {
      const dir = tempDir('split-bad');
      const file = path.join(dir, 'bad-split.json');
      const json = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      c.edit(json);
      fs.writeFileSync(file, JSON.stringify(json));
      const error = await loadSplit(file, toy).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name).toBe(c.error);
      expect(error?.message).toMatch(new RegExp(file.replace(/[.]/g, '\\.')));
      expect(error?.message).toMatch(c.pattern);
    });
  }

  test('unreadable and invalid files, atomic overwrite', async () => {
    const dir = tempDir('split-io');
    await expect(loadSplit(path.join(dir, 'none.json'), toy)).rejects.toMatchObject({ code: ErrorCode.Io, message: expect.stringMatching(/none\.json/) });
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"format": ');
    await expect(loadSplit(broken, toy)).rejects.toMatchObject({ code: ErrorCode.Format, message: expect.stringMatching(/broken\.json: not valid JSON/) });
    const file = path.join(dir, 'split.json');
    fs.writeFileSync(file, 'old');
    const split = makeSplit(toy, { type: 'random', count: 10 }, { seed: 1 });
    await saveSplit(split, file);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(split.toJSON());
    expect(fs.readdirSync(dir).sort()).toEqual(['broken.json', 'split.json']);
    await expect(saveSplit(split, path.join(dir, 'no', 'such', 'dir.json'))).rejects.toMatchObject({ code: ErrorCode.Io });
    expect(fs.readdirSync(dir).sort()).toEqual(['broken.json', 'split.json']);
  });
});
