/**
 * Bad Teaching with an incompetent teacher: the native method is native/unlearn/bad_teacher.cc.
 */
import { defineMethod, forgetStopOptions, optimizerOptions } from '../descriptor';

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
});
