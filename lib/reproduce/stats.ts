/** Means and population standard deviations over seeds, and the grouping tables and plots share. */
import { checkNumber, outOfRange } from '../is';
import type { ReportedMetricKey } from '../metrics/catalogue';
import { DATASET_NAMES, DatasetName, ResultsFile, RunRecord, SCENARIO_KINDS, ScenarioKind } from './schema';

function checkValues(values: readonly number[], fn: string): void {
  if (values.length === 0) throw outOfRange(`${fn}: needs at least one value`);
  values.forEach((value, i) => checkNumber(value, `${fn}: values[${i}]`));
}

export function mean(values: readonly number[]): number {
  checkValues(values, 'mean');
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** sqrt(Σ(x − mean)² / n): the spread of the seeds run, as the paper reports it (not n − 1). */
export function populationStd(values: readonly number[]): number {
  checkValues(values, 'populationStd');
  const centre = mean(values);
  let sum = 0;
  for (const value of values) sum += (value - centre) ** 2;
  return Math.sqrt(sum / values.length);
}

export interface Summary {
  mean: number;
  std: number;
  /** How many values (seeds) the summary is over. */
  n: number;
}

/** Mean, population std and count; null for no values. */
export function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  return { mean: mean(values), std: populationStd(values), n: values.length };
}

/** The runs of one method in one setting: a row of the tables, a bar of the plots. */
export interface RunGroup {
  dataset: DatasetName;
  scenario: ScenarioKind;
  reduced: boolean;
  method: string;
  runs: RunRecord[];
}

/** One metric over a group's seeds. */
export interface MetricSummary {
  /** Over the seeds where the metric has a number; null when none has. */
  summary: Summary | null;
  /** Seeds that report the metric as unavailable. */
  unavailable: number;
  /** The distinct reasons given for those seeds. */
  reasons: string[];
}

export function summarizeMetric(runs: readonly RunRecord[], key: ReportedMetricKey): MetricSummary {
  const values: number[] = [];
  const reasons = new Set<string>();
  let unavailable = 0;
  for (const run of runs) {
    const value = run.metrics[key];
    if (value === undefined) continue;
    if (value === null) {
      unavailable += 1;
      reasons.add(run.unavailable?.[key] ?? 'no reason given');
    } else {
      values.push(value);
    }
  }
  return { summary: summarize(values), unavailable, reasons: [...reasons] };
}

const FIRST_METHODS = ['original', 'retrain', 'camu'];

/**
 * The order methods are shown in: original, retrain, camu, then the other methods of the
 * settings in their order, then any other method of the runs alphabetically. Tables and plots
 * use it so a method keeps its row position and colour everywhere.
 */
export function methodOrder(results: ResultsFile): string[] {
  const present = new Set(results.runs.map((run) => run.method));
  const order = [...FIRST_METHODS, ...results.settings.methods, ...[...present].sort()];
  return order.filter((method, i) => (present.has(method) || results.settings.methods.includes(method)) && order.indexOf(method) === i);
}

/** A dataset × scenario × setting, the unit the plots group bars by. */
export interface Setting {
  dataset: DatasetName;
  scenario: ScenarioKind;
  reduced: boolean;
}

export function settingKey(setting: Setting): string {
  return `${setting.dataset}/${setting.scenario}${setting.reduced ? '/reduced' : ''}`;
}

function compareSettings(a: Setting, b: Setting): number {
  return (
    DATASET_NAMES.indexOf(a.dataset) - DATASET_NAMES.indexOf(b.dataset) ||
    Number(a.reduced) - Number(b.reduced) ||
    SCENARIO_KINDS.indexOf(a.scenario) - SCENARIO_KINDS.indexOf(b.scenario)
  );
}

/** The settings that have runs, in the paper's order (dataset, full before reduced, scenario). */
export function settingsOf(results: ResultsFile): Setting[] {
  const seen = new Map<string, Setting>();
  for (const { dataset, scenario, reduced } of results.runs) {
    const setting = { dataset, scenario, reduced };
    seen.set(settingKey(setting), setting);
  }
  return [...seen.values()].sort(compareSettings);
}

/** The runs grouped by setting and method, in table order; seeds in ascending order within a group. */
export function groupRuns(results: ResultsFile): RunGroup[] {
  const methods = methodOrder(results);
  const groups: RunGroup[] = [];
  for (const setting of settingsOf(results)) {
    const key = settingKey(setting);
    for (const method of methods) {
      const runs = results.runs
        .filter((run) => run.method === method && settingKey(run) === key)
        .sort((a, b) => a.seed - b.seed);
      if (runs.length > 0) groups.push({ ...setting, method, runs });
    }
  }
  return groups;
}
