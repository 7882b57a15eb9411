/**
 * Markdown tables of a results file: mean ± population std over seeds, one row per dataset ×
 * scenario × method, first the paper's columns, then the gaps to retrain and the field's other
 * metrics. Every column names its metric key and unit, and every output lists the definitions.
 */
import { outOfRange } from '../is';
import { MetricKey, metricInfo, ReportedMetricKey } from '../metrics/catalogue';
import { datasetLabel, methodLabel, ResultsFile, SCENARIO_LABELS } from './schema';
import { criteriaChecks, RANDOM_GAP_POINTS, randomGapSpreads } from './checks';
import { groupRuns, MetricSummary, RunGroup, summarizeMetric } from './stats';

/** The paper's table: accuracies, remaining/forgotten-class test accuracy, its MIA, time. */
export const PAPER_COLUMNS: readonly MetricKey[] = [
  'acc.retain', 'acc.forget', 'acc.test', 'acc.testRemaining', 'acc.testForgotten', 'mia.camu', 'time.seconds',
];

/** The field's other metrics, then the gaps to the retrained model. */
export const EXTRA_COLUMNS: readonly ReportedMetricKey[] = [
  'mia.loss', 'mia.entropy', 'mia.efficacy', 'distance.activation', 'distance.js', 'zrf', 'zrf.legacyBadTeacher', 'relearn.steps', 'time.rte',
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

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function markdownTable(groups: readonly RunGroup[], columns: readonly ReportedMetricKey[]): string {
  const lines = [
    row(['Dataset', 'Scenario', 'Method', 'Seeds', ...columns.map(header)]),
    row(['---', '---', '---', '---:', ...columns.map(() => '---:')]),
  ];
  for (const group of groups) {
    const seeds = group.runs.length;
    lines.push(
      row([
        datasetLabel(group.dataset, group.reduced),
        SCENARIO_LABELS[group.scenario],
        methodLabel(group.method),
        String(seeds),
        ...columns.map((key) => formatCell(key, summarizeMetric(group.runs, key), seeds)),
      ]),
    );
  }
  return lines.join('\n');
}

function measured(groups: readonly RunGroup[], key: ReportedMetricKey): boolean {
  return groups.some((group) => group.runs.some((run) => key in run.metrics));
}

/** The paper's table (all its columns, "—" where a metric does not apply, e.g. T_f for random removal). */
export function paperTable(results: ResultsFile): string {
  return markdownTable(groupRuns(results), PAPER_COLUMNS);
}

/** The gap-to-retrain and the field's metrics; columns no run measured are left out. Empty string when none is. */
export function extraTable(results: ResultsFile): string {
  const groups = groupRuns(results);
  const columns = EXTRA_COLUMNS.filter((key) => measured(groups, key));
  return columns.length === 0 ? '' : markdownTable(groups, columns);
}

function unavailableNotes(results: ResultsFile, columns: readonly ReportedMetricKey[]): string[] {
  const notes = new Set<string>();
  for (const group of groupRuns(results)) {
    for (const key of columns) {
      for (const reason of summarizeMetric(group.runs, key).reasons) {
        notes.add(`- ${info(key).label} (\`${key}\`) for ${methodLabel(group.method)}: ${reason}`);
      }
    }
  }
  return [...notes];
}

/** The paper's claims checked on this file's rows (criteriaChecks), as a table; none when nothing is checked. */
function checksSection(results: ResultsFile): string[] {
  const checks = criteriaChecks(results);
  if (checks.length === 0) return [];
  const lines = [
    "## The paper's claims, checked",
    '',
    'On the means over the seeds of each row.',
    '',
    row(['Dataset', 'Scenario', 'Method', 'Criterion', 'Measured', 'Met']),
    row(['---', '---', '---', '---', '---:', '---']),
  ];
  for (const check of checks) {
    const value = check.value === null ? 'not measured' : formatValue(check.key, check.value, check.key.startsWith('gap.'));
    lines.push(row([check.dataset, check.scenario, check.method, check.criterion, value, check.met ? 'yes' : '**no**']));
  }
  const unattainable = randomGapSpreads(results).filter((spread) => !spread.attainable);
  if (unattainable.length > 0) {
    lines.push(
      '',
      "Rows that cannot meet their D_r and D_f checks together: a row's D_r gap minus its D_f gap is its " +
        "acc(D_r) − acc(D_f) minus the retrained model's, so both gaps are within " +
        `${RANDOM_GAP_POINTS} points only when those two differ by at most ${2 * RANDOM_GAP_POINTS}.`,
      '',
    );
    for (const spread of unattainable) {
      const apart = Math.abs(spread.methodSpread - spread.retrainSpread);
      lines.push(
        `- ${spread.dataset}, ${spread.scenario}, ${spread.method}: acc(D_r) − acc(D_f) ${spread.methodSpread.toFixed(2)} points, ` +
          `the retrained model's ${spread.retrainSpread.toFixed(2)} (${apart.toFixed(2)} apart).`,
      );
    }
  }
  return lines;
}

function definitions(columns: readonly ReportedMetricKey[]): string[] {
  return columns.map((key) => {
    const { label, unit, description } = info(key);
    return `- **${label}** (\`${key}\`, ${unit}): ${description}`;
  });
}

/** ' per job, N jobs at once' when units ran concurrently (their times then share the machine). */
function jobsText(results: ResultsFile): string {
  const jobs = results.settings.jobs;
  return typeof jobs === 'number' && jobs > 1 ? ` per job, ${jobs} jobs at once` : '';
}

/**
 * The report: environment, the paper's table, the gap/extra table, why metrics are
 * unavailable, and the definition of every metric shown.
 */
export function renderTables(results: ResultsFile): string {
  const groups = groupRuns(results);
  const extraColumns = EXTRA_COLUMNS.filter((key) => measured(groups, key));
  const commit = results.gitCommit === null ? 'unknown' : results.gitCommit;
  const lines = [
    '# camu reproduce: results',
    '',
    `camu ${results.camuVersion}, libtorch ${results.libtorchVersion}, device ${results.device}, ` +
      `${results.threads} thread${results.threads === 1 ? '' : 's'}${jobsText(results)}, git commit ${commit}, started ${results.createdAt}.`,
    '',
    'Each cell is the mean ± population standard deviation over the seeds of the row; ' +
      '(n=k) marks a metric that fewer seeds report; n/a = unavailable (reasons below); — = not measured.',
  ];
  if (results.runs.some((run) => run.reduced)) {
    lines.push(
      '',
      "Rows marked (reduced) use camu's reduced CPU setting for CIFAR (a training subset at 32 px, " +
        'see the settings in the results file), not the paper\'s; they are not comparable with its numbers.',
    );
  }
  lines.push('', "## The paper's metrics", '', groups.length === 0 ? 'No runs yet.' : paperTable(results));
  if (extraColumns.length > 0) {
    lines.push('', "## Gaps to the retrained model and the field's metrics", '', extraTable(results));
  }
  const checks = checksSection(results);
  if (checks.length > 0) lines.push('', ...checks);
  const notes = unavailableNotes(results, [...PAPER_COLUMNS, ...extraColumns]);
  if (notes.length > 0) lines.push('', '## Unavailable metrics', '', ...notes);
  lines.push('', '## Definitions', '', ...definitions([...PAPER_COLUMNS, ...extraColumns]), '');
  return lines.join('\n');
}
