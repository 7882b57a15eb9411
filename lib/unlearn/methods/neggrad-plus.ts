/**
 * NegGrad+, gradient ascent on D_f held in place by descent on D_r: the native method is
 * native/unlearn/neggrad_plus.cc.
 */
import { defineMethod } from '../descriptor';

export const method = defineMethod({
  name: 'neggrad+',
  label: 'NegGrad+',
  summary: 'descent on D_r and ascent on D_f in each step: alpha·CE(D_r) − (1−alpha)·CE(D_f)',
  citation: 'Kurmanji et al., "Towards Unbounded Machine Unlearning", NeurIPS 2023',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_r (D_f batches cycle beside them)' },
    alpha: { type: 'number', default: 0.9995, min: 0, max: 1, doc: 'weight of CE on D_r; 1 − alpha weighs the ascent on D_f' },
    optimizer: { type: 'choice', default: 'sgd', choices: ['sgd', 'adam'], doc: 'SGD with momentum, or Adam' },
    learningRate: { type: 'number', default: 0.01, exclusiveMin: 0, doc: 'learning rate' },
    momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: "SGD's momentum" },
    weightDecay: { type: 'number', default: 5e-4, min: 0, doc: 'L2 weight decay' },
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_r samples per step, and as many of D_f' },
    fusedAdam: { type: 'boolean', default: true, doc: "shortcut, same formula: camu's one-pass Adam instead of libtorch's" },
  },
});
