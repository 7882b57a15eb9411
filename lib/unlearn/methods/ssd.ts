/**
 * Selective Synaptic Dampening: no training, the parameters far more important to D_f than to a
 * reference set are dampened. The native method is native/unlearn/ssd.cc.
 */
import { type ChoiceOption, type IntegerOption, type NumberOption, datasetClassOrRandomPreset, defineMethod } from '../descriptor';

// A class of MNIST: batches of 2048 for the batched importances at the paper's α = 10 (batches of
// 512 left 12.8% of a class on the paper's 20-epoch models; larger ones estimate []_D, whose mean
// gradient nearly cancels, with less noise). A class of Fashion-MNIST: no fixed α of the batched
// estimate forgets it without destroying the model on some seed, so its preset measures each
// sample's importance against D_r and chooses α per model with the forget target
// (docs/methods.md).
const PRESETS = {
  class: { batchSize: 2048, alpha: 10, lambda: 1, importance: 'batch', reference: 'train', referenceSamples: 0, forgetTarget: -1 },
  random: { batchSize: 512, alpha: 10, lambda: 1, importance: 'batch', reference: 'train', referenceSamples: 0, forgetTarget: -1 },
  'fashion-class': {
    batchSize: 64,
    alpha: 1000,
    lambda: 0.1,
    importance: 'sample',
    reference: 'retain',
    referenceSamples: 6000,
    forgetTarget: 1,
  },
} as const;

export const method = defineMethod({
  name: 'ssd',
  label: 'SSD',
  summary: 'dampens the parameters whose Fisher importance on D_f exceeds alpha times that on a reference set, no training',
  citation: 'Foster et al., "Fast Machine Unlearning Without Retraining Through Selective Synaptic Dampening", AAAI 2024',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_f and the reference set that the importances average' },
    batchSize: { type: 'integer', default: 512, min: 1, max: 1 << 20, doc: 'samples per importance step (per batch gradient with importance batch)' },
    alpha: {
      type: 'number',
      default: 10,
      min: 0,
      doc: 'selection weighting α: dampen where importance on D_f > α · importance on the reference set; with a forget target, the largest α tried',
    } as NumberOption,
    lambda: { type: 'number', default: 1, min: 0, doc: 'dampening constant λ: a selected parameter is multiplied by min(λ · []_ref / []_Df, 1)' } as NumberOption,
    importance: {
      type: 'choice',
      default: 'batch',
      choices: ['batch', 'sample'],
      doc: "batch: squared gradient of each batch's mean loss (the paper's estimate); sample: of each sample's loss (the Fisher diagonal, one backward pass per sample)",
    } as ChoiceOption & { choices: readonly ['batch', 'sample'] },
    reference: {
      type: 'choice',
      default: 'train',
      choices: ['train', 'retain'],
      doc: "the set D_f's importance is compared with: train (all of D, the paper's) or retain (D_r)",
    } as ChoiceOption & { choices: readonly ['train', 'retain'] },
    referenceSamples: {
      type: 'integer',
      default: 0,
      min: 0,
      max: 2 ** 40,
      doc: 'at most this many reference samples per epoch, drawn at random; 0: all',
    } as IntegerOption,
    forgetTarget: {
      type: 'number',
      default: -1,
      min: -1,
      max: 100,
      doc: 'choose α: the largest α from alpha down to 1 whose dampened model has at most this accuracy (%) on a probe of D_f; -1: take alpha',
    } as NumberOption,
    forgetProbe: { type: 'integer', default: 256, min: 1, max: 2 ** 40, doc: "D_f samples in the forget target's probe" } as IntegerOption,
  },
  presets: PRESETS,
  presetFor: datasetClassOrRandomPreset(PRESETS),
});
