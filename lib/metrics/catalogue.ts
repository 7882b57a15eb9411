/**
 * The metric catalogue: every metric a reproduction reports, with its label, unit, decimals and
 * range. evaluateUnlearning's records, the results file, its validation, tables and plots all use
 * these keys.
 */

/** What a metric is and how it is shown. */
export interface MetricInfo {
  /** Short name for table headers and plot titles. */
  label: string;
  description: string;
  /** '%', 'pp' (percentage points), 'fraction', 'nats', 'L2', 'score', 'steps', 's', 'ratio'. */
  unit: string;
  /** Decimals shown in tables and plots. */
  decimals: number;
  min?: number;
  max?: number;
  integer?: boolean;
  /** Whether `gap.<key>` (this method minus retrain on the same split and seed) is defined. */
  gap: boolean;
}

const LN2 = Math.log(2);

/** Every metric a results file may hold, besides the gap.<key> metrics derived from these. */
export const METRICS = {
  'acc.retain': {
    label: 'acc(D_r)',
    description: 'Top-1 accuracy on the retain set D_r = D \\ D_f (the training data that is kept).',
    unit: '%', decimals: 2, min: 0, max: 100, gap: true,
  },
  'acc.forget': {
    label: 'acc(D_f)',
    description: 'Top-1 accuracy on the forget set D_f (the training data a deletion request removes).',
    unit: '%', decimals: 2, min: 0, max: 100, gap: true,
  },
  'acc.test': {
    label: 'acc(T)',
    description: 'Top-1 accuracy on the whole test set T.',
    unit: '%', decimals: 2, min: 0, max: 100, gap: true,
  },
  'acc.testRemaining': {
    label: 'acc(T_r)',
    description: 'Top-1 accuracy on the test samples of the classes that are not removed (class removal).',
    unit: '%', decimals: 2, min: 0, max: 100, gap: true,
  },
  'acc.testForgotten': {
    label: 'acc(T_f)',
    description: 'Top-1 accuracy on the test samples of the removed classes (class removal).',
    unit: '%', decimals: 2, min: 0, max: 100, gap: true,
  },
  'mia.camu': {
    label: 'MIA',
    description:
      "The CaMU paper's membership inference attack: gradient-boosted trees (XGBoost, 100 trees) on " +
      'row-sorted softmax outputs, trained on D_s (members) vs the first 4000 test images, evaluated on ' +
      "D_f vs the following test images; the attacker's accuracy. Unavailable in builds without XGBoost.",
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: true,
  },
  'mia.loss': {
    label: 'MIA-loss',
    description:
      'Logistic regression on per-sample cross-entropy loss, D_f (members) vs test (non-members), ' +
      'class-balanced, k-fold cross-validated accuracy (the NeurIPS 2023 unlearning challenge attack); ' +
      '0.5 = indistinguishable.',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: true,
  },
  'mia.entropy': {
    label: 'MIA-entropy',
    description:
      'Logistic regression on prediction entropy, trained on D_r (members) vs test (non-members); ' +
      'the fraction of D_f it predicts to be members.',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: true,
  },
  'mia.efficacy': {
    label: 'MIA-efficacy',
    description:
      'SVC MIA-efficacy (Jia et al. 2023): an RBF support vector classifier (C = 3, gamma = 1) on the ' +
      'true-class confidence, trained on D_r (members) vs test (non-members); the fraction of D_f it ' +
      'predicts to be non-members (higher = D_f looks less like training data).',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: true,
  },
  'distance.activation': {
    label: 'act. dist.',
    description:
      'Activation distance: mean over D_f of the L2 distance between the softmax outputs of this ' +
      'model and of the model retrained from scratch on D_r.',
    unit: 'L2', decimals: 4, min: 0, max: Math.SQRT2, gap: false,
  },
  'distance.js': {
    label: 'JS',
    description:
      'Mean over D_f of the Jensen-Shannon divergence (natural log) between the softmax outputs of ' +
      'this model and of the model retrained from scratch on D_r.',
    unit: 'nats', decimals: 4, min: 0, max: LN2, gap: false,
  },
  zrf: {
    label: 'ZRF',
    description:
      'Zero Retrain Forgetting: 1 − mean over D_f of the Jensen-Shannon divergence (natural log) ' +
      'between this model and a randomly initialised model of the same architecture.',
    unit: 'score', decimals: 4, min: 1 - LN2, max: 1, gap: false,
  },
  'zrf.legacyBadTeacher': {
    label: 'ZRF (legacy)',
    description:
      'ZRF by the formula widely copied from the bad-teacher reference code, which is not the ' +
      'Jensen-Shannon divergence; reported only to compare with published numbers.',
    unit: 'score', decimals: 4, gap: false,
  },
  'relearn.steps': {
    label: 'relearn steps',
    description:
      'Optimiser steps of fine-tuning on D_f until acc(D_f) reaches the target (parameters in the ' +
      'settings); unavailable when the target is not reached within the step budget.',
    unit: 'steps', decimals: 0, min: 0, integer: true, gap: false,
  },
  'audit.rmia.auc': {
    label: 'RMIA AUC',
    description:
      'RMIA (Zarifzadeh et al. 2024) against reference models trained on random halves of train + test: ' +
      'ROC AUC of D_f rows against test rows (docs/audit.md); 0.5 = D_f looks like data never seen. ' +
      'Measured with `reproduce --audit rmia`.',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: false,
  },
  'audit.rmia.tpr': {
    label: 'RMIA TPR@1%',
    description: 'The same attack\'s true-positive rate on D_f rows at 1% false positives on test rows.',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: false,
  },
  'audit.ulira.auc': {
    label: 'U-LiRA AUC',
    description:
      'U-LiRA (Hayes et al. 2024) with shadow experiments of the same method: ROC AUC of the unlearned ' +
      "model's scores against the retrained model's on D_f rows (docs/audit.md); 0.5 = as if retrained. " +
      'Measured with `reproduce --audit ulira`.',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: false,
  },
  'audit.ulira.tpr': {
    label: 'U-LiRA TPR@1%',
    description: 'The same attack\'s true-positive rate at 1% false positives.',
    unit: 'fraction', decimals: 3, min: 0, max: 1, gap: false,
  },
  'time.seconds': {
    label: 'time',
    description:
      "Wall time of the method in seconds (the paper's definition; for CaMU, building the " +
      'counterfactual data plus every removal epoch).',
    unit: 's', decimals: 2, min: 0, gap: false,
  },
  'time.rte': {
    label: 'RTE',
    description:
      'Retrain time efficiency: time.seconds of the retrained model divided by that of this method ' +
      '(same split and seed); above 1 = faster than retraining.',
    unit: 'ratio', decimals: 2, min: 0, gap: false,
  },
} as const satisfies Record<string, MetricInfo>;

