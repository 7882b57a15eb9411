import {
  AbortError,
  buildCounterfactualSet,
  buildCounterfactualSetSync,
  CounterfactualSet,
  Dataset,
  datasetFromArrays,
  IMAGENET_INPUT_SPEC,
  loadMnistSync,
  makeSplit,
  Progress,
  Split,
  tensor,
} from '../../../lib';
import { expectThrows, pseudoRandomBytes, toNumbers } from '../../helpers/data-fixtures';

const ints = (t: { toTypedArray(): unknown }) => toNumbers(t.toTypedArray() as BigInt64Array);
const floats = (t: { toTypedArray(): unknown }) => t.toTypedArray() as Float32Array;
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

function toyDataset(options: { n?: number; numClasses?: number; mean?: number[]; std?: number[]; name?: string } = {}): Dataset {
  const { n = 60, numClasses = 4, mean = [], std = [], name = 'toy' } = options;
  return datasetFromArrays({
    images: pseudoRandomBytes(n * 9, 5),
    shape: [n, 1, 3, 3],
    labels: Array.from({ length: n }, (_, i) => (i * 7) % numClasses),
    numClasses,
    name,
    inputSpec: { mean, std },
  });
}

/** Smallest and largest entry (one assertion instead of millions). */
function range(values: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Asserts that every entry lies in [0, 1) up to float32 rounding of the subtraction. */
function expectUnitInterval(values: Float32Array): void {
  const [min, max] = range(values);
  expect(min).toBeGreaterThanOrEqual(-1e-5);
  expect(max).toBeLessThan(1 + 1e-5);
}

/** x~ − networkInput(x_s) for every element, as computed from the dataset itself. */
function noiseOf(train: Dataset, set: CounterfactualSet): Float32Array {
  const clean = floats(train.batch(set.sampleOrder));
  const noisy = floats(set.inputs());
  expect(noisy.length).toBe(clean.length);
  return noisy.map((v, i) => v - clean[i]);
}

function checkPairing(train: Dataset, split: Split, set: CounterfactualSet): void {
  const forget = ints(split.forgetIndices);
  const repeated = Array.from({ length: split.forgetRepeat }, () => forget).flat();
  expect(set.size).toBe(repeated.length);
  expect(sorted(ints(set.forgetOrder))).toEqual(sorted(repeated)); // a permutation of D_f (repeated)
  expect(sorted(ints(set.sampleOrder))).toEqual(sorted(ints(split.sampleIndices))); // a permutation of D_s
  const inputs = set.inputs();
  expect(inputs.shape).toEqual([set.size, ...train.inputShape]);
  expect(inputs.dtype).toBe('float32');
  expect(set.labels.dtype).toBe('int64');
}

describe('the counterfactual set (docs/algorithm.md §2)', () => {
  test('MNIST random 10%: pairs, U[0,1) noise on the network input, and the label re-draw rule', () => {
    const train = loadMnistSync().train;
    const split = makeSplit(train, { type: 'random', fraction: 0.1 }, { seed: 0 });
    const set = buildCounterfactualSetSync(train, split, { seed: 0 });
    checkPairing(train, split, set);

    const noise = noiseOf(train, set);
    expectUnitInterval(noise);
    let sum = 0;
    for (const u of noise) sum += u;
    expect(sum / noise.length).toBeCloseTo(0.5, 2);

    const labels = ints(train.labels);
    const yf = ints(set.forgetOrder).map((i) => labels[i]);
    const ys = ints(set.sampleOrder).map((i) => labels[i]);
    const yTilde = ints(set.labels);
    const redrawnTo = new Set<number>();
    let collisions = 0;
    let equalToForgetLabel = 0;
    let changedWithoutCollision = 0;
    yTilde.forEach((y, i) => {
      if (y === yf[i]) equalToForgetLabel++;
      if (ys[i] !== yf[i]) {
        if (y !== ys[i]) changedWithoutCollision++;
      } else {
        collisions++;
        redrawnTo.add((y - yf[i] + 10) % 10); // offset from y_f: 1..9 when uniform over the others
      }
    });
    expect(equalToForgetLabel).toBe(0); // never the paired forget label
    expect(changedWithoutCollision).toBe(0); // y_s is kept where it differs from y_f
    expect(collisions).toBeGreaterThan(300); // ~10% of 6000 pairs share a label
    expect(sorted([...redrawnTo])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('the noise goes on after normalisation', () => {
    const train = toyDataset({ mean: [0.4], std: [0.2] });
    const split = makeSplit(train, { type: 'class', classes: [1] }, { seed: 1 });
    const set = buildCounterfactualSetSync(train, split);
    checkPairing(train, split, set);
    const pixels = train.images.toTypedArray() as Uint8Array;
    const clean = floats(train.batch(set.sampleOrder));
    let worst = 0;
    ints(set.sampleOrder).forEach((s, k) => {
      for (let p = 0; p < 9; p++) worst = Math.max(worst, Math.abs(clean[k * 9 + p] - (pixels[s * 9 + p] / 255 - 0.4) / 0.2));
    });
    expect(worst).toBeLessThan(1e-5);
    expectUnitInterval(noiseOf(train, set));
  });

  test('class removal: no pair shares a label, so y~ = y_s everywhere', () => {
    const train = toyDataset();
    const split = makeSplit(train, { type: 'class', classes: [2] }, { seed: 4 });
    const set = buildCounterfactualSetSync(train, split, { seed: 4 });
    const labels = ints(train.labels);
    expect(ints(set.labels)).toEqual(ints(set.sampleOrder).map((i) => labels[i]));
    expect(ints(set.forgetOrder).every((i) => labels[i] === 2)).toBe(true);
  });

  test('forgetRepeat pairs each forget sample forgetRepeat times', () => {
    const train = toyDataset();
    const split = makeSplit(train, { type: 'class', classes: [3] }, { seed: 0, forgetRepeat: 2 });
    const set = buildCounterfactualSetSync(train, split);
    checkPairing(train, split, set);
    expect(set.size).toBe(2 * split.forgetSize);
  });

  test('seeded: same seed, same set; another seed, another order; the split seed by default', () => {
    const train = toyDataset();
    const split = makeSplit(train, { type: 'random', count: 12 }, { seed: 7 });
    const a = buildCounterfactualSetSync(train, split, { seed: 3 });
    const b = buildCounterfactualSetSync(train, split, { seed: 3 });
    const c = buildCounterfactualSetSync(train, split, { seed: 4 });
    const d = buildCounterfactualSetSync(train, split);
    const e = buildCounterfactualSetSync(train, split, { seed: 7 });
    expect(ints(a.forgetOrder)).toEqual(ints(b.forgetOrder));
    expect(Array.from(floats(a.inputs()))).toEqual(Array.from(floats(b.inputs())));
    expect(ints(a.labels)).toEqual(ints(b.labels));
    expect(ints(a.forgetOrder)).not.toEqual(ints(c.forgetOrder));
    expect(Array.from(floats(d.inputs()))).toEqual(Array.from(floats(e.inputs())));
  });

  test('ablations change only what they name', () => {
    const train = toyDataset();
    const split = makeSplit(train, { type: 'random', count: 20 }, { seed: 2 });
    const full = buildCounterfactualSetSync(train, split, { seed: 1 });
    const noNoise = buildCounterfactualSetSync(train, split, { seed: 1, noise: false });
    const noRelabel = buildCounterfactualSetSync(train, split, { seed: 1, relabel: false });
    for (const other of [noNoise, noRelabel]) {
      expect(ints(other.forgetOrder)).toEqual(ints(full.forgetOrder));
      expect(ints(other.sampleOrder)).toEqual(ints(full.sampleOrder));
    }
    expect(Array.from(floats(noNoise.inputs()))).toEqual(Array.from(floats(train.batch(full.sampleOrder))));
    expect(ints(noNoise.labels)).toEqual(ints(full.labels));
    expect(Array.from(floats(noRelabel.inputs()))).toEqual(Array.from(floats(full.inputs())));
    const labels = ints(train.labels);
    expect(ints(noRelabel.labels)).toEqual(ints(full.sampleOrder).map((i) => labels[i]));
    const yf = ints(full.forgetOrder).map((i) => labels[i]);
    expect(ints(noRelabel.labels).some((y, i) => y === yf[i])).toBe(true); // collisions kept without the re-draw
    expect(ints(full.labels).some((y, i) => y === yf[i])).toBe(false);
  });

  test('CIFAR at 224 px: x~ lives in the 224×224 network-input space', () => {
    const train = datasetFromArrays({
      images: pseudoRandomBytes(6 * 3 * 32 * 32, 8),
      shape: [6, 3, 32, 32],
      labels: [0, 1, 2, 0, 1, 2],
      numClasses: 3,
      name: 'tiny-cifar',
      inputSpec: IMAGENET_INPUT_SPEC,
      geometry: 'resize-224',
    });
    const split = makeSplit(train, { type: 'indices', indices: [0, 3] }, { seed: 0 });
    const set = buildCounterfactualSetSync(train, split);
    expect(set.inputs().shape).toEqual([2, 3, 224, 224]);
    expectUnitInterval(noiseOf(train, set));
  });

  test('x~ is made on demand: any positions give those rows of the whole set, every time', () => {
    const train = toyDataset();
    const split = makeSplit(train, { type: 'random', count: 10 }, { seed: 6 });
    const set = buildCounterfactualSetSync(train, split, { seed: 2 });
    const all = floats(set.inputs());
    const positions = [7, 0, 7, 3];
    const picked = floats(set.inputs(Int32Array.from(positions)));
    expect(Array.from(picked)).toEqual(positions.flatMap((p) => Array.from(all.subarray(p * 9, p * 9 + 9))));
    expect(Array.from(floats(set.inputs(tensor(BigInt64Array.from([3n]), [1]))))).toEqual(Array.from(all.subarray(27, 36)));
    expect(set.inputs(new Int32Array(0)).shape).toEqual([0, 1, 3, 3]);
    // Each pair has its own noise, not one pattern repeated per row.
    const noise = noiseOf(train, set);
    const rowsOfNoise = Array.from({ length: set.size }, (_, r) => Array.from(noise.subarray(r * 9, r * 9 + 9)).join());
    expect(new Set(rowsOfNoise).size).toBe(set.size);
    expectThrows(() => set.inputs(Int32Array.from([set.size])), 'RangeError', /positions must lie in \[0, 10\)/);
    expectThrows(() => set.inputs(Int32Array.from([-1])), 'RangeError', /positions must lie in \[0, 10\)/);
    expectThrows(() => set.inputs(new Float32Array(1) as never), 'TypeError', /positions must be an Int32Array, a BigInt64Array or an int64 Tensor/);
  });

  test('the async build equals the sync one, reports progress and can be aborted', async () => {
    const train = toyDataset();
    const split = makeSplit(train, { type: 'random', count: 15 }, { seed: 5 });
    const progress: Progress[] = [];
    const set = await buildCounterfactualSet(train, split, { onProgress: (p) => progress.push(p) });
    const sync = buildCounterfactualSetSync(train, split);
    expect(Array.from(floats(set.inputs()))).toEqual(Array.from(floats(sync.inputs())));
    expect(ints(set.labels)).toEqual(ints(sync.labels));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.phase === 'counterfactual' && p.total === set.size)).toBe(true);
    expect(progress[progress.length - 1].step).toBe(set.size);
    const controller = new AbortController();
    controller.abort();
    await expect(buildCounterfactualSet(train, split, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });

  test('bad arguments', async () => {
    const train = toyDataset();
    const other = toyDataset({ name: 'other' });
    const split = makeSplit(train, { type: 'class', classes: [0] });
    expectThrows(() => buildCounterfactualSetSync(other, split), 'RangeError', /made for 'toy' \(60 train samples\), not for 'other'/);
    expectThrows(() => buildCounterfactualSetSync(toyDataset({ n: 61 }), split), 'RangeError', /not for 'toy' \(61\)/);
    expectThrows(() => buildCounterfactualSetSync(train, {} as Split), 'TypeError', /split must be a Split/);
    expectThrows(() => buildCounterfactualSetSync(train, split, { noise: 'yes' as never }), 'TypeError', /options\.noise must be a boolean/);
    expectThrows(() => buildCounterfactualSetSync(train, split, { seed: 1.5 }), 'RangeError', /options\.seed must be an integer/);
    await expect(buildCounterfactualSet({} as Dataset, split)).rejects.toThrow(/trainSet must be a Dataset/);
    const single = new Dataset({ name: 'one-class', images: tensor(new Uint8Array(12), [3, 1, 2, 2]), labels: tensor(new BigInt64Array(3), [3]), numClasses: 1 });
    const singleSplit = makeSplit(single, { type: 'indices', indices: [0] });
    expectThrows(() => buildCounterfactualSetSync(single, singleSplit), 'RangeError', /re-draw needs at least 2 classes/);
    expect(buildCounterfactualSetSync(single, singleSplit, { relabel: false }).size).toBe(1);
  });
});
