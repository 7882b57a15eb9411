/**
 * Bad Teaching with an incompetent teacher: the native method is native/unlearn/bad_teacher.cc.
 */
import { datasetClassOrRandomPreset, defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

// A class: 3 epochs left 5% of a class of the paper's 20-epoch models (the student answers D_f as
// the random teacher does, the class now and then), however long it ran; the forget stop ends
// the run at 1% of D_f's probe, within its first few dozen steps on most seeds, with room for 5
// epochs where it takes longer. A random 10% of the Fashion-MNIST models lost 3.5 points of D_r
// against the retrained model with 30% of D_r for 3 epochs; all of D_r for one epoch keeps it
// within 3 (docs/methods.md).
const PRESETS = {
  class: { epochs: 5, retainFraction: 0.3, forgetTarget: 1 },
  random: { epochs: 3, retainFraction: 0.3, forgetTarget: -1 },
  'fashion-random': { epochs: 1, retainFraction: 1, forgetTarget: -1 },
};

export const method = defineMethod({
  name: 'bad-teacher',
  label: 'Bad Teacher',
  summary: 'distils D_f from a randomly initialised teacher and part of D_r from the original',
  citation:
    'Chundawat et al., "Can Bad Teaching Induce Forgetting? Unlearning in Deep Networks Using an Incompetent Teacher", AAAI 2023',
  options: {
    epochs: { type: 'integer', default: 3, min: 0, max: 1_000_000, doc: "epochs over D_f and the retained subset (the paper: 1)" },
    batchSize: { type: 'integer', default: 256, min: 1, max: 1 << 20, doc: "samples per step, D_f and D_r mixed (the paper's 256)" },
    temperature: { type: 'number', default: 1, exclusiveMin: 0, doc: "distillation temperature (the paper's 1; KL scaled by T²)" },
    retainFraction: { type: 'number', default: 0.3, min: 0, max: 1, doc: "fraction of D_r drawn once to train on (the paper's 0.3)" },
    ...optimizerOptions({ optimizer: 'adam', learningRate: 1e-3, weightDecay: 0 }, {
      optimizer: "Adam (the paper's) or SGD with momentum",
      learningRate: 'learning rate (the paper: 1e-4)',
      weightDecay: 'L2 weight decay (the paper uses none)',
    }),
    ...forgetStopOptions(),
  },
  presets: PRESETS,
  presetFor: datasetClassOrRandomPreset(PRESETS),
});
