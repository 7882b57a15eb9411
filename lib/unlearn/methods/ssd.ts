/**
 * Selective Synaptic Dampening: no training, the parameters far more important to D_f than to D
 * are dampened. The native method is native/unlearn/ssd.cc.
 */
import { datasetClassOrRandomPreset, defineMethod } from '../descriptor';

// A class: batches of 2048 for the importances. At the paper's α = 10 batches of 512 left 12.8%
// of an MNIST class on the paper's 20-epoch models; larger batches estimate []_D, whose mean
// gradient nearly cancels, with less noise (docs/methods.md). On Fashion-MNIST no α forgets a
// class without destroying the model on some seed; its class preset is one that does not.
const PRESETS = {
  class: { batchSize: 2048, alpha: 10 },
  random: { batchSize: 512, alpha: 10 },
  'fashion-class': { batchSize: 512, alpha: 1000 },
};

export const method = defineMethod({
  name: 'ssd',
  label: 'SSD',
  summary: 'dampens the parameters whose Fisher importance on D_f exceeds alpha times that on D, no training',
  citation: 'Foster et al., "Fast Machine Unlearning Without Retraining Through Selective Synaptic Dampening", AAAI 2024',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_f and D that the importances average (squared batch gradients)' },
    batchSize: { type: 'integer', default: 512, min: 1, max: 1 << 20, doc: 'samples per importance batch' },
    alpha: { type: 'number', default: 10, min: 0, doc: 'selection weighting α: dampen where importance on D_f > α · importance on D' },
    lambda: { type: 'number', default: 1, min: 0, doc: 'dampening constant λ: a selected parameter is multiplied by min(λ · []_D / []_Df, 1)' },
  },
  presets: PRESETS,
  presetFor: datasetClassOrRandomPreset(PRESETS),
});
