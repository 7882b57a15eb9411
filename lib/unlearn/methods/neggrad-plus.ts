/**
 * NegGrad+, gradient ascent on D_f held in place by descent on D_r: the native method is
 * native/unlearn/neggrad_plus.cc.
 */
import { classOrRandomPreset, defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

export const method = defineMethod({
  name: 'neggrad+',
  label: 'NegGrad+',
  summary: 'descent on D_r and ascent on D_f in each step: alpha·CE(D_r) − (1−alpha)·CE(D_f)',
  citation: 'Kurmanji et al., "Towards Unbounded Machine Unlearning", NeurIPS 2023',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_r (D_f batches cycle beside them)' },
    alpha: { type: 'number', default: 0.9995, min: 0, max: 1, doc: 'weight of CE on D_r; 1 − alpha weighs the ascent on D_f' },
    ...optimizerOptions({ optimizer: 'sgd', learningRate: 0.01, weightDecay: 5e-4 }),
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_r samples per step, and as many of D_f' },
    ...forgetStopOptions(),
  },
  // A class: the paper's alpha barely moves the 20-epoch MNIST model; a stronger ascent, ended by
  // the forget stop once D_f's probe is at 1%, forgets on every seed without running on into
  // the retained classes (docs/methods.md).
  presets: {
    class: { alpha: 0.995, epochs: 3, forgetTarget: 1 },
    random: { alpha: 0.9995, epochs: 1, forgetTarget: -1 },
  },
  presetFor: classOrRandomPreset,
});
