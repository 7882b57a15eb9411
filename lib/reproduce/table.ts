/**
 * The tables of a results file: mean ± population std over seeds, one row per dataset ×
 * scenario × method, first the paper's columns, then the gaps to retrain and the field's other
 * metrics; the claims checks; and the text around them (environment, reduced rows, unavailable
 * metrics, definitions). Each is built once as data here and rendered as Markdown (results.md,
 * renderTables) or HTML (page.ts). Every column names its metric key and unit, and every output
 * lists the definitions.
 */
import { outOfRange } from '../is';
import { MetricKey, metricInfo, ReportedMetricKey } from '../metrics/catalogue';
import { DATASET_LABELS, DatasetName, datasetLabel, methodLabel, ResultsFile, SCENARIO_LABELS } from './schema';
import { criteriaChecks, RANDOM_GAP_POINTS, randomGapSpreads } from './checks';
import { groupRuns, MetricSummary, RunGroup, summarizeMetric } from './stats';

/** The paper's table: accuracies, remaining/forgotten-class test accuracy, its MIA, time. */
export const PAPER_COLUMNS: readonly MetricKey[] = [
  'acc.retain', 'acc.forget', 'acc.test', 'acc.testRemaining', 'acc.testForgotten', 'mia.camu', 'time.seconds',
];

/** The field's other metrics, then the gaps to the retrained model. */
export const EXTRA_COLUMNS: readonly ReportedMetricKey[] = [
  'mia.loss', 'mia.entropy', 'mia.efficacy', 'distance.activation', 'distance.js', 'zrf', 'zrf.legacyBadTeacher', 'relearn.steps', 'time.rte',
  'audit.rmia.auc', 'audit.rmia.tpr', 'audit.ulira.auc', 'audit.ulira.tpr',
  'gap.acc.retain', 'gap.acc.forget', 'gap.acc.test', 'gap.acc.testRemaining', 'gap.acc.testForgotten',
  'gap.mia.camu', 'gap.mia.loss', 'gap.mia.entropy', 'gap.mia.efficacy',
];

function info(key: ReportedMetricKey) {
  const found = metricInfo(key);
  if (!found) throw outOfRange(`unknown metric '${key}'`);
  return found;
}

/**
 * `value` with the metric's decimals (accuracies 2, attacks 3, ...), never "-0.00"; with `signed`,
 * positive values get a '+' (for gaps).
 */
export function formatValue(key: ReportedMetricKey, value: number, signed = false): string {
  const text = value.toFixed(info(key).decimals);
  if (/^-0(\.0*)?$/.test(text)) return text.slice(1);
  if (signed && !text.startsWith('-') && !/^0(\.0*)?$/.test(text)) return `+${text}`;
  return text;
}

/**
 * A table cell: "mean ± std"; just the value for one seed; "(n=k)" appended when fewer seeds
 * than the row's report the metric; "n/a" when it is unavailable for every seed; "—" when no
 * seed measured it.
 */
export function formatCell(key: ReportedMetricKey, metric: MetricSummary, seeds: number): string {
  const { summary } = metric;
  if (!summary) return metric.unavailable > 0 ? 'n/a' : '—';
  const signed = key.startsWith('gap.');
  let text = formatValue(key, summary.mean, signed);
  if (summary.n > 1) text += ` ± ${formatValue(key, summary.std)}`;
  if (summary.n < seeds) text += ` (n=${summary.n})`;
  return text;
}

function header(key: ReportedMetricKey): string {
  const { label, unit } = info(key);
  const shownUnit = ['%', 'pp', 's'].includes(unit) ? ` (${unit})` : '';
  return `${label}${shownUnit}`;
}

/**
 * A table's content, which results.md (Markdown) and index.html (page.ts) both render, so each
 * number is computed and formatted once.
 */
export interface Table {
  columns: TableColumn[];
  rows: TableRow[];
}

export interface TableColumn {
  label: string;
  /** The metric the column shows, if it is one (its definition is the header's tooltip on the page). */
  key?: ReportedMetricKey;
  /** Numbers are right-aligned and sort numerically. */
  numeric: boolean;
}

export interface TableRow {
  cells: TableCell[];
  /** Why the row ran on less data than the paper (reducedReason), when it did. */
  reduced?: string;
}