/** The key of a metric of the catalogue. */
export type MetricKey = keyof typeof METRICS;
/** The metrics whose gap to retrain (gap.<key>) is defined. */
export type MetricWithGap = { [K in MetricKey]: (typeof METRICS)[K]['gap'] extends true ? K : never }[MetricKey];
/** The key of a gap-to-retrain metric. */
export type GapMetricKey = `gap.${MetricWithGap}`;
/** Any key a run's metrics may hold: a metric of the catalogue or the gap to retrain of one. */
export type ReportedMetricKey = MetricKey | GapMetricKey;

/** Every key of METRICS, in catalogue order. */
export const METRIC_KEYS = Object.keys(METRICS) as readonly MetricKey[];

function isMetricKey(key: string): key is MetricKey {
  return Object.prototype.hasOwnProperty.call(METRICS, key);
}

const GAP_PREFIX = 'gap.';

/** The key of the gap-to-retrain metric of `key`. */
export function gapKey(key: MetricWithGap): GapMetricKey {
  return `${GAP_PREFIX}${key}` as GapMetricKey;
}

/** Metric keys that have a gap.<key> twin. */
export const GAP_METRICS: readonly MetricWithGap[] = METRIC_KEYS.filter((key): key is MetricWithGap => METRICS[key].gap);

/** The description of any valid metric key, gap.<key> included; undefined for unknown keys. */
export function metricInfo(key: string): MetricInfo | undefined {
  if (isMetricKey(key)) return METRICS[key];
  if (!key.startsWith(GAP_PREFIX)) return undefined;
  const base = key.slice(GAP_PREFIX.length);
  if (!isMetricKey(base)) return undefined;
  const info: MetricInfo = METRICS[base];
  if (!info.gap) return undefined;
  return {
    label: `Δ${info.label}`,
    description: `${info.label} of this method minus that of the model retrained from scratch on D_r (same split and seed).`,
    unit: info.unit === '%' ? 'pp' : info.unit,
    decimals: info.decimals,
    min: info.min !== undefined && info.max !== undefined ? info.min - info.max : undefined,
    max: info.min !== undefined && info.max !== undefined ? info.max - info.min : undefined,
    gap: false,
  };
}


/** The catalogue as a Markdown table (docs/metrics.md holds it; scripts/update-docs.js writes it there). */
export function metricsReferenceTable(): string {
  const rows = METRIC_KEYS.map((key) => {
    const info: MetricInfo = METRICS[key];
    const gap = info.gap ? `yes (\`gap.${key}\`)` : 'no';
    return `| \`${key}\` | ${info.label} | ${info.unit} | ${gap} | ${info.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| key | shown as | unit | gap to retrain | definition |', '|---|---|---|---|---|', ...rows].join('\n');
}
