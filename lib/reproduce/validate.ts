/**
 * Validation of results files: every read and every write checks the whole file, and one error
 * lists every problem with its JSON path.
 */
import { CamuError, ErrorCode } from '../errors';
import { metricInfo } from '../metrics/catalogue';
import {
  DATASET_NAMES,
  DatasetName,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  ResultsFile,
  RunIdentity,
  runKey,
  SCENARIO_KINDS,
  ScenarioKind,
} from './schema';

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

const isDatasetName = (value: unknown): value is DatasetName => (DATASET_NAMES as readonly unknown[]).includes(value);
const isScenarioKind = (value: unknown): value is ScenarioKind => (SCENARIO_KINDS as readonly unknown[]).includes(value);
const DATASET_CHOICES = `one of ${DATASET_NAMES.join(', ')}`;
const SCENARIO_CHOICES = `one of ${SCENARIO_KINDS.join(', ')}`;

function checkSettings(problems: Problems, value: unknown): void {
  if (!isObject(value)) {
    problems.add('settings', `expected an object, got ${describe(value)}`);
    return;
  }
  checkList(problems, 'settings.datasets', value.datasets, isDatasetName, DATASET_CHOICES);
  checkList(problems, 'settings.scenarios', value.scenarios, isScenarioKind, SCENARIO_CHOICES);
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
  if (!isDatasetName(value.dataset)) problems.add(`${where}.dataset`, `expected ${DATASET_CHOICES}, got ${describe(value.dataset)}`);
  if (!isScenarioKind(value.scenario)) problems.add(`${where}.scenario`, `expected ${SCENARIO_CHOICES}, got ${describe(value.scenario)}`);
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
