/**
 * NegGrad, gradient ascent on the forget set D_f: the native method is native/unlearn/neggrad.cc.
 */
import { datasetClassOrRandomPreset, defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

// A class: room for five passes, ended by the forget stop once D_f's probe is at 1%, so that no
// seed stops short of forgetting or runs on over the cliff. A random 10% of the paper's
// Fashion-MNIST models lost 5 points of D_r against the retrained model at 2.5e-5; 1e-5 keeps it
// within 3 (docs/methods.md).
const PRESETS = {
  class: { epochs: 5, forgetTarget: 1 },
  random: { epochs: 1, forgetTarget: -1 },
  'fashion-random': { epochs: 1, forgetTarget: -1, learningRate: 1e-5 },
};

export const method = defineMethod({
  name: 'neggrad',
  label: 'NegGrad',
  summary: 'gradient ascent on the forget set D_f: each step raises the cross-entropy of a D_f batch',
  citation:
    'Thudi et al., "Unrolling SGD: Understanding Factors Influencing Machine Unlearning", EuroS&P 2022; Golatkar et al., "Eternal Sunshine of the Spotless Net", CVPR 2020',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_f' },
    ...optimizerOptions({ optimizer: 'adam', learningRate: 2.5e-5, weightDecay: 0 }, {
      optimizer: 'Adam (its steps stay bounded while the ascent inflates the gradients), or SGD with momentum',
      learningRate: 'learning rate (the ascent is unbounded: keep it small)',
    }),
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_f samples per step' },
    ...forgetStopOptions(),
  },
  presets: PRESETS,
  presetFor: datasetClassOrRandomPreset(PRESETS),
});
