/**
 * Random labels: fine-tuning on D_f relabelled with other classes (optionally beside D_r): the
 * native method is native/unlearn/random_label.cc.
 */
import { defineMethod } from '../descriptor';

export const method = defineMethod({
  name: 'random-label',
  label: 'Random labels',
  summary: 'fine-tuning on D_f relabelled with random other classes (with --retain true, beside D_r batches)',
  citation:
    'Golatkar et al., "Eternal Sunshine of the Spotless Net", CVPR 2020; Graves et al., "Amnesiac Machine Learning", AAAI 2021',
  options: {
    epochs: { type: 'integer', default: 1, min: 0, max: 1_000_000, doc: 'passes over D_f' },
    retain: { type: 'boolean', default: false, doc: "also a D_r batch with its true labels in each step (Amnesiac's mix)" },
    optimizer: { type: 'choice', default: 'adam', choices: ['sgd', 'adam'], doc: 'Adam (bounded steps), or SGD with momentum' },
    learningRate: { type: 'number', default: 5e-5, exclusiveMin: 0, doc: 'learning rate' },
    momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: "SGD's momentum" },
    weightDecay: { type: 'number', default: 5e-4, min: 0, doc: 'L2 weight decay' },
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_f samples per step (and as many of D_r with retain)' },
    fusedAdam: { type: 'boolean', default: true, doc: "shortcut, same formula: camu's one-pass Adam instead of libtorch's" },
  },
});
