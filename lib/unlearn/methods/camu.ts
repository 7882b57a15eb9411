/**
 * CaMU, Causal Machine Unlearning (docs/algorithm.md): the native method is
 * native/unlearn/camu.cc. Its presets are the paper's settings per dataset family and scenario.
 */
import { CAMU_PRESETS, CamuPresetName, presetFor } from '../../config/presets';
import { defineMethod, FUSED_ADAM_OPTION, forgetStopOptions } from '../descriptor';

export const method = defineMethod({
  name: 'camu',
  label: 'CaMU',
  summary: "causal machine unlearning: removes the forget set's causal effect with counterfactual pairs (the paper's presets by default)",
  citation: 'Shen et al., "CaMU: Disentangling Causal Effects in Deep Model Unlearning", SDM 2024 (arXiv 2401.17504)',
  options: {
    epochs: { type: 'integer', default: 10, min: 0, max: 1_000_000, doc: 'removal epochs over the counterfactual pairs' },
    klLr: { type: 'number', default: 4e-4, exclusiveMin: 0, doc: "opt_KL's learning rate (step 1, representation level)" },
    impairLr: { type: 'number', default: 5e-4, exclusiveMin: 0, doc: "opt_CE's learning rate (step 2, output level)" },
    weightDecay: { type: 'number', default: 1e-4, min: 0, doc: "both Adam optimisers' weight decay" },
    batchSize: { type: 'integer', default: 32, min: 1, max: 1 << 20, doc: 'pairs (and D_s samples) per step' },
    klSampleWeight: { type: 'number', default: 0.5, min: 0, doc: 'weight of KLsum(h_θo(x_r) ‖ h_θ(x_r))' },
    klCounterfactualWeight: { type: 'number', default: 0.5, min: 0, doc: 'weight of KLsum(h_θo(x~) ‖ h_θ(x_f))' },
    ceSampleWeight: { type: 'number', default: 0.9, min: 0, doc: 'weight of CE(f_θ(x_r), y_r), a batch mean' },
    ceCounterfactualWeight: { type: 'number', default: 0.01, min: 0, doc: 'weight of CE(f_θ(x_f), y~), a batch mean' },
    noise: { type: 'boolean', default: true, doc: 'uniform noise on the counterfactual inputs x~' },
    relabel: { type: 'boolean', default: true, doc: 'redraw y~ where it equals y_f' },
    cacheTeacherEmbeddings: { type: 'boolean', default: true, doc: "shortcut, same result: the frozen teacher's embeddings computed once" },
    batchStudentPasses: { type: 'boolean', default: true, doc: "shortcut, same result: a step's two student passes as one (no batch statistics)" },
    backwardPerPass: { type: 'boolean', default: true, doc: 'shortcut, same result: where the two passes stay separate, each differentiated on its own, holding one pass of activations' },
    fusedLoss: { type: 'boolean', default: true, doc: "shortcut, same result: camu's fused loss kernels instead of plain libtorch ops" },
    fusedAdam: FUSED_ADAM_OPTION,
    ...forgetStopOptions(),
  },
  // The paper's epochs and learning rates; its batch size is the default.
  presets: Object.fromEntries(
    Object.entries(CAMU_PRESETS).map(([name, { epochs, klLr, impairLr }]) => [name, { epochs, klLr, impairLr }]),
  ) as Record<CamuPresetName, { epochs: number; klLr: number; impairLr: number }>,
  presetFor: (split) => presetFor(split.dataset.name, split.scenario.type),
  ablations: {
    klSample: { doc: 'without the sample-set KL term', set: { klSampleWeight: 0 } },
    klCounterfactual: { doc: 'without the (forget, counterfactual) KL term', set: { klCounterfactualWeight: 0 } },
    ceCounterfactual: { doc: 'without the counterfactual CE term', set: { ceCounterfactualWeight: 0 } },
    noise: { doc: 'x~ = x_s, without noise', set: { noise: false } },
    relabel: { doc: 'y~ = y_s, even where it equals y_f', set: { relabel: false } },
  },
});
