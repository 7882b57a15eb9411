/**
 * The results file of `camu reproduce`: every per-seed number of a run of the paper's protocol,
 * with the environment that produced it. Validated on every read and before every write, written
 * atomically, and merged on resume so an interrupted run continues from its finished runs.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CamuError, ErrorCode } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { GAP_METRICS, gapKey, metricInfo, ReportedMetricKey } from '../metrics/catalogue';

export const RESULTS_FORMAT = 'camu-results';
export const RESULTS_VERSION = 1;

export const DATASETS = ['mnist', 'fashion', 'cifar10', 'cifar100'] as const;
export type Dataset = (typeof DATASETS)[number];
export const SCENARIOS = ['class', 'random'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const DATASET_LABELS: Readonly<Record<Dataset, string>> = {
  mnist: 'MNIST',
  fashion: 'Fashion-MNIST',
  cifar10: 'CIFAR-10',
  cifar100: 'CIFAR-100',
};
export const SCENARIO_LABELS: Readonly<Record<Scenario, string>> = {
  class: 'class removal',
  random: 'random removal',
};
/** Display names of the methods camu knows; any other method is shown by its key. */
export const METHOD_LABELS: Readonly<Record<string, string>> = {
  original: 'Original',
  retrain: 'Retrain',
  camu: 'CaMU',
};

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The options a reproduction ran with. The four selections may grow on resume; all else must match. */
export interface ResultsSettings {
  datasets: Dataset[];
  scenarios: Scenario[];
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
  dataset: Dataset;
  scenario: Scenario;
  seed: number;
  method: string;
  /** The documented reduced CPU setting for CIFAR (training subset, 32 px), not the paper's size. */
  reduced: boolean;
}

export interface RunRecord extends RunIdentity {
  /** Keys from METRICS or `gap.<key>` (see metricInfo); null = unavailable, with a reason. */
  metrics: Partial<Record<ReportedMetricKey, number | null>>;
  /** Why each null metric is unavailable; one entry per null metric and no other. */
  unavailable?: Partial<Record<ReportedMetricKey, string>>;
  relearnCurve?: RelearnCurve;
}

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

export function datasetLabel(dataset: Dataset, reduced: boolean): string {
  return reduced ? `${DATASET_LABELS[dataset]} (reduced)` : DATASET_LABELS[dataset];
}

