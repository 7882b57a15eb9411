/**
 * Standalone SVG plots without dependencies: a grouped bar chart per metric (bars = methods,
 * groups = dataset × scenario, whiskers = population std over seeds) and the relearning curve
 * (acc(D_r) − acc(D_f) against fine-tuning steps on D_r, mean over seeds with a std band).
 * Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
 * deficiencies); line series also differ by marker shape. The document, text and marker
 * helpers are exported for the privacy audit's ROC plot (lib/audit/plot.ts).
 */
import { CamuError, ErrorCode } from '../errors';
import { checkNumber, outOfRange } from '../is';
import { GAP_METRICS, gapKey, METRIC_KEYS, metricInfo, ReportedMetricKey } from '../metrics/catalogue';
import { datasetLabel, methodLabel, ResultsFile, SCENARIO_LABELS } from './schema';
import { groupRuns, methodOrder, Setting, settingKey, settingsOf, summarize, summarizeMetric, Summary } from './stats';

/** Okabe & Ito (2008), "Color Universal Design"; yellow last since it is faint on white. */
export const PALETTE: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];

const FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";
export const TEXT_COLOUR = '#222222';
export const GRID_COLOUR = '#dddddd';
export const AXIS_COLOUR = '#444444';

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** A coordinate; a non-finite one is a bug here, so it throws instead of writing "NaN". */
export function px(value: number): string {
  if (!Number.isFinite(value)) throw new CamuError(`plot coordinate is ${value}`, ErrorCode.Internal);
  const text = value.toFixed(2).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

/** Rough width of a label at `size` px in a sans font, for layout (legend wrapping, margins). */
export function textWidth(text: string, size: number): number {
  return text.length * size * 0.62;
}

export function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attributes ? ` ${attributes}` : ''}>${escapeXml(content)}</text>`;
}

export interface Scale {
  min: number;
  max: number;
  ticks: number[];
  /** Decimals that show every tick distinctly. */
  decimals: number;
}

/**
 * A range covering [low, high] with round ends and about `count` ticks at 1, 2 or 5 × 10^k.
 * An empty range (low = high) is widened around the value so a scale always has extent.
 */
export function niceScale(low: number, high: number, count = 5): Scale {
  checkNumber(low, 'niceScale: low');
  checkNumber(high, 'niceScale: high');
  if (low > high) throw outOfRange(`niceScale: bad range [${low}, ${high}]: low > high`);
  if (low === high && low === 0) {
    high = 1;
  } else if (low === high) {
    const pad = Math.abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  const rough = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) as number;
  const first = Math.floor(low / step + 1e-9);
  const last = Math.ceil(high / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  for (let i = first; i <= last; i += 1) ticks.push(Number((i * step).toFixed(decimals)));
  return { min: ticks[0], max: ticks[ticks.length - 1], ticks, decimals };
}

function tickLabel(value: number, decimals: number): string {
  const label = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(label) ? label.slice(1) : label;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
}

export interface LegendItem {
  label: string;
  colour: string;
  marker?: Marker;
}

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond';
export const MARKERS: readonly Marker[] = ['circle', 'square', 'triangle', 'diamond'];

export function markerSvg(marker: Marker, x: number, y: number, colour: string): string {
  const r = 3.5;
  switch (marker) {
    case 'circle':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="${px(r)}" fill="${colour}"/>`;
    case 'square':
      return `<rect x="${px(x - r)}" y="${px(y - r)}" width="${px(2 * r)}" height="${px(2 * r)}" fill="${colour}"/>`;
    case 'triangle':
      return `<polygon points="${px(x)},${px(y - r - 0.5)} ${px(x + r + 0.5)},${px(y + r)} ${px(x - r - 0.5)},${px(y + r)}" fill="${colour}"/>`;
    case 'diamond':
      return `<polygon points="${px(x)},${px(y - r - 1)} ${px(x + r + 1)},${px(y)} ${px(x)},${px(y + r + 1)} ${px(x - r - 1)},${px(y)}" fill="${colour}"/>`;
  }
}

const LEGEND_ROW = 20;
const LEGEND_SIZE = 12;

