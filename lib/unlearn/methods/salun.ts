/**
 * SalUn, random-label unlearning confined to the weights salient for D_f: the native method is
 * native/unlearn/salun.cc. Class removal takes the default learning rate; any other forget set (a
 * random sample, part of a class) a fifth of it, since wrong labels for samples of every class cost
 * the whole model (Fashion-MNIST random 10%: test accuracy 70.95% at 1e-4, 89.76% at 2e-5;
 * docs/methods.md).
 */
import { classOrRandomPreset, defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

export const method = defineMethod({
  name: 'salun',
  label: 'SalUn',
  summary: 'random labels on D_f beside D_r, updating only the weights where the forget loss has the largest gradient',
  citation: 'Fan et al., "SalUn: Empowering Machine Unlearning via Gradient-based Weight Saliency", ICLR 2024',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_f (a D_r batch beside each of its batches)' },
    threshold: { type: 'number', default: 0.5, min: 0, max: 1, doc: "fraction of weights in the saliency mask (largest |∇ forget loss| at the original weights)" },
    ...optimizerOptions({ optimizer: 'adam', learningRate: 1e-4, weightDecay: 5e-4 }, {
      optimizer: 'Adam (bounded steps), or SGD with momentum',
      weightDecay: 'L2 weight decay (masked weights only: the others stay as they were)',
    }),
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_f samples per step, and as many of D_r' },
    ...forgetStopOptions(),
  },
  presets: {
    class: { learningRate: 1e-4 },
    random: { learningRate: 2e-5 },
  },
  presetFor: classOrRandomPreset,
});
