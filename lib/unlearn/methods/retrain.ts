/**
 * Retraining from scratch on the retained data D_r, the exact-unlearning reference every method is
 * compared with: the native method is native/unlearn/retrain.cc. With the defaults it gives bitwise
 * the model of `trainFromScratch` with the original's architecture, the run's seed and D_r.
 */
import { defineMethod, optimizerOptions } from '../descriptor';

export const method = defineMethod({
  name: 'retrain',
  label: 'Retrain',
  summary: "training a fresh model of the original's architecture on D_r only: the reference (oracle) of exact unlearning",
  citation:
    'Cao and Yang, "Towards Making Systems Forget with Machine Unlearning", IEEE S&P 2015; the recipe of Shen et al., "CaMU", SDM 2024',
  options: {
    epochs: { type: 'integer', default: 20, min: 0, max: 1_000_000, doc: "epochs over D_r (20: the paper's original models)" },
    ...optimizerOptions(
      { optimizer: 'adam', learningRate: 1e-3, weightDecay: 1e-4 },
      { optimizer: 'Adam (the training recipe), or SGD with momentum' },
    ),
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'D_r samples per step' },
  },
});