/** Legend items laid out in rows of at most `width`; returns the rows (item, x offset). */
function legendRows(items: readonly LegendItem[], width: number): { item: LegendItem; x: number }[][] {
  const rows: { item: LegendItem; x: number }[][] = [];
  let row: { item: LegendItem; x: number }[] = [];
  let x = 0;
  for (const item of items) {
    const itemWidth = 22 + textWidth(item.label, LEGEND_SIZE) + 12;
    if (row.length > 0 && x + itemWidth > width) {
      rows.push(row);
      row = [];
      x = 0;
    }
    row.push({ item, x });
    x += itemWidth;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function legendSvg(rows: { item: LegendItem; x: number }[][], left: number, top: number): string {
  const parts: string[] = ['<g class="legend">'];
  rows.forEach((row, r) => {
    const y = top + r * LEGEND_ROW;
    for (const { item, x } of row) {
      if (item.marker) {
        parts.push(`<line x1="${px(left + x)}" y1="${px(y)}" x2="${px(left + x + 16)}" y2="${px(y)}" stroke="${item.colour}" stroke-width="2"/>`);
        parts.push(markerSvg(item.marker, left + x + 8, y, item.colour));
      } else {
        parts.push(`<rect x="${px(left + x)}" y="${px(y - 6)}" width="14" height="12" fill="${item.colour}" stroke="${AXIS_COLOUR}" stroke-width="0.5"/>`);
      }
      parts.push(text(left + x + 22, y + 4, item.label, `font-size="${LEGEND_SIZE}" fill="${TEXT_COLOUR}"`));
    }
  });
  parts.push('</g>');
  return parts.join('\n');
}

/** The SVG document, title, subtitle and legend; the caller fills the plot area. */
export function documentParts(
  title: string,
  subtitle: string,
  legend: readonly LegendItem[],
  plotWidth: number,
  plotHeight: number,
  left: number,
  bottom: number,
): { frame: Frame; head: string[] } {
  const right = 24;
  const width = Math.max(left + plotWidth + right, textWidth(title, 16) + 40, textWidth(subtitle, 12) + 40);
  const rows = legendRows(legend, width - left - right);
  const legendTop = 62;
  const top = legendTop + rows.length * LEGEND_ROW + 12;
  const frame: Frame = { width, height: top + plotHeight + bottom, left, top, plotWidth, plotHeight };
  const head = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(frame.width)}" height="${px(frame.height)}" viewBox="0 0 ${px(frame.width)} ${px(frame.height)}" ${FONT}>`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${px(frame.width)}" height="${px(frame.height)}" fill="#ffffff"/>`,
    text(16, 26, title, `font-size="16" font-weight="bold" fill="${TEXT_COLOUR}"`),
    text(16, 46, subtitle, `font-size="12" fill="#555555"`),
    legendSvg(rows, left, legendTop),
  ];
  return { frame, head };
}

function yAxisSvg(frame: Frame, scale: Scale, y: (v: number) => number, label: string): string {
  const parts = ['<g class="y-axis">'];
  for (const tick of scale.ticks) {
    const ty = y(tick);
    parts.push(`<line x1="${px(frame.left)}" y1="${px(ty)}" x2="${px(frame.left + frame.plotWidth)}" y2="${px(ty)}" stroke="${GRID_COLOUR}" stroke-width="1"/>`);
    parts.push(`<line x1="${px(frame.left - 5)}" y1="${px(ty)}" x2="${px(frame.left)}" y2="${px(ty)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
    parts.push(text(frame.left - 8, ty + 4, tickLabel(tick, scale.decimals), `font-size="12" text-anchor="end" fill="${TEXT_COLOUR}"`));
  }
  parts.push(`<line x1="${px(frame.left)}" y1="${px(frame.top)}" x2="${px(frame.left)}" y2="${px(frame.top + frame.plotHeight)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  const cy = frame.top + frame.plotHeight / 2;
  parts.push(text(18, cy, label, `font-size="13" text-anchor="middle" fill="${TEXT_COLOUR}" transform="rotate(-90 18 ${px(cy)})"`));
  parts.push('</g>');
  return parts.join('\n');
}

function emptyNote(frame: Frame): string {
  return text(frame.left + frame.plotWidth / 2, frame.top + frame.plotHeight / 2, 'no data', `font-size="14" text-anchor="middle" fill="#777777"`);
}

function tickLeftMargin(scale: Scale): number {
  const widest = Math.max(...scale.ticks.map((tick) => textWidth(tickLabel(tick, scale.decimals), 12)));
  return Math.max(64, 40 + widest);
}

// ---------------------------------------------------------------------------------------------
// Grouped bar chart

export interface BarChartData {
  title: string;
  subtitle: string;
  yLabel: string;
  /** The label of each group, one string per line. */
  groups: string[][];
  /** One series per bar position; values[g] is the bar in group g (null: unavailable there, undefined: not run). */
  series: { label: string; colour: string; values: (Summary | null | undefined)[] }[];
  /** Decimals of the values in tooltips. */
  decimals: number;
  /** The values' possible range (e.g. 0-100 for accuracies): whiskers are cut there. */
  bounds?: { min?: number; max?: number };
  /** A dashed horizontal line with its label (RTE's break-even at 1). */
  reference?: { value: number; label: string };
}

const BAR_WIDTH = 18;
const BAR_SPACING = 3;
const GROUP_PADDING = 28;
const BAR_PLOT_HEIGHT = 300;
/** Bars shorter than this (px) get their value written next to them. */
const SHORT_BAR = 8;

/** A grouped bar chart with error bars of ± std; bars start at 0 (so negative values go down). */
export function barChartSvg(data: BarChartData): string {
  const floor = data.bounds?.min ?? -Infinity;
  const ceiling = data.bounds?.max ?? Infinity;
  const whisker = (value: Summary): [number, number] => [
    Math.max(floor, value.mean - value.std),
    Math.min(ceiling, value.mean + value.std),
  ];
  const ends: number[] = [0];
  if (data.reference) ends.push(data.reference.value);
  for (const series of data.series) {
    for (const value of series.values) if (value) ends.push(...whisker(value));
  }
  const scale = niceScale(Math.min(...ends), Math.max(...ends));
  const bars = Math.max(1, data.series.length);
  const groupWidth = bars * BAR_WIDTH + (bars - 1) * BAR_SPACING + GROUP_PADDING;
  const widestGroupLabel = Math.max(0, ...data.groups.flat().map((line) => textWidth(line, 12) + 8));
  const slot = Math.max(groupWidth, widestGroupLabel);
  const plotWidth = Math.max(320, slot * Math.max(1, data.groups.length));
  const lines = Math.max(1, ...data.groups.map((group) => group.length));
  const legend = data.series.map(({ label, colour }) => ({ label, colour }));
  const { frame, head } = documentParts(data.title, data.subtitle, legend, plotWidth, BAR_PLOT_HEIGHT, tickLeftMargin(scale), 20 + 16 * lines);
  const y = (v: number) => frame.top + ((scale.max - v) / (scale.max - scale.min)) * frame.plotHeight;
  const parts = [...head, yAxisSvg(frame, scale, y, data.yLabel)];

  const slotWidth = plotWidth / Math.max(1, data.groups.length);
  const hasValue = data.series.some((series) => series.values.some((value) => value !== undefined));
  parts.push('<g class="bars">');
  data.groups.forEach((group, g) => {
    const centre = frame.left + slotWidth * (g + 0.5);
    const start = centre - (bars * BAR_WIDTH + (bars - 1) * BAR_SPACING) / 2;
    data.series.forEach((series, s) => {
      const value = series.values[g];
      const x = start + s * (BAR_WIDTH + BAR_SPACING);
      if (value === null) {
        parts.push(text(x + BAR_WIDTH / 2, y(0) - 4, 'n/a', `font-size="10" text-anchor="middle" fill="#555555" class="unavailable"`));
        return;
      }
      if (!value) return;
      const top = Math.min(y(value.mean), y(0));
      const height = Math.abs(y(value.mean) - y(0));
      const spread = value.n > 1 ? ` ± ${value.std.toFixed(data.decimals)}` : '';
      const tip = `${series.label}, ${group.join(' ')}: ${value.mean.toFixed(data.decimals)}${spread} (n=${value.n})`;
      parts.push(
        `<rect class="bar" x="${px(x)}" y="${px(top)}" width="${BAR_WIDTH}" height="${px(height)}" fill="${series.colour}" stroke="${AXIS_COLOUR}" stroke-width="0.5"><title>${escapeXml(tip)}</title></rect>`,
      );
      const cx = x + BAR_WIDTH / 2;
      const [low, high] = whisker(value).map(y);
      if (height < SHORT_BAR) {
        // A bar this short is hard to see or invisible; its value, written upwards past the whisker, says it is there (e.g. acc(D_f) = 0).
        const up = value.mean >= 0;
        const ty = up ? high - 4 : low + 4;
        parts.push(
          text(cx + 3.5, ty, value.mean.toFixed(data.decimals), `font-size="10" text-anchor="${up ? 'start' : 'end'}" fill="#555555" transform="rotate(-90 ${px(cx + 3.5)} ${px(ty)})"`),
        );
      }
      // One seed has no spread to show.
      if (value.n > 1) parts.push(
        `<g class="error-bar" stroke="${TEXT_COLOUR}" stroke-width="1.2">` +
          `<line x1="${px(cx)}" y1="${px(low)}" x2="${px(cx)}" y2="${px(high)}"/>` +
          `<line x1="${px(cx - 4)}" y1="${px(low)}" x2="${px(cx + 4)}" y2="${px(low)}"/>` +
          `<line x1="${px(cx - 4)}" y1="${px(high)}" x2="${px(cx + 4)}" y2="${px(high)}"/></g>`,
      );
    });
    group.forEach((line, i) => {
      parts.push(text(centre, frame.top + frame.plotHeight + 18 + i * 16, line, `font-size="12" text-anchor="middle" fill="${TEXT_COLOUR}"`));
    });
  });
  parts.push('</g>');
  // The zero line over the bars: the baseline they grow from.
  parts.push(`<line class="baseline" x1="${px(frame.left)}" y1="${px(y(0))}" x2="${px(frame.left + plotWidth)}" y2="${px(y(0))}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  if (data.reference) {
    const ry = y(data.reference.value);
    parts.push(
      `<line class="reference" x1="${px(frame.left)}" y1="${px(ry)}" x2="${px(frame.left + plotWidth)}" y2="${px(ry)}" stroke="${AXIS_COLOUR}" stroke-width="1" stroke-dasharray="5 4"/>`,
      text(frame.left + plotWidth - 4, ry - 4, data.reference.label, `font-size="11" text-anchor="end" fill="#555555"`),
    );
  }
  if (!hasValue) parts.push(emptyNote(frame));
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** What a plot's values are: means with their spread, or single runs when every setting has one seed. */
function spreadNote(results: ResultsFile): string {
  return groupRuns(results).some((group) => group.runs.length > 1) ? 'mean ± population std over seeds' : 'one seed';
}

function methodColours(results: ResultsFile): Map<string, string> {
  return new Map(methodOrder(results).map((method, i) => [method, PALETTE[i % PALETTE.length]]));
}

function settingLines(setting: Setting): string[] {
  return [datasetLabel(setting.dataset, setting.reduced), SCENARIO_LABELS[setting.scenario]];
}

/** The bar chart of one metric (a METRICS key or gap.<key>): bars by method, groups by dataset × scenario. */
export function metricBarChart(results: ResultsFile, key: ReportedMetricKey): string {
  const info = metricInfo(key);
  if (!info) throw outOfRange(`metricBarChart: unknown metric '${key}'`);
  const settings = settingsOf(results).filter((setting) =>
    results.runs.some((run) => settingKey(run) === settingKey(setting) && key in run.metrics),
  );
  const colours = methodColours(results);
  const groups = groupRuns(results);
  const methods = methodOrder(results).filter((method) =>
    results.runs.some((run) => run.method === method && key in run.metrics),
  );
  const series = methods.map((method) => ({
    label: methodLabel(method),
    colour: colours.get(method) as string,
    values: settings.map((setting) => {
      const group = groups.find((g) => g.method === method && settingKey(g) === settingKey(setting));
      if (!group || !group.runs.some((run) => key in run.metrics)) return undefined;
      return summarizeMetric(group.runs, key).summary;
    }),
  }));
  return barChartSvg({
    title: `${info.label} (${key})`,
    subtitle: `${spreadNote(results)}; ${info.unit}`,
    yLabel: `${info.label} (${info.unit})`,
    groups: settings.map(settingLines),
    series,
    decimals: info.decimals,
    bounds: { min: info.min, max: info.max },
    // Above the line a method is faster than retraining.
    reference: key === 'time.rte' ? { value: 1, label: 'break-even with retraining' } : undefined,
  });
}

/** The gaps to the retrained model that a method's own chart shows: accuracies, one unit (pp). */
const METHOD_CHART_GAPS: readonly ReportedMetricKey[] = ['gap.acc.retain', 'gap.acc.forget', 'gap.acc.test', 'gap.acc.testRemaining'];

/**
 * One method's chart: its accuracy gaps to the retrained model (bars by gap, groups by dataset ×
 * scenario), how far from the oracle it lands wherever it ran. Null when it has none (retrain).
 */
export function methodGapChart(results: ResultsFile, method: string): string | null {
  const runs = results.runs.filter((run) => run.method === method);
  const keys = METHOD_CHART_GAPS.filter((key) => runs.some((run) => key in run.metrics));
  if (keys.length === 0) return null;
  const settings = settingsOf(results).filter((setting) => runs.some((run) => settingKey(run) === settingKey(setting)));
  const groups = groupRuns(results).filter((g) => g.method === method);
  const group = (setting: Setting) => groups.find((g) => settingKey(g) === settingKey(setting));
  return barChartSvg({
    title: `${methodLabel(method)}: gaps to the retrained model`,
    subtitle: `this method minus retrain on the same split and seed; ${spreadNote(results)}; pp`,
    yLabel: 'gap to retrain (pp)',
    groups: settings.map(settingLines),
    series: keys.map((key, i) => ({
      label: (metricInfo(key) as { label: string }).label,
      colour: PALETTE[i % PALETTE.length],
      values: settings.map((setting) => {
        const runsHere = group(setting)?.runs.filter((run) => key in run.metrics) ?? [];
        return runsHere.length === 0 ? undefined : summarizeMetric(runsHere, key).summary;
      }),
    })),
    decimals: 2,
  });
}

/** A method's name as a file name part ('neggrad+' -> 'neggrad-plus'). */
function fileNamePart(method: string): string {
  return method.replace(/\+/g, '-plus').replace(/[^A-Za-z0-9_-]/g, '_');
}

// ---------------------------------------------------------------------------------------------
// Line chart with std bands

export interface LinePoint {
  x: number;
  summary: Summary;
}

export interface LineChartData {
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  series: { label: string; colour: string; points: LinePoint[] }[];
}

const LINE_PLOT_WIDTH = 520;
const LINE_PLOT_HEIGHT = 300;

/** Lines of the means with a shaded band of ± std; y always includes 0. */
export function lineChartSvg(data: LineChartData): string {
  const points = data.series.flatMap((series) => series.points);
  const xs = points.map((point) => point.x);
  const ys = [0, ...points.flatMap(({ summary }) => [summary.mean - summary.std, summary.mean + summary.std])];
  const xScale = niceScale(xs.length > 0 ? Math.min(...xs) : 0, xs.length > 0 ? Math.max(...xs) : 1);
  const yScale = niceScale(Math.min(...ys), Math.max(...ys));
  const legend = data.series.map(({ label, colour }, i) => ({ label, colour, marker: MARKERS[i % MARKERS.length] }));
  const { frame, head } = documentParts(data.title, data.subtitle, legend, LINE_PLOT_WIDTH, LINE_PLOT_HEIGHT, tickLeftMargin(yScale), 52);
  const x = (v: number) => frame.left + ((v - xScale.min) / (xScale.max - xScale.min)) * frame.plotWidth;
  const y = (v: number) => frame.top + ((yScale.max - v) / (yScale.max - yScale.min)) * frame.plotHeight;
  const parts = [...head, yAxisSvg(frame, yScale, y, data.yLabel)];

  const axisY = frame.top + frame.plotHeight;
  parts.push('<g class="x-axis">');
  parts.push(`<line x1="${px(frame.left)}" y1="${px(axisY)}" x2="${px(frame.left + frame.plotWidth)}" y2="${px(axisY)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  for (const tick of xScale.ticks) {
    parts.push(`<line x1="${px(x(tick))}" y1="${px(axisY)}" x2="${px(x(tick))}" y2="${px(axisY + 5)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
    parts.push(text(x(tick), axisY + 19, tickLabel(tick, xScale.decimals), `font-size="12" text-anchor="middle" fill="${TEXT_COLOUR}"`));
  }
  parts.push(text(frame.left + frame.plotWidth / 2, axisY + 42, data.xLabel, `font-size="13" text-anchor="middle" fill="${TEXT_COLOUR}"`));
  parts.push('</g>');
  if (yScale.min < 0) {
    parts.push(`<line class="baseline" x1="${px(frame.left)}" y1="${px(y(0))}" x2="${px(frame.left + frame.plotWidth)}" y2="${px(y(0))}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  }

  data.series.forEach((series, s) => {
    const sorted = [...series.points].sort((a, b) => a.x - b.x);
    if (sorted.length === 0) return;
    parts.push(`<g class="series">`);
    const upper = sorted.map((p) => `${px(x(p.x))},${px(y(p.summary.mean + p.summary.std))}`);
    const lower = sorted.map((p) => `${px(x(p.x))},${px(y(p.summary.mean - p.summary.std))}`).reverse();
    if (sorted.some((p) => p.summary.n > 1)) {
      parts.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${series.colour}" fill-opacity="0.18" stroke="none"/>`);
    }
    parts.push(
      `<polyline class="line" points="${sorted.map((p) => `${px(x(p.x))},${px(y(p.summary.mean))}`).join(' ')}" fill="none" stroke="${series.colour}" stroke-width="2"/>`,
    );
    for (const p of sorted) parts.push(markerSvg(MARKERS[s % MARKERS.length], x(p.x), y(p.summary.mean), series.colour));
    parts.push('</g>');
  });
  if (points.length === 0) parts.push(emptyNote(frame));
  parts.push('</svg>', '');
  return parts.join('\n');
}

