/**
 * The results file of `camu reproduce`: every per-seed number of a run of the paper's protocol,
 * with the environment that produced it. This module is its schema (types, the datasets and
 * scenarios it covers) and their display names; validate.ts checks a file against it, store.ts
 * reads and writes files, runs.ts adds runs.
 */
import type { ReportedMetricKey } from '../metrics/catalogue';
import { methodDescriptors } from '../unlearn/methods';

/** The `format` and `version` fields every results file carries. */
export const RESULTS_FORMAT = 'camu-results';
export const RESULTS_VERSION = 1;

/** The datasets a reproduction runs on. */
export const DATASET_NAMES = ['mnist', 'fashion', 'cifar10', 'cifar100'] as const;
/** A dataset of a reproduction, by name (not lib/datasets' Dataset, the loaded data). */
export type DatasetName = (typeof DATASET_NAMES)[number];
/** The removal scenarios of the paper: one whole class, or 10% of the training data at random. */
export const SCENARIO_KINDS = ['class', 'random'] as const;
/** A removal scenario, by kind (lib/splits' Scenario is the full description of a split's removal). */
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];
/**
 * 'original' and 'retrain' (the references every comparison needs), then every other unlearning
 * method. 'retrain' is also a registered method; here its run is the cached retrained model, which
 * the distances need whatever `methods` says (the method's result, bitwise, for the same recipe).
 */
export const REPRODUCE_METHODS: readonly string[] = [
  'original',
  'retrain',
  ...methodDescriptors()
    .map((method) => method.name)
    .filter((name) => name !== 'retrain'),
];
export type ReproduceMethod = string;
/** What `reproduce` runs by default: the paper's comparison. */
export const DEFAULT_REPRODUCE_METHODS: readonly string[] = ['original', 'retrain', 'camu'];

/** Display names of the datasets and scenarios. */
export const DATASET_LABELS: Readonly<Record<DatasetName, string>> = {
  mnist: 'MNIST',
  fashion: 'Fashion-MNIST',
  cifar10: 'CIFAR-10',
  cifar100: 'CIFAR-100',
};
export const SCENARIO_LABELS: Readonly<Record<ScenarioKind, string>> = {
  class: 'class removal',
  random: 'random removal',
};
/** Display names of the methods camu knows; any other method is shown by its key. */
export const METHOD_LABELS: Readonly<Record<string, string>> = {
  original: 'Original',
  ...Object.fromEntries(methodDescriptors().map((method) => [method.name, method.label])),
};

/** The display name of a dataset, marked when it is the reduced setting. */
export function datasetLabel(dataset: DatasetName, reduced: boolean): string {
  return reduced ? `${DATASET_LABELS[dataset]} (reduced)` : DATASET_LABELS[dataset];
}

/** The display name of a method: its METHOD_LABELS entry, or its key. */
export function methodLabel(method: string): string {
  return Object.prototype.hasOwnProperty.call(METHOD_LABELS, method) ? METHOD_LABELS[method] : method;
}

/** A value JSON can hold: the type of the settings' options. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The options a reproduction ran with. The four selections may grow on resume; all else must match. */
export interface ResultsSettings {
  datasets: DatasetName[];
  scenarios: ScenarioKind[];
  seeds: number[];
  methods: string[];
  [option: string]: JsonValue;
}

/** acc(D_r) − acc(D_f) in percentage points after each number of fine-tuning steps on D_r. */
export interface RelearnCurve {
  steps: number[];
  gap: number[];
}

/** Which run a record is: one method on one split of one dataset and seed. */
export interface RunIdentity {
  dataset: DatasetName;
  scenario: ScenarioKind;
  seed: number;
  method: string;
  /** The documented reduced CPU setting for CIFAR (training subset, 32 px), not the paper's size. */
  reduced: boolean;
}

/** The numbers of one run. */
export interface RunRecord extends RunIdentity {
  /** Keys from METRICS or `gap.<key>` (see metricInfo); null = unavailable, with a reason. */
  metrics: Partial<Record<ReportedMetricKey, number | null>>;
  /** Why each null metric is unavailable; one entry per null metric and no other. */
  unavailable?: Partial<Record<ReportedMetricKey, string>>;
  relearnCurve?: RelearnCurve;
}

/** A whole results file (results.json). */
export interface ResultsFile {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  camuVersion: string;
  libtorchVersion: string;
  device: string;
  threads: number;
  gitCommit: string | null;
  /** ISO 8601 time the file was first written; kept on resume. */
  createdAt: string;
  settings: ResultsSettings;
  /** Split files used, by a key the caller chooses (e.g. 'mnist/class/0'). */
  splits: Record<string, string>;
  runs: RunRecord[];
}

/** Everything but the runs: the environment and options of a reproduction. */
export type ResultsHeader = Omit<ResultsFile, 'format' | 'version' | 'runs' | 'createdAt'> & { createdAt?: string };

/** A stable key for a run: dataset/scenario/seed/method, with '/reduced' for the reduced setting. */
export function runKey(run: RunIdentity): string {
  return `${run.dataset}/${run.scenario}/${run.seed}/${run.method}${run.reduced ? '/reduced' : ''}`;
}
