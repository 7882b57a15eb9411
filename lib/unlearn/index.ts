/**
 * Unlearning: `unlearn(model, split, options)` removes a forget set's influence from a trained
 * model and resolves with a NEW model (the input model is never modified) plus run statistics.
 * Methods: 'camu' (Causal Machine Unlearning, camu-reference.md §2-4).
 */
import { CAMU_PRESETS, CamuPresetName, isCamuPresetName, presetFor } from '../config/presets';
import type { Dataset } from '../datasets';
import { JobOptions, runJob } from '../jobs';
import { isModel, Model } from '../models';
import { binding, RawCamuOptions, RawCamuStats } from '../native';
import type { Split } from '../splits';

/** The causal components of CaMU that an ablation can switch off. */
export type CamuAblation =
  /** the sample-set KL term KLsum(h_θo(x_r) ‖ h_θ(x_r)) */
  | 'klSample'
  /** the (forget, counterfactual) KL term KLsum(h_θo(x~) ‖ h_θ(x_f)) */
  | 'klCounterfactual'
  /** the counterfactual CE term CE(f_θ(x_f), y~) */
  | 'ceCounterfactual'
  /** the uniform noise on x~ (x~ = x_s) */
  | 'noise'
  /** the label re-draw (y~ = y_s even where it equals y_f) */
  | 'relabel';

const ABLATIONS: readonly CamuAblation[] = ['klSample', 'klCounterfactual', 'ceCounterfactual', 'noise', 'relabel'];

export interface CamuLossWeights {
  /** Default 0.5. */
  klSample: number;
  /** Default 0.5. */
  klCounterfactual: number;
  /** Default 0.9 (a weight on the batch mean). */
  ceSample: number;
  /** Default 0.01 (a weight on the batch mean). */
  ceCounterfactual: number;
}

export interface CamuUnlearnOptions extends JobOptions {
  method?: 'camu';
  /** The train set `split` was made from (its name and size are checked). */
  train: Dataset;
  /**
   * The paper's settings for epochs and learning rates. Default: the preset for the split's
   * dataset and scenario (§4); explicit epochs / klLr / impairLr override it.
   */
  preset?: CamuPresetName;
  epochs?: number;
  /** opt_KL's learning rate (step 1). */
  klLr?: number;
  /** opt_CE's learning rate (step 2). */
  impairLr?: number;
  /** Both Adam optimisers' weight decay. Default 1e-4. */
  weightDecay?: number;
  /** Default 32. */
  batchSize?: number;
  weights?: Partial<CamuLossWeights>;
  ablate?: readonly CamuAblation[];
  /** Seeds the counterfactual set and every shuffle. Default: the split's seed. */
  seed?: number;
  device?: 'cpu' | 'cuda';
  /**
   * Same-result shortcuts, on by default; turning one off computes the plain way (for checks
   * and benchmarks). `fusedLoss: false` uses plain libtorch ops for the loss terms;
   * `fusedAdam: false` uses libtorch's Adam instead of the one-pass update (same formula).
   */
  shortcuts?: { cacheTeacherEmbeddings?: boolean; batchStudentPasses?: boolean; fusedLoss?: boolean; fusedAdam?: boolean };
}

export type CamuStats = RawCamuStats & {
  method: 'camu';
  preset: CamuPresetName | null;
  epochs: RawCamuStats['epochs'];
  settings: { epochs: number; klLr: number; impairLr: number; batchSize: number; seed: number };
};

export interface UnlearnResult {
  model: Model;
  stats: CamuStats;
}

function resolveSettings(split: Split, options: CamuUnlearnOptions) {
  if (options.preset !== undefined && !isCamuPresetName(options.preset)) {
    throw new RangeError(
      `unlearn: options.preset must be one of ${Object.keys(CAMU_PRESETS).join(', ')}, got '${String(options.preset)}'`,
    );
  }
  const explicit = options.epochs !== undefined && options.klLr !== undefined && options.impairLr !== undefined;
  const preset = options.preset ?? (explicit ? null : presetFor(split.dataset.name, split.scenario.type));
  const base = preset ? CAMU_PRESETS[preset] : { epochs: 0, klLr: 0, impairLr: 0, batchSize: 32 };
  return {
    preset,
    epochs: options.epochs ?? base.epochs,
    klLr: options.klLr ?? base.klLr,
    impairLr: options.impairLr ?? base.impairLr,
    batchSize: options.batchSize ?? base.batchSize,
    seed: options.seed ?? split.seed,
  };
}

/**
 * Unlearns `split`'s forget set from `model`. One native job: builds the counterfactual set,
 * runs every removal epoch, reports progress (phase 'counterfactual', then 'removal' with the
 * four weighted loss terms per step) and stops between steps when `signal` aborts.
 */
export function unlearn(model: Model, split: Split, options: CamuUnlearnOptions): Promise<UnlearnResult> {
  if (!isModel(model)) throw new TypeError('unlearn: model must be a Model (createModel, loadTorchScript, train)');
  if (typeof split !== 'object' || split === null || !('forgetIndices' in split)) {
    throw new TypeError('unlearn: split must be a Split (makeSplit, loadSplit)');
  }
  if (typeof options !== 'object' || options === null) throw new TypeError('unlearn: options must be an object');
  if (options.method !== undefined && options.method !== 'camu') {
    throw new RangeError(`unlearn: options.method must be 'camu', got '${String(options.method)}'`);
  }
  const ablate = options.ablate ?? [];
  if (!Array.isArray(ablate)) throw new TypeError('unlearn: options.ablate must be an array');
  for (const name of ablate) {
    if (!ABLATIONS.includes(name)) {
      throw new RangeError(`unlearn: options.ablate entries must be one of ${ABLATIONS.join(', ')}, got '${String(name)}'`);
    }
  }
  const settings = resolveSettings(split, options);
  const weights = {
    klSample: ablate.includes('klSample') ? 0 : options.weights?.klSample,
    klCounterfactual: ablate.includes('klCounterfactual') ? 0 : options.weights?.klCounterfactual,
    ceSample: options.weights?.ceSample,
    ceCounterfactual: ablate.includes('ceCounterfactual') ? 0 : options.weights?.ceCounterfactual,
  };
  const raw: RawCamuOptions = {
    epochs: settings.epochs,
    klLr: settings.klLr,
    impairLr: settings.impairLr,
    batchSize: settings.batchSize,
    weightDecay: options.weightDecay,
    weights,
    noise: !ablate.includes('noise'),
    relabel: !ablate.includes('relabel'),
    seed: settings.seed,
    device: options.device,
    cacheTeacherEmbeddings: options.shortcuts?.cacheTeacherEmbeddings,
    batchStudentPasses: options.shortcuts?.batchStudentPasses,
    fusedAdam: options.shortcuts?.fusedAdam,
    loss: options.shortcuts?.fusedLoss === false ? 'reference' : 'fused',
  };
  const { signal, onProgress } = options;
  return runJob('unlearn', { signal, onProgress }, (progress, flag) =>
    binding.unlearnCamu(model, options.train, split, raw, progress, flag),
  ).then(({ model: unlearned, stats }) => ({
    model: unlearned,
    stats: {
      ...stats,
      method: 'camu' as const,
      preset: settings.preset,
      settings: {
        epochs: settings.epochs,
        klLr: settings.klLr,
        impairLr: settings.impairLr,
        batchSize: settings.batchSize,
        seed: settings.seed,
      },
    },
  }));
}
