/**
 * A tiny learnable problem for the baseline methods' tests (test/native/unlearn/): 4 classes of
 * 8x8 images, each brightening its own quadrant, an MLP trained on it, and its class-0 split.
 */
import { createModel, datasetFromArrays, evaluateSync, makeSplit, train } from '../../lib';
import type { Dataset, Model, Split, Tensor } from '../../lib';
import { seededRandom } from './models';

export const CLASSES = 4;
const SIDE = 8;
const N = 240;

export interface Problem {
  trainSet: Dataset;
  split: Split;
  original: Model;
}

/** Class c brightens its own quadrant of an 8x8 image: learnable in a few epochs, yet noisy. */
export function quadrantsDataset(name = 'quadrants'): Dataset {
  const random = seededRandom(12345);
  const images = new Uint8Array(N * SIDE * SIDE);
  const labels = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const c = i % CLASSES;
    labels[i] = c;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const quadrant = (y < SIDE / 2 ? 0 : 2) + (x < SIDE / 2 ? 0 : 1);
        images[i * SIDE * SIDE + y * SIDE + x] = Math.floor(random() * 120) + (quadrant === c ? 120 : 0);
      }
    }
  }
  return datasetFromArrays({ images, shape: [N, 1, SIDE, SIDE], labels, numClasses: CLASSES, name });
}

/** The dataset, an MLP trained on all of it, and the split that forgets class 0 (or 10% at random). */
export async function trainedProblem(scenario: 'class' | 'random' = 'class'): Promise<Problem> {
  const trainSet = quadrantsDataset();
  const start = createModel({ architecture: 'mlp', numClasses: CLASSES, inFeatures: SIDE * SIDE, hiddenSize: 16, seed: 1 });
  const original = (await train(start, { images: trainSet.images, labels: trainSet.labels }, { epochs: 20, learningRate: 3e-3, seed: 1 })).model;
  const split = makeSplit(trainSet, scenario === 'class' ? { type: 'class', classes: [0] } : { type: 'random', fraction: 0.1 }, { seed: 3 });
  return { trainSet, split, original };
}

/** Accuracy (0-1) and mean cross-entropy of `model` on the samples `indices` of `dataset`. */
export function scoreOn(model: Model, dataset: Dataset, indices: Tensor): { accuracy: number; loss: number } {
  const result = evaluateSync(model, { dataset, indices });
  return { accuracy: result.accuracy as number, loss: result.meanLoss as number };
}

/** Every state tensor as a plain array of numbers. */
export function weights(model: Model): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateTensors()).map(([key, t]) => [key, Array.from(t.toTypedArray() as Float32Array)]));
}
