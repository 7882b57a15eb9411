/**
 * Fine-tuning on the retained data D_r: the native method is native/unlearn/finetune.cc.
 */
import { classOrRandomPreset, defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

export const method = defineMethod({
  name: 'finetune',
  label: 'Fine-tune',
  summary: 'fine-tuning on the retained data D_r, so that what only D_f taught fades (with l1 > 0: l1-sparse unlearning)',
  citation:
    'Golatkar et al., "Eternal Sunshine of the Spotless Net", CVPR 2020; settings of Jia et al., "Model Sparsity Can Simplify Machine Unlearning", NeurIPS 2023',
  options: {
    epochs: { type: 'integer', default: 5, min: 0, max: 1_000_000, doc: 'epochs over D_r' },
    ...optimizerOptions({ optimizer: 'sgd', learningRate: 0.03, weightDecay: 5e-4 }),
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_r samples per step' },
    l1: {
      type: 'number',
      default: 0,
      min: 0,
      doc: 'l1-sparse unlearning (Jia et al. 2023): γ of the penalty γ·‖θ‖₁ added to the loss, decaying linearly to 0 over the steps; 0: plain fine-tuning',
    },
    ...forgetStopOptions(),
  },
  presets: {
    class: { learningRate: 0.03 },
    random: { learningRate: 0.01 },
  },
  presetFor: classOrRandomPreset,
});
