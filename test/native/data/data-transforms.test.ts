import { datasetFromArrays, Geometry, IMAGENET_INPUT_SPEC, pairedEpochBatches, shuffledBatches, tensor } from '../../../lib';
import { expectThrows, pseudoRandomBytes, toNumbers } from '../../helpers/data-fixtures';

const floats = (t: { toTypedArray(): unknown }) => t.toTypedArray() as Float32Array;
const ints = (t: { toTypedArray(): unknown }) => toNumbers(t.toTypedArray() as BigInt64Array);
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** n copies of one c×h×w image whose pixels are all non-zero (so zero padding is recognisable). */
function repeatedImage(n: number, c: number, h: number, w: number, geometry: Geometry, seed = 3) {
  const one = pseudoRandomBytes(c * h * w, seed).map((v) => 1 + (v % 255));
  const images = new Uint8Array(n * one.length);
  for (let i = 0; i < n; i++) images.set(one, i * one.length);
  const dataset = datasetFromArrays({ images, shape: [n, c, h, w], labels: new Array(n).fill(0), numClasses: 1, geometry });
  return { dataset, one };
}

/** Bilinear sample (align_corners = false, border clamp) of a single-channel h×w image in [0, 1]. */
function bilinear(img: Uint8Array, h: number, w: number, y: number, x: number): number {
  y = Math.min(Math.max(y, 0), h - 1);
  x = Math.min(Math.max(x, 0), w - 1);
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const y1 = Math.min(y0 + 1, h - 1);
  const x1 = Math.min(x0 + 1, w - 1);
  const dy = y - y0;
  const dx = x - x0;
  const at = (yy: number, xx: number) => img[yy * w + xx] / 255;
  return (1 - dy) * ((1 - dx) * at(y0, x0) + dx * at(y0, x1)) + dy * ((1 - dx) * at(y1, x0) + dx * at(y1, x1));
}

