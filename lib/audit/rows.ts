/** Rows of datasets for the audit: datasets made of chosen rows, and true-class probabilities on rows. */
import { tensor } from '../core';
import { Dataset, datasetFromArrays } from '../datasets';
import { evaluate } from '../evaluate';
import { invalidArgType } from '../is';
import { Model } from '../models';

/** `count` evenly spaced entries of `rows` (all of them when there are fewer). */
export function evenlySpaced(rows: readonly number[], count: number): number[] {
  if (rows.length <= count) return [...rows];
  return Array.from({ length: count }, (_, i) => rows[Math.floor((i * rows.length) / count)]);
}

/** The rows of `sources` (each [dataset, its rows]) as one new dataset, in that order, named `name`. */
export function datasetOfRows(name: string, sources: readonly [Dataset, readonly number[]][]): Dataset {
  const [first] = sources[0];
  const [, c, h, w] = first.shape;
  for (const [data] of sources) {
    const [, dc, dh, dw] = data.shape;
    if (dc !== c || dh !== h || dw !== w || data.numClasses !== first.numClasses) {
      throw invalidArgType(`audit: ${first.name} and ${data.name} must be the same task, got images [${c}, ${h}, ${w}] and [${dc}, ${dh}, ${dw}], ${first.numClasses} and ${data.numClasses} classes`);
    }
  }
  const size = c * h * w;
  const total = sources.reduce((sum, [, rows]) => sum + rows.length, 0);
  const float = first.images.toTypedArray() instanceof Float32Array;
  const images = float ? new Float32Array(total * size) : new Uint8Array(total * size);
  const labels = new BigInt64Array(total);
  let at = 0;
  for (const [data, rows] of sources) {
    const pixels = data.images.toTypedArray() as Uint8Array | Float32Array;
    const classes = data.labels.toTypedArray() as BigInt64Array;
    for (const row of rows) {
      images.set(pixels.subarray(row * size, (row + 1) * size), at * size);
      labels[at++] = classes[row];
    }
  }
  return datasetFromArrays({ name, images, shape: [total, c, h, w], labels, numClasses: first.numClasses, inputSpec: first.inputSpec, geometry: first.geometry });
}

/** Every row index of `data`. */
export function allRows(data: Dataset): number[] {
  return Array.from({ length: data.size }, (_, i) => i);
}

/** Each row's probability of its true class under `model`: exp(-cross-entropy). */
export async function trueClassProbabilities(model: Model, data: Dataset, rows: readonly number[], signal?: AbortSignal): Promise<Float64Array> {
  const indices = tensor(BigInt64Array.from(rows, BigInt), [rows.length]);
  const result = await evaluate(model, { dataset: data, indices }, { outputs: ['loss'], signal });
  return Float64Array.from(result.loss as Float32Array, (loss) => Math.exp(-loss));
}
