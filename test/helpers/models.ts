/** Shared test data: a small learnable image task and comparisons of typed arrays. */
import { tensor, Tensor } from '../../lib';

/**
 * `count` uint8 images [count, 1, side, side]: class k (of `classes`) is a bright 3x3 square at a
 * position that depends on k, on seeded noise. Learnable in a few epochs by the CNN and the MLP.
 */
export function squaresDataset(count: number, side = 14, classes = 4, seed = 1): { images: Tensor; labels: Tensor } {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = new Uint8Array(count * side * side);
  const labels = new BigInt64Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % classes;
    labels[n] = BigInt(label);
    const base = n * side * side;
    for (let i = 0; i < side * side; i++) pixels[base + i] = Math.floor(random() * 60);
    const row = 2 + Math.floor(label / 2) * (side - 7);
    const col = 2 + (label % 2) * (side - 7);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) pixels[base + (row + r) * side + col + c] = 255;
  }
  return { images: tensor(pixels, [count, 1, side, side]), labels: tensor(labels, [count]) };
}

/** A seeded uniform [0, 1) generator (32-bit LCG): reproducible test data without a library. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

export function indexTensor(indices: number[]): Tensor {
  return tensor(BigInt64Array.from(indices.map(BigInt)), [indices.length]);
}