/**
 * Mean and std over seeds of each method's relearning curve in one setting. At each step that
 * any seed measured, the summary is over the seeds that measured it (all of them when the
 * seeds share a schedule of steps, as `camu reproduce` does).
 */
export function relearnCurveSeries(results: ResultsFile, setting: Setting): { method: string; points: LinePoint[] }[] {
  const key = settingKey(setting);
  return groupRuns(results)
    .filter((group) => settingKey(group) === key)
    .map((group) => {
      const byStep = new Map<number, number[]>();
      for (const run of group.runs) {
        run.relearnCurve?.steps.forEach((step, i) => {
          const values = byStep.get(step) ?? [];
          values.push((run.relearnCurve as { gap: number[] }).gap[i]);
          byStep.set(step, values);
        });
      }
      const points = [...byStep.entries()]
        .sort(([a], [b]) => a - b)
        .map(([step, values]) => ({ x: step, summary: summarize(values) as Summary }));
      return { method: group.method, points };
    })
    .filter((series) => series.points.length > 0);
}

/** The paper's relearning figure for one dataset × scenario. */
export function relearnCurveChart(results: ResultsFile, setting: Setting): string {
  const colours = methodColours(results);
  const series = relearnCurveSeries(results, setting).map(({ method, points }) => ({
    label: methodLabel(method),
    colour: colours.get(method) as string,
    points,
  }));
  return lineChartSvg({
    title: `Relearning: ${settingLines(setting).join(', ')}`,
    subtitle: `acc(D_r) − acc(D_f) while fine-tuning on D_r; ${spreadNote(results)}`,
    xLabel: 'fine-tuning steps on D_r',
    yLabel: 'acc(D_r) − acc(D_f) (pp)',
    series,
  });
}

