/**
 * Random labels: fine-tuning on D_f relabelled with other classes (optionally beside D_r): the
 * native method is native/unlearn/random_label.cc.
 */
import { classOrRandomPreset, defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

export const method = defineMethod({
  name: 'random-label',
  label: 'Random labels',
  summary: 'fine-tuning on D_f relabelled with random other classes (with --retain true, beside D_r batches)',
  citation:
    'Golatkar et al., "Eternal Sunshine of the Spotless Net", CVPR 2020; Graves et al., "Amnesiac Machine Learning", AAAI 2021',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_f' },
    retain: { type: 'boolean', default: false, doc: "also a D_r batch with its true labels in each step (Amnesiac's mix)" },
    ...optimizerOptions({ optimizer: 'adam', learningRate: 5e-5, weightDecay: 5e-4 }, {
      optimizer: 'Adam (bounded steps), or SGD with momentum',
    }),
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_f samples per step (and as many of D_r with retain)' },
    ...forgetStopOptions(),
  },
  // A class: D_r batches beside D_f (Amnesiac's mix) hold the other classes while a faster rate
  // forgets, and the forget stop ends the run at 1% of D_f's probe; D_f alone at 5e-5 left 12% of
  // a Fashion-MNIST class at a cost of 4.7 points to the others (docs/methods.md).
  presets: {
    class: { retain: true, learningRate: 1e-4, epochs: 3, forgetTarget: 1 },
    random: { retain: false, learningRate: 2e-5, epochs: 1, forgetTarget: -1 },
  },
  presetFor: classOrRandomPreset,
});