export function methodLabel(method: string): string {
  return Object.prototype.hasOwnProperty.call(METHOD_LABELS, method) ? METHOD_LABELS[method] : method;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Collects every problem of a value with its JSON path, so one error lists them all. */
class Problems {
  readonly list: string[] = [];

  add(where: string, message: string): void {
    this.list.push(`${where}: ${message}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isSeed(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function keyPath(where: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

function checkKeys(problems: Problems, where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.add(keyPath(where, key), 'unknown field');
  }
}

function checkJson(problems: Problems, where: string, value: unknown): void {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) problems.add(where, `expected a finite number, got ${describe(value)}`);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkJson(problems, `${where}[${i}]`, item));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJson(problems, keyPath(where, key), item);
  } else {
    problems.add(where, `expected a JSON value, got ${typeof value}`);
  }
}

function checkList<T>(
  problems: Problems,
  where: string,
  value: unknown,
  isItem: (item: unknown) => item is T,
  expected: string,
): void {
  if (!Array.isArray(value)) {
    problems.add(where, `expected an array of ${expected}, got ${describe(value)}`);
    return;
  }
  const seen = new Set<unknown>();
  value.forEach((item, i) => {
    if (!isItem(item)) problems.add(`${where}[${i}]`, `expected ${expected}, got ${describe(item)}`);
    else if (seen.has(item)) problems.add(`${where}[${i}]`, `duplicate ${describe(item)}`);
    seen.add(item);
  });
}

const isDataset = (value: unknown): value is Dataset => (DATASETS as readonly unknown[]).includes(value);
const isScenario = (value: unknown): value is Scenario => (SCENARIOS as readonly unknown[]).includes(value);
const DATASET_CHOICES = `one of ${DATASETS.join(', ')}`;
const SCENARIO_CHOICES = `one of ${SCENARIOS.join(', ')}`;

function checkSettings(problems: Problems, value: unknown): void {
  if (!isObject(value)) {
    problems.add('settings', `expected an object, got ${describe(value)}`);
    return;
  }
  checkList(problems, 'settings.datasets', value.datasets, isDataset, DATASET_CHOICES);
  checkList(problems, 'settings.scenarios', value.scenarios, isScenario, SCENARIO_CHOICES);
  checkList(problems, 'settings.seeds', value.seeds, isSeed, 'a non-negative integer');
  checkList(problems, 'settings.methods', value.methods, isNonEmptyString, 'a method name');
  checkJson(problems, 'settings', value);
}

// Rounding in the producers (e.g. a percentage of 100.00000000000001) must not fail validation.
const RANGE_SLACK = 1e-9;

function checkMetricValue(problems: Problems, where: string, key: string, value: unknown): void {
  const info = metricInfo(key);
  if (!info) {
    problems.add(where, 'unknown metric (see METRICS; gap.<key> exists for accuracies and attacks)');
    return;
  }
  if (value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.add(where, `expected a finite number or null, got ${describe(value)}`);
    return;
  }
  if (info.integer && !Number.isInteger(value)) problems.add(where, `expected an integer, got ${value}`);
  const below = info.min !== undefined && value < info.min - RANGE_SLACK;
  const above = info.max !== undefined && value > info.max + RANGE_SLACK;
  if (below || above) {
    const range = `[${info.min ?? '-∞'}, ${info.max ?? '∞'}]`;
    problems.add(where, `${value} is outside ${range} (${info.unit})`);
  }
}

function checkRelearnCurve(problems: Problems, where: string, value: unknown): void {
  if (!isObject(value)) {
    problems.add(where, `expected an object {steps, gap}, got ${describe(value)}`);
    return;
  }
  checkKeys(problems, where, value, ['steps', 'gap']);
  const { steps, gap } = value;
  if (!Array.isArray(steps) || steps.length === 0) {
    problems.add(`${where}.steps`, `expected a non-empty array of step counts, got ${describe(steps)}`);
  } else {
    steps.forEach((step, i) => {
      if (!isSeed(step)) problems.add(`${where}.steps[${i}]`, `expected a non-negative integer, got ${describe(step)}`);
      else if (i > 0 && isSeed(steps[i - 1]) && step <= (steps[i - 1] as number)) {
        problems.add(`${where}.steps[${i}]`, `steps must increase, got ${step} after ${steps[i - 1]}`);
      }
    });
  }
  if (!Array.isArray(gap)) {
    problems.add(`${where}.gap`, `expected an array of numbers, got ${describe(gap)}`);
  } else {
    gap.forEach((item, i) => {
      if (typeof item !== 'number' || !Number.isFinite(item) || Math.abs(item) > 100 + RANGE_SLACK) {
        problems.add(`${where}.gap[${i}]`, `expected percentage points in [-100, 100], got ${describe(item)}`);
      }
    });
    if (Array.isArray(steps) && steps.length !== gap.length) {
      problems.add(where, `steps has ${steps.length} entries but gap has ${gap.length}`);
    }
  }
}

const RUN_FIELDS = ['dataset', 'scenario', 'seed', 'method', 'reduced', 'metrics', 'unavailable', 'relearnCurve'];

function checkRun(problems: Problems, where: string, value: unknown): void {
  if (!isObject(value)) {
    problems.add(where, `expected a run record, got ${describe(value)}`);
    return;
  }
  checkKeys(problems, where, value, RUN_FIELDS);
  if (!isDataset(value.dataset)) problems.add(`${where}.dataset`, `expected ${DATASET_CHOICES}, got ${describe(value.dataset)}`);
  if (!isScenario(value.scenario)) problems.add(`${where}.scenario`, `expected ${SCENARIO_CHOICES}, got ${describe(value.scenario)}`);
  if (!isSeed(value.seed)) problems.add(`${where}.seed`, `expected a non-negative integer, got ${describe(value.seed)}`);
  if (!isNonEmptyString(value.method)) problems.add(`${where}.method`, `expected a method name, got ${describe(value.method)}`);
  if (typeof value.reduced !== 'boolean') problems.add(`${where}.reduced`, `expected true or false, got ${describe(value.reduced)}`);

  const metrics = value.metrics;
  if (!isObject(metrics)) {
    problems.add(`${where}.metrics`, `expected an object of metric values, got ${describe(metrics)}`);
  } else {
    for (const [key, metric] of Object.entries(metrics)) checkMetricValue(problems, keyPath(`${where}.metrics`, key), key, metric);
  }
  const unavailable = value.unavailable;
  if (unavailable !== undefined && !isObject(unavailable)) {
    problems.add(`${where}.unavailable`, `expected an object of reasons, got ${describe(unavailable)}`);
  }
  if (isObject(metrics)) {
    const reasons = isObject(unavailable) ? unavailable : {};
    for (const [key, metric] of Object.entries(metrics)) {
      if (metric === null && !isNonEmptyString(reasons[key])) {
        problems.add(keyPath(`${where}.unavailable`, key), 'a null metric needs a reason (a non-empty string)');
      }
    }
    for (const [key, reason] of Object.entries(reasons)) {
      if (metrics[key] !== null) problems.add(keyPath(`${where}.unavailable`, key), 'a reason is given but the metric is not null');
      else if (!isNonEmptyString(reason)) problems.add(keyPath(`${where}.unavailable`, key), `expected a non-empty reason, got ${describe(reason)}`);
    }
  }
  if (value.relearnCurve !== undefined) checkRelearnCurve(problems, `${where}.relearnCurve`, value.relearnCurve);
}

const FILE_FIELDS = [
  'format', 'version', 'camuVersion', 'libtorchVersion', 'device', 'threads', 'gitCommit', 'createdAt', 'settings', 'splits', 'runs',
];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_LISTED_PROBLEMS = 20;

/**
 * Checks that `value` is a results file of this format and version and returns it typed.
 * Throws a CamuError (ERR_CAMU_FORMAT) listing every problem with its JSON path; `source`
 * (a file name) starts the message.
 */
export function validateResults(value: unknown, source = 'results'): ResultsFile {
  const problems = new Problems();
  if (!isObject(value)) {
    problems.add('(top level)', `expected an object, got ${describe(value)}`);
  } else if (value.format !== RESULTS_FORMAT) {
    problems.add('format', `expected "${RESULTS_FORMAT}", got ${describe(value.format)}`);
  } else if (value.version !== RESULTS_VERSION) {
    problems.add('version', `this camu reads version ${RESULTS_VERSION}, got ${describe(value.version)}`);
  } else {
    checkKeys(problems, '(top level)', value, FILE_FIELDS);
    for (const field of ['camuVersion', 'libtorchVersion', 'device'] as const) {
      if (!isNonEmptyString(value[field])) problems.add(field, `expected a non-empty string, got ${describe(value[field])}`);
    }
    if (!Number.isSafeInteger(value.threads) || (value.threads as number) < 1) {
      problems.add('threads', `expected a positive integer, got ${describe(value.threads)}`);
    }
    if (value.gitCommit !== null && !isNonEmptyString(value.gitCommit)) {
      problems.add('gitCommit', `expected a commit id or null, got ${describe(value.gitCommit)}`);
    }
    if (typeof value.createdAt !== 'string' || !ISO_TIME.test(value.createdAt) || Number.isNaN(Date.parse(value.createdAt))) {
      problems.add('createdAt', `expected an ISO 8601 time, got ${describe(value.createdAt)}`);
    }
    checkSettings(problems, value.settings);
    if (!isObject(value.splits)) {
      problems.add('splits', `expected an object of split file paths, got ${describe(value.splits)}`);
    } else {
      for (const [key, file] of Object.entries(value.splits)) {
        if (!isNonEmptyString(file)) problems.add(keyPath('splits', key), `expected a file path, got ${describe(file)}`);
      }
    }
    if (!Array.isArray(value.runs)) {
      problems.add('runs', `expected an array of run records, got ${describe(value.runs)}`);
    } else {
      const seen = new Map<string, number>();
      value.runs.forEach((run, i) => {
        checkRun(problems, `runs[${i}]`, run);
        if (!isObject(run)) return;
        const key = runKey(run as unknown as RunIdentity);
        const first = seen.get(key);
        if (first !== undefined) problems.add(`runs[${i}]`, `same run as runs[${first}] (${key})`);
        else seen.set(key, i);
      });
    }
  }
  if (problems.list.length > 0) {
    const shown = problems.list.slice(0, MAX_LISTED_PROBLEMS).map((line) => `  - ${line}`);
    if (problems.list.length > MAX_LISTED_PROBLEMS) shown.push(`  - ... and ${problems.list.length - MAX_LISTED_PROBLEMS} more`);
    throw new CamuError(`${source}: not a valid camu results file:\n${shown.join('\n')}`, ErrorCode.Format);
  }
  return value as unknown as ResultsFile;
}

// ---------------------------------------------------------------------------------------------
// Runs, resume and merge

/** A stable key for a run: dataset/scenario/seed/method, with '/reduced' for the reduced setting. */
export function runKey(run: RunIdentity): string {
  return `${run.dataset}/${run.scenario}/${run.seed}/${run.method}${run.reduced ? '/reduced' : ''}`;
}

export function findRun(results: ResultsFile, run: RunIdentity): RunRecord | undefined {
  const key = runKey(run);
  return results.runs.find((record) => runKey(record) === key);
}

export function finishedRunKeys(results: ResultsFile): Set<string> {
  return new Set(results.runs.map(runKey));
}

/** The planned runs that the results do not hold yet, in the planned order. */
export function pendingRuns<T extends RunIdentity>(results: ResultsFile, planned: readonly T[]): T[] {
  const finished = finishedRunKeys(results);
  return planned.filter((run) => !finished.has(runKey(run)));
}

/**
 * A copy of the results with `runs` added; a run with the key of an existing one replaces it in
 * place (a rerun supersedes the earlier numbers). The result is validated.
 */
export function addRuns(results: ResultsFile, runs: readonly RunRecord[]): ResultsFile {
  const merged = [...results.runs];
  const index = new Map(merged.map((run, i) => [runKey(run), i]));
  for (const run of runs) {
    const key = runKey(run);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, merged.length);
      merged.push(run);
    } else {
      merged[at] = run;
    }
  }
  return validateResults({ ...results, runs: merged }, 'addRuns');
}

/**
 * Adds what follows from each run's retrained reference (the run of method 'retrain' with the
 * same dataset, scenario, seed and setting): gap.<key> = value − retrain's value for every
 * accuracy and attack both hold, and time.rte = retrain time / method time. A gap whose inputs
 * are unavailable is null with the reason. The retrain runs themselves are returned unchanged.
 */
export function addRetrainComparisons(runs: readonly RunRecord[]): RunRecord[] {
  const retrains = new Map<string, RunRecord>();
  for (const run of runs) if (run.method === 'retrain') retrains.set(runKey(run), run);
  return runs.map((run) => {
    const retrain = retrains.get(runKey({ ...run, method: 'retrain' }));
    if (run.method === 'retrain' || !retrain) return run;
    const metrics = { ...run.metrics };
    const unavailable = { ...run.unavailable };
    for (const key of GAP_METRICS) {
      const value = run.metrics[key];
      const reference = retrain.metrics[key];
      if (value === undefined || reference === undefined) continue;
      if (value !== null && reference !== null) {
        metrics[gapKey(key)] = value - reference;
        delete unavailable[gapKey(key)];
      } else {
        metrics[gapKey(key)] = null;
        unavailable[gapKey(key)] = value === null
          ? `${key} is unavailable for ${run.method}: ${run.unavailable?.[key]}`
          : `${key} is unavailable for retrain: ${retrain.unavailable?.[key]}`;
      }
    }
    const time = run.metrics['time.seconds'];
    const retrainTime = retrain.metrics['time.seconds'];
    if (typeof time === 'number' && time > 0 && typeof retrainTime === 'number') metrics['time.rte'] = retrainTime / time;
    const { unavailable: _, ...identity } = run;
    const record: RunRecord = { ...identity, metrics };
    if (Object.keys(unavailable).length > 0) record.unavailable = unavailable;
    return record;
  });
}

/** Everything but the runs: the environment and options of a reproduction. */
export type ResultsHeader = Omit<ResultsFile, 'format' | 'version' | 'runs' | 'createdAt'> & { createdAt?: string };

/** A results file with no runs yet; createdAt defaults to now. */
export function newResults(header: ResultsHeader): ResultsFile {
  return validateResults(
    {
      format: RESULTS_FORMAT,
      version: RESULTS_VERSION,
      ...header,
      createdAt: header.createdAt ?? new Date().toISOString(),
      runs: [],
    },
    'newResults',
  );
}

/** Reads and validates a results file. Missing or unreadable files are ERR_CAMU_IO, bad contents ERR_CAMU_FORMAT. */
export async function readResults(file: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw new CamuError(`cannot read results file ${file}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CamuError(`${file}: not a valid camu results file: not JSON (${(error as Error).message})`, ErrorCode.Format, { cause: error });
  }
  return validateResults(value, file);
}

/** JSON with object keys sorted, so that equal values compare equal as text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function union<T>(first: readonly T[], second: readonly T[]): T[] {
  return [...first, ...second.filter((item) => !first.includes(item))];
}

const SELECTIONS = ['datasets', 'scenarios', 'seeds', 'methods'];
const ENVIRONMENT = ['camuVersion', 'libtorchVersion', 'device', 'threads', 'gitCommit'] as const;

/**
 * Starts or resumes a reproduction. Without a file at `file`, a new results file with no runs.
 * With one, its runs are kept when it was made by the same environment (camu version, libtorch
 * version, device, threads, git commit) and the same settings apart from the selections
 * (datasets, scenarios, seeds, methods), which become the union of both; otherwise a CamuError
 * (ERR_CAMU_STATE) names what differs, since mixing them would make the seeds incomparable.
 * Nothing is written.
 */
export async function openResults(file: string, header: ResultsHeader): Promise<ResultsFile> {
  const fresh = newResults(header);
  try {
    await fsp.stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fresh;
  }
  const existing = await readResults(file);
  const differences: string[] = [];
  for (const field of ENVIRONMENT) {
    if (existing[field] !== fresh[field]) {
      differences.push(`${field} ${JSON.stringify(existing[field])} there, ${JSON.stringify(fresh[field])} now`);
    }
  }
  const options = new Set([...Object.keys(existing.settings), ...Object.keys(fresh.settings)]);
  for (const option of options) {
    if (SELECTIONS.includes(option)) continue;
    const before = canonical(existing.settings[option] ?? null);
    const now = canonical(fresh.settings[option] ?? null);
    if (before !== now) differences.push(`settings.${option} ${before} there, ${now} now`);
  }
  for (const [key, split] of Object.entries(fresh.splits)) {
    const before = existing.splits[key];
    if (before !== undefined && before !== split) differences.push(`split ${key} ${before} there, ${split} now`);
  }
  if (differences.length > 0) {
    throw new CamuError(
      `cannot resume ${file}: it was made differently (${differences.join('; ')}); ` +
        'write the results to another file or remove this one',
      ErrorCode.State,
    );
  }
  const settings: ResultsSettings = { ...existing.settings };
  for (const option of SELECTIONS) {
    settings[option] = union(existing.settings[option] as JsonValue[], fresh.settings[option] as JsonValue[]);
  }
  return validateResults({ ...existing, settings, splits: { ...existing.splits, ...fresh.splits } }, file);
}

export { writeFileAtomic };

/** Validates and writes a results file atomically (2-space JSON, trailing newline). */
export async function writeResults(file: string, results: ResultsFile): Promise<void> {
  validateResults(results, file);
  await writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
}