describe('transforms', () => {
  test("'none': scaled to [0, 1], then normalised per channel", () => {
    const images = pseudoRandomBytes(2 * 2 * 3 * 3, 9);
    const plain = datasetFromArrays({ images, shape: [2, 2, 3, 3], labels: [0, 1], numClasses: 2 });
    const normalised = plain.withTransform({ inputSpec: { mean: [0.5, 0.25], std: [0.5, 2] } });
    const a = floats(plain.batch(Int32Array.from([1, 0])));
    const b = floats(normalised.batch(Int32Array.from([1, 0])));
    let worst = 0;
    for (let i = 0; i < 36; i++) {
      const source = images[(i < 18 ? 18 : -18) + i]; // sample 1 first
      const channel = Math.floor((i % 18) / 9);
      worst = Math.max(worst, Math.abs(a[i] - source / 255));
      worst = Math.max(worst, Math.abs(b[i] - (source / 255 - [0.5, 0.25][channel]) / [0.5, 2][channel]));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(plain.batch(Int32Array.from([0]), { train: true }).shape).toEqual([1, 2, 3, 3]);
  });

  test("'resize-224' evaluation equals Resize(224) + CenterCrop(224) with bilinear interpolation", () => {
    for (const [h, w] of [
      [32, 32],
      [16, 32],
    ]) {
      const { dataset, one } = repeatedImage(1, 1, h, w, 'resize-224');
      const out = floats(dataset.batch(all(1)));
      expect(dataset.batch(all(1)).shape).toEqual([1, 1, 224, 224]);
      const resizedH = h <= w ? 224 : Math.floor((224 * h) / w);
      const resizedW = h <= w ? Math.floor((224 * w) / h) : 224;
      const top = Math.round((resizedH - 224) / 2);
      const left = Math.round((resizedW - 224) / 2);
      let worst = 0;
      for (let i = 0; i < 224; i++) {
        for (let j = 0; j < 224; j++) {
          const y = ((i + top + 0.5) * h) / resizedH - 0.5;
          const x = ((j + left + 0.5) * w) / resizedW - 0.5;
          worst = Math.max(worst, Math.abs(out[i * 224 + j] - bilinear(one, h, w, y, x)));
        }
      }
      expect(worst).toBeLessThan(1e-4);
    }
  });

  test("'resize-224' training: seeded random resized crops and flips, values interpolated from the image", () => {
    const { dataset } = repeatedImage(8, 3, 32, 32, 'resize-224');
    const cifar = dataset.withTransform({ inputSpec: IMAGENET_INPUT_SPEC });
    const a = floats(cifar.batch(all(8), { train: true, seed: 1 }));
    const b = floats(cifar.batch(all(8), { train: true, seed: 1 }));
    const c = floats(cifar.batch(all(8), { train: true, seed: 2 }));
    expect(cifar.batch(all(8), { train: true, seed: 1 }).shape).toEqual([8, 3, 224, 224]);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    const size = 3 * 224 * 224;
    const samples = Array.from({ length: 8 }, (_, i) => Buffer.from(a.buffer, i * size * 4, size * 4));
    expect(new Set(samples.map((s) => s.toString('base64'))).size).toBe(8); // every sample its own crop
    // Bilinear values stay within the normalised range of the image's pixels.
    const lo = Math.min(...[0, 1, 2].map((ch) => (1 / 255 - IMAGENET_INPUT_SPEC.mean[ch]) / IMAGENET_INPUT_SPEC.std[ch]));
    const hi = Math.max(...[0, 1, 2].map((ch) => (1 - IMAGENET_INPUT_SPEC.mean[ch]) / IMAGENET_INPUT_SPEC.std[ch]));
    let min = Infinity;
    let max = -Infinity;
    for (const v of a) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(lo - 1e-4);
    expect(max).toBeLessThanOrEqual(hi + 1e-4);
  });

  test("'pad-crop-32' training: each output is the image shifted by up to 4 px with zero fill, maybe mirrored", () => {
    const h = 6;
    const w = 7;
    const n = 64;
    const { dataset, one } = repeatedImage(n, 1, h, w, 'pad-crop-32');
    const out = floats(dataset.batch(all(n), { train: true, seed: 5 }));
    expect(dataset.batch(all(n), { train: true, seed: 5 }).shape).toEqual([n, 1, h, w]);
    const seen = new Set<string>();
    let unmatched = 0;
    for (let s = 0; s < n; s++) {
      const sample = out.subarray(s * h * w, (s + 1) * h * w);
      let match: string | undefined;
      for (let oy = 0; oy <= 8 && !match; oy++) {
        for (let ox = 0; ox <= 8 && !match; ox++) {
          for (const flip of [false, true]) {
            let same = true;
            for (let y = 0; y < h && same; y++) {
              for (let x = 0; x < w && same; x++) {
                const cx = flip ? w - 1 - x : x; // position in the crop before mirroring
                const sy = y + oy - 4;
                const sx = cx + ox - 4;
                const expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? one[sy * w + sx] / 255 : 0;
                same = Math.abs(sample[y * w + x] - expected) < 1e-6;
              }
            }
            if (same) {
              match = `${oy},${ox},${flip}`;
              break;
            }
          }
        }
      }
      if (match) seen.add(match);
      else unmatched++;
    }
    expect(unmatched).toBe(0);
    expect(seen.size).toBeGreaterThan(20);
    expect([...seen].some((m) => m.endsWith('true'))).toBe(true);
    expect([...seen].some((m) => m.endsWith('false'))).toBe(true);
    // Evaluation input is the stored image.
    const evaluation = floats(dataset.batch(Int32Array.from([0])));
    expect(Array.from(evaluation)).toEqual(Array.from(one, (v) => Math.fround(v / 255)));
  });

  test('batch indices are validated', () => {
    const { dataset } = repeatedImage(4, 1, 2, 2, 'none');
    expectThrows(() => dataset.batch(Int32Array.from([4])), 'RangeError', /indices must lie in \[0, 4\)/);
    expectThrows(() => dataset.batch(Int32Array.from([-1])), 'RangeError', /indices must lie in \[0, 4\)/);
    expectThrows(() => dataset.batch(new Float64Array([1]) as never), 'TypeError', /indices must be/);
    expectThrows(() => dataset.batch(tensor(Int32Array.from([1]), [1])), 'TypeError', /1-D int64 Tensor/);
    expectThrows(() => dataset.batch(all(1), { seed: -1, train: true }), 'RangeError', /options\.seed/);
    expect(dataset.batch(tensor(BigInt64Array.from([3n, 3n]), [2])).shape).toEqual([2, 1, 2, 2]);
  });
});

describe('native batching', () => {
  test('shuffledBatches: every position once per epoch, seeded, last batch smaller unless dropped', () => {
    const batches = shuffledBatches(10, 3, { seed: 4 });
    expect(batches.map((b) => b.numel)).toEqual([3, 3, 3, 1]);
    expect(batches.flatMap(ints).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(shuffledBatches(10, 3, { seed: 4 }).map(ints)).toEqual(batches.map(ints));
    expect(shuffledBatches(10, 3, { seed: 5 }).map(ints)).not.toEqual(batches.map(ints));
    expect(shuffledBatches(10, 3, { seed: 4, dropLast: true }).map((b) => b.numel)).toEqual([3, 3, 3]);
    expect(shuffledBatches(0, 3)).toEqual([]);
    expectThrows(() => shuffledBatches(10, 0), 'RangeError', /batchSize must be in \[1/);
    expectThrows(() => shuffledBatches(-1, 2), 'RangeError', /n must be in \[0/);
  });

  test('pairedEpochBatches: counterfactual pairs in step with sample-set batches, stopping at the shorter', () => {
    const sample = tensor(BigInt64Array.from([50n, 51n, 52n, 53n, 54n, 55n, 56n]), [7]);
    const steps = pairedEpochBatches(10, sample, 3, { seed: 1 });
    expect(steps.length).toBe(3); // 4 pair batches, 3 sample batches
    expect(steps.map((s) => s.pairs.numel)).toEqual([3, 3, 3]);
    expect(steps.map((s) => s.sample.numel)).toEqual([3, 3, 1]);
    expect(new Set(steps.flatMap((s) => ints(s.sample)))).toEqual(new Set([50, 51, 52, 53, 54, 55, 56]));
    expect(steps.flatMap((s) => ints(s.pairs)).every((p) => p >= 0 && p < 10)).toBe(true);
    expect(pairedEpochBatches(10, sample, 3, { seed: 1 }).map((s) => ints(s.sample))).toEqual(steps.map((s) => ints(s.sample)));
    expectThrows(() => pairedEpochBatches(10, tensor(Int32Array.from([1]), [1]), 3), 'TypeError', /1-D int64 Tensor/);
  });
});