export interface PlotFile {
  /** A file name: bars-<metric key>.svg, relearn-<dataset>-<scenario>[-reduced].svg or method-<method>.svg. */
  name: string;
  /** What the plot shows, by which the results page groups them: one metric, one setting's relearning, one method. */
  kind: 'metric' | 'relearn' | 'method';
  svg: string;
}

/**
 * Every plot the results support: a bar chart per measured metric, a relearning plot per setting
 * with curves, and each method's gaps to the retrained model.
 */
export function renderPlots(results: ResultsFile): PlotFile[] {
  const keys = [...METRIC_KEYS, ...GAP_METRICS.map(gapKey)].filter((key) =>
    results.runs.some((run) => key in run.metrics),
  );
  const plots: PlotFile[] = keys.map((key) => ({ name: `bars-${key}.svg`, kind: 'metric', svg: metricBarChart(results, key) }));
  for (const setting of settingsOf(results)) {
    if (relearnCurveSeries(results, setting).length === 0) continue;
    const name = `relearn-${setting.dataset}-${setting.scenario}${setting.reduced ? '-reduced' : ''}.svg`;
    plots.push({ name, kind: 'relearn', svg: relearnCurveChart(results, setting) });
  }
  for (const method of methodOrder(results)) {
    const svg = methodGapChart(results, method);
    if (svg !== null) plots.push({ name: `method-${fileNamePart(method)}.svg`, kind: 'method', svg });
  }
  return plots;
}