export interface TableCell {
  text: string;
  /** The number the cell shows (a mean), for sorting; null when it shows none. */
  value: number | null;
  /** A signed value's sign as shown (gaps); 'fail' marks a claim not met. */
  mark?: 'positive' | 'negative' | 'fail';
}

function textCell(text: string, mark?: TableCell['mark']): TableCell {
  return mark ? { text, value: null, mark } : { text, value: null };
}

/** A signed cell's sign as its text shows it, so "0.00" is never coloured. */
function signMark(text: string): TableCell['mark'] {
  if (text.startsWith('+')) return 'positive';
  if (text.startsWith('-')) return 'negative';
  return undefined;
}

function metricCell(key: ReportedMetricKey, metric: MetricSummary, seeds: number): TableCell {
  const text = formatCell(key, metric, seeds);
  const mark = key.startsWith('gap.') ? signMark(text) : undefined;
  const cell: TableCell = { text, value: metric.summary?.mean ?? null };
  return mark ? { ...cell, mark } : cell;
}

const ROW_COLUMNS: readonly TableColumn[] = [
  { label: 'Dataset', numeric: false },
  { label: 'Scenario', numeric: false },
  { label: 'Method', numeric: false },
  { label: 'Seeds', numeric: true },
];

function metricTable(results: ResultsFile, groups: readonly RunGroup[], columns: readonly ReportedMetricKey[]): Table {
  return {
    columns: [...ROW_COLUMNS, ...columns.map((key) => ({ label: header(key), key, numeric: true }))],
    rows: groups.map((group) => {
      const seeds = group.runs.length;
      const row: TableRow = {
        cells: [
          textCell(datasetLabel(group.dataset, group.reduced)),
          textCell(SCENARIO_LABELS[group.scenario]),
          textCell(methodLabel(group.method)),
          { text: String(seeds), value: seeds },
          ...columns.map((key) => metricCell(key, summarizeMetric(group.runs, key), seeds)),
        ],
      };
      if (group.reduced) row.reduced = reducedReason(results, group.dataset);
      return row;
    }),
  };
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

/** A table as Markdown; a claim not met is in bold. */
export function markdownTable(table: Table): string {
  const lines = [
    row(table.columns.map((column) => column.label)),
    row(table.columns.map((column) => (column.numeric ? '---:' : '---'))),
  ];
  for (const { cells } of table.rows) lines.push(row(cells.map((cell) => (cell.mark === 'fail' ? `**${cell.text}**` : cell.text))));
  return lines.join('\n');
}

function measured(groups: readonly RunGroup[], key: ReportedMetricKey): boolean {
  return groups.some((group) => group.runs.some((run) => key in run.metrics));
}

/** The columns of the extra table: the EXTRA_COLUMNS some run measured. */
export function extraColumns(results: ResultsFile): ReportedMetricKey[] {
  const groups = groupRuns(results);
  return EXTRA_COLUMNS.filter((key) => measured(groups, key));
}

/** The paper's table as data: all its columns, "—" where a metric does not apply (e.g. T_f for random removal). */
export function paperTableData(results: ResultsFile): Table {
  return metricTable(results, groupRuns(results), PAPER_COLUMNS);
}

/** The gap-to-retrain and field-metrics table as data; null when no run measured any of its columns. */
export function extraTableData(results: ResultsFile): Table | null {
  const columns = extraColumns(results);
  return columns.length === 0 ? null : metricTable(results, groupRuns(results), columns);
}

/** The paper's table as Markdown. */
export function paperTable(results: ResultsFile): string {
  return markdownTable(paperTableData(results));
}

/** The gap-to-retrain and field-metrics table as Markdown; empty string when it has no column. */
export function extraTable(results: ResultsFile): string {
  const table = extraTableData(results);
  return table === null ? '' : markdownTable(table);
}

/** Why a metric is unavailable for a method: one entry per distinct reason. */
export interface UnavailableNote {
  key: ReportedMetricKey;
  label: string;
  method: string;
  reason: string;
}

export function unavailableNotes(results: ResultsFile): UnavailableNote[] {
  const columns = [...PAPER_COLUMNS, ...extraColumns(results)];
  const notes = new Map<string, UnavailableNote>();
  for (const group of groupRuns(results)) {
    for (const key of columns) {
      for (const reason of summarizeMetric(group.runs, key).reasons) {
        const note = { key, label: info(key).label, method: methodLabel(group.method), reason };
        notes.set(JSON.stringify(note), note);
      }
    }
  }
  return [...notes.values()];
}

/** The claims checks (criteriaChecks) as a table; null when nothing is checked. */
export function checksTableData(results: ResultsFile): Table | null {
  const checks = criteriaChecks(results);
  if (checks.length === 0) return null;
  const columns: TableColumn[] = ['Dataset', 'Scenario', 'Method', 'Criterion'].map((label) => ({ label, numeric: false }));
  columns.push({ label: 'Measured', numeric: true }, { label: 'Met', numeric: false });
  return {
    columns,
    rows: checks.map((check) => {
      const signed = check.key.startsWith('gap.');
      const measuredCell: TableCell = check.value === null
        ? textCell('not measured')
        : { text: formatValue(check.key, check.value, signed), value: check.value };
      const mark = signed ? signMark(measuredCell.text) : undefined;
      if (mark) measuredCell.mark = mark;
      return {
        cells: [
          textCell(check.dataset),
          textCell(check.scenario),
          textCell(check.method),
          textCell(check.criterion),
          measuredCell,
          check.met ? textCell('yes') : textCell('no', 'fail'),
        ],
      };
    }),
  };
}

/** The sentence before the rows that cannot meet their D_r and D_f checks together. */
export const UNATTAINABLE_INTRO =
  "Rows that cannot meet their D_r and D_f checks together: a row's D_r gap minus its D_f gap is its " +
  "acc(D_r) − acc(D_f) minus the retrained model's, so both gaps are within " +
  `${RANDOM_GAP_POINTS} points only when those two differ by at most ${2 * RANDOM_GAP_POINTS}.`;

/** One sentence per random-removal row that cannot meet its D_r and D_f checks together. */
export function unattainableNotes(results: ResultsFile): string[] {
  return randomGapSpreads(results)
    .filter((spread) => !spread.attainable)
    .map((spread) => {
      const apart = Math.abs(spread.methodSpread - spread.retrainSpread);
      return `${spread.dataset}, ${spread.scenario}, ${spread.method}: acc(D_r) − acc(D_f) ${spread.methodSpread.toFixed(2)} points, ` +
        `the retrained model's ${spread.retrainSpread.toFixed(2)} (${apart.toFixed(2)} apart).`;
    });
}

/** What the claims checks are computed on. */
export const CHECKS_INTRO = 'On the means over the seeds of each row.';

/** The paper's claims checked on this file's rows, as Markdown lines; none when nothing is checked. */
function checksSection(results: ResultsFile): string[] {
  const table = checksTableData(results);
  if (table === null) return [];
  const lines = ["## The paper's claims, checked", '', CHECKS_INTRO, '', markdownTable(table)];
  const unattainable = unattainableNotes(results);
  if (unattainable.length > 0) lines.push('', UNATTAINABLE_INTRO, '', ...unattainable.map((note) => `- ${note}`));
  return lines;
}

/** A number-valued setting of the results file, if it holds one. */
function numberSetting(results: ResultsFile, option: string): number | null {
  const value = results.settings[option];
  return typeof value === 'number' ? value : null;
}

/**
 * Why `dataset`'s runs are marked reduced, from the settings the results file records: on CPU,
 * CIFAR always runs camu's reduced setting (the first cifarReducedTrainSize training images at
 * 32 px, resnet18-cifar); any dataset is reduced by --train-subset / --test-subset.
 */
export function reducedReason(results: ResultsFile, dataset: DatasetName): string {
  const trainSubset = numberSetting(results, 'trainSubset');
  const testSubset = numberSetting(results, 'testSubset');
  const parts: string[] = [];
  if (dataset.startsWith('cifar') && results.device === 'cpu') {
    const size = numberSetting(results, 'cifarReducedTrainSize');
    const train = size === null ? trainSubset : Math.min(trainSubset ?? size, size);
    const images = train === null ? 'a subset of the training images' : `the first ${train} training images`;
    const flag = trainSubset !== null && (size === null || trainSubset < size) ? ` (--train-subset ${trainSubset})` : '';
    parts.push(`camu's reduced CPU setting for CIFAR: ${images}${flag} at 32 px, resnet18-cifar`);
  } else if (trainSubset !== null) {
    parts.push(`the first ${trainSubset} training samples (--train-subset ${trainSubset})`);
  }
  if (testSubset !== null) parts.push(`the first ${testSubset} test samples (--test-subset ${testSubset})`);
  if (parts.length === 0) return 'a subset of the data (the results file does not say which)';
  return parts.join('; ');
}

/** Each dataset with reduced runs and why they are reduced, in the tables' order. */
export function reducedReasons(results: ResultsFile): { dataset: string; reason: string }[] {
  const datasets = [...new Set(groupRuns(results).filter((group) => group.reduced).map((group) => group.dataset))];
  return datasets.map((dataset) => ({ dataset: DATASET_LABELS[dataset], reason: reducedReason(results, dataset) }));
}

/** The sentence before the reduced rows' reasons. */
export const REDUCED_INTRO =
  "Rows marked (reduced) ran on less data than the paper's, so they are not comparable with its numbers:";

/** The definition of a metric, for the list under the tables. */
export function metricDefinition(key: ReportedMetricKey): { key: ReportedMetricKey; label: string; unit: string; description: string } {
  const { label, unit, description } = info(key);
  return { key, label, unit, description };
}

/** ' per job, N jobs at once' when units ran concurrently (their times then share the machine). */
function jobsText(results: ResultsFile): string {
  const jobs = results.settings.jobs;
  return typeof jobs === 'number' && jobs > 1 ? ` per job, ${jobs} jobs at once` : '';
}

/** The environment in one sentence: versions, device, threads, jobs, commit, start time. */
export function environmentText(results: ResultsFile): string {
  const commit = results.gitCommit === null ? 'unknown' : results.gitCommit;
  return `camu ${results.camuVersion}, libtorch ${results.libtorchVersion}, device ${results.device}, ` +
    `${results.threads} thread${results.threads === 1 ? '' : 's'}${jobsText(results)}, git commit ${commit}, started ${results.createdAt}.`;
}

/** How to read a cell; with one seed a row, its value alone (there is no spread to show). */
export function cellLegend(results: ResultsFile): string {
  const groups = groupRuns(results);
  const missing = 'n/a = unavailable (reasons below); — = not measured.';
  if (groups.length > 0 && groups.every((group) => group.runs.length === 1)) return `Each cell is the value of the row's one seed; ${missing}`;
  return 'Each cell is the mean ± population standard deviation over the seeds of the row; ' +
    `(n=k) marks a metric that fewer seeds report; ${missing}`;
}

/** The metrics the tables show, in column order: the definitions list under them. */
export function shownMetrics(results: ResultsFile): ReportedMetricKey[] {
  return [...PAPER_COLUMNS, ...extraColumns(results)];
}

/**
 * The report: environment, the paper's table, the gap/extra table, why metrics are
 * unavailable, and the definition of every metric shown.
 */
export function renderTables(results: ResultsFile): string {
  const lines = ['# camu reproduce: results', '', environmentText(results), '', cellLegend(results)];
  const reduced = reducedReasons(results);
  if (reduced.length > 0) lines.push('', REDUCED_INTRO, '', ...reduced.map(({ dataset, reason }) => `- ${dataset}: ${reason}.`));
  lines.push('', "## The paper's metrics", '', results.runs.length === 0 ? 'No runs yet.' : paperTable(results));
  const extra = extraTable(results);
  if (extra !== '') lines.push('', "## Gaps to the retrained model and the field's metrics", '', extra);
  const checks = checksSection(results);
  if (checks.length > 0) lines.push('', ...checks);
  const notes = unavailableNotes(results).map(({ key, label, method, reason }) => `- ${label} (\`${key}\`) for ${method}: ${reason}`);
  if (notes.length > 0) lines.push('', '## Unavailable metrics', '', ...notes);
  const definitions = shownMetrics(results).map(metricDefinition).map(({ key, label, unit, description }) =>
    `- **${label}** (\`${key}\`, ${unit}): ${description}`);
  lines.push('', '## Definitions', '', ...definitions, '');
  return lines.join('\n');
}
