/**
 * Selective Synaptic Dampening: no training, the parameters far more important to D_f than to D
 * are dampened. The native method is native/unlearn/ssd.cc.
 */
import { defineMethod } from '../descriptor';

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
});
