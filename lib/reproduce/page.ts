/**
 * The results page (index.html): one self-contained HTML file (inline CSS, JS and SVG, nothing
 * fetched) with the tables of table.ts (sortable by a click on a column header, gaps coloured by
 * sign), the plots of plots.ts as small multiples, the paper's claims checked, and the run's
 * settings and environment. It renders the same data as results.md; only the markup is its own.
 */
import { JsonValue, ResultsFile } from './schema';
import { PlotFile, renderPlots } from './plots';
import {
  cellLegend,
  CHECKS_INTRO,
  checksTableData,
  environmentText,
  extraTableData,
  metricDefinition,
  paperTableData,
  REDUCED_INTRO,
  reducedReasons,
  shownMetrics,
  Table,
  TableCell,
  UNATTAINABLE_INTRO,
  unattainableNotes,
  unavailableNotes,
} from './table';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML, safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Escaped text with its `code` spans (metric keys in the criteria and notes) as <code>. */
function withCode(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const STYLE = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 1400px; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
nav a { margin-right: 1rem; }
code { font-size: 0.9em; background: #f3f3f3; padding: 0 0.2em; border-radius: 3px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.45rem; vertical-align: top; }
th { background: #f5f5f5; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; text-align: inherit; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
td.num, th.num { text-align: right; white-space: nowrap; }
td:nth-child(2), td:nth-child(3) { white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
td.positive { color: #0060a0; }
td.negative { color: #b34700; }
td.fail { color: #b00020; font-weight: bold; }
.why { display: block; font-size: 0.75rem; color: #666; max-width: 15rem; }
.legend { color: #555; font-size: 0.9rem; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #e3e3e3; padding: 0.4rem; cursor: zoom-in; }
figure.wide { grid-column: 1 / -1; cursor: zoom-out; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.75rem; color: #666; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.settings dt { font-weight: bold; }
dl.settings dd { margin: 0; }
`;

/**
 * Sorting: a header's button sorts the body rows by that column's data-sort values (numbers for
 * numeric columns, text otherwise), ascending then descending; cells without a number go last
 * either way, and ties keep their current order. A click on a plot widens it to the full row.
 */
const SCRIPT = `
(() => {
  for (const table of document.querySelectorAll('table.sortable')) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach((th, column) => {
      th.querySelector('button').addEventListener('click', () => {
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        for (const other of headers) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const numeric = th.classList.contains('num');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows, (row, index) => {
          const raw = row.cells[column].dataset.sort;
          return { row, index, key: numeric ? (raw === '' ? null : Number(raw)) : raw };
        });
        rows.sort((a, b) => {
          if (a.key === null || b.key === null) return (a.key === null) - (b.key === null) || a.index - b.index;
          const order = numeric ? a.key - b.key : a.key.localeCompare(b.key);
          return (ascending ? order : -order) || a.index - b.index;
        });
        for (const { row } of rows) body.appendChild(row);
      });
    });
  }
  for (const figure of document.querySelectorAll('figure')) {
    figure.addEventListener('click', () => figure.classList.toggle('wide'));
  }
})();
`;

function cellHtml(cell: TableCell, numeric: boolean, reduced?: string): string {
  const classes = [numeric ? 'num' : '', cell.mark ?? ''].filter(Boolean);
  const sort = numeric ? (cell.value === null ? '' : String(cell.value)) : cell.text;
  const why = reduced === undefined ? '' : `<span class="why">reduced: ${escapeHtml(reduced)}</span>`;
  const classAttribute = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
  return `<td${classAttribute} data-sort="${escapeHtml(sort)}">${withCode(cell.text)}${why}</td>`;
}

/** A table of table.ts as a sortable HTML table; a reduced row says why in its first cell. */
export function htmlTable(table: Table, id: string): string {
  const head = table.columns.map((column) => {
    const description = column.key === undefined ? '' : ` title="${escapeHtml(metricDefinition(column.key).description)}"`;
    return `<th scope="col"${column.numeric ? ' class="num"' : ''}${description}><button type="button">${escapeHtml(column.label)}</button></th>`;
  });
  const rows = table.rows.map(({ cells, reduced }) =>
    `<tr${reduced === undefined ? '' : ' class="reduced"'}>${cells.map((cell, i) => cellHtml(cell, table.columns[i].numeric, i === 0 ? reduced : undefined)).join('')}</tr>`,
  );
  return [
    `<div class="scroll"><table class="sortable" id="${escapeHtml(id)}">`,
    `<thead><tr>${head.join('')}</tr></thead>`,
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table></div>',
  ].join('\n');
}

function list(items: readonly string[]): string {
  return `<ul>\n${items.map((item) => `<li>${item}</li>`).join('\n')}\n</ul>`;
}

function plotGrid(plots: readonly PlotFile[]): string {
  const figures = plots.map(({ name, svg }) =>
    `<figure title="click to widen or narrow">\n${svg.trim()}\n<figcaption><a href="plots/${escapeHtml(encodeURIComponent(name))}">plots/${escapeHtml(name)}</a></figcaption>\n</figure>`,
  );
  return `<div class="plots">\n${figures.join('\n')}\n</div>`;
}

/** A setting's value as text: lists comma-separated, objects as key value pairs, null as "not set". */
function settingText(value: JsonValue): string {
  if (value === null) return 'not set';
  if (Array.isArray(value)) return value.map(settingText).join(', ');
  if (typeof value === 'object') return Object.entries(value).map(([key, inner]) => `${key} ${settingText(inner)}`).join(', ');
  return String(value);
}

function settingsSection(results: ResultsFile): string {
  const jobs = results.settings.jobs;
  const environment: [string, string][] = [
    ['camu', results.camuVersion],
    ['libtorch', results.libtorchVersion],
    ['device', results.device],
    ['threads', `${results.threads}${typeof jobs === 'number' ? ` per job, ${jobs} job${jobs === 1 ? '' : 's'} at once` : ''}`],
    ['git commit', results.gitCommit ?? 'unknown'],
    ['created', results.createdAt],
    ['runs', String(results.runs.length)],
  ];
  const options = Object.entries(results.settings).map(([key, value]): [string, string] => [key, settingText(value)]);
  const entries = (pairs: [string, string][]) =>
    pairs.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('\n');
  return [
    '<h2 id="settings">Settings and environment</h2>',
    `<dl class="settings" id="environment">\n${entries(environment)}\n</dl>`,
    '<h3>Options of the run</h3>',
    `<dl class="settings" id="options">\n${entries(options)}\n</dl>`,
  ].join('\n');
}

/** The whole page of a results file, as one HTML document; `plots` are renderPlots' (given when already made). */
export function renderPage(results: ResultsFile, plots: readonly PlotFile[] = renderPlots(results)): string {
  const title = 'camu reproduce: results';
  const ofKind = (kind: PlotFile['kind']) => plots.filter((plot) => plot.kind === kind);
  const sections: string[] = [];
  const nav: [string, string][] = [['tables', 'Tables']];

  const tables = ['<h2 id="tables">Tables</h2>', `<p class="legend">${escapeHtml(cellLegend(results))} Gaps to the retrained model: <span class="positive">blue above it</span>, <span class="negative">orange below</span>. Click a column header to sort.</p>`];
  const reduced = reducedReasons(results);
  if (reduced.length > 0) {
    tables.push(`<p id="reduced">${escapeHtml(REDUCED_INTRO)}</p>`, list(reduced.map(({ dataset, reason }) => `${escapeHtml(dataset)}: ${escapeHtml(reason)}.`)));
  }
  tables.push("<h3>The paper's metrics</h3>");
  tables.push(results.runs.length === 0 ? '<p>No runs yet.</p>' : htmlTable(paperTableData(results), 'paper-table'));
  const extra = extraTableData(results);
  if (extra !== null) tables.push("<h3>Gaps to the retrained model and the field's metrics</h3>", htmlTable(extra, 'extra-table'));
  sections.push(tables.join('\n'));

  const checks = checksTableData(results);
  if (checks !== null) {
    nav.push(['checks', "The paper's claims"]);
    const parts = ['<h2 id="checks">The paper\'s claims, checked</h2>', `<p>${escapeHtml(CHECKS_INTRO)}</p>`, htmlTable(checks, 'checks-table')];
    const unattainable = unattainableNotes(results);
    if (unattainable.length > 0) parts.push(`<p>${escapeHtml(UNATTAINABLE_INTRO)}</p>`, list(unattainable.map(escapeHtml)));
    sections.push(parts.join('\n'));
  }

  const plotSections: [PlotFile['kind'], string, string][] = [
    ['metric', 'plots-metrics', 'Plots by metric'],
    ['method', 'plots-methods', 'Plots by method: gaps to the retrained model'],
    ['relearn', 'plots-relearn', 'Relearning curves'],
  ];
  for (const [kind, id, heading] of plotSections) {
    if (ofKind(kind).length === 0) continue;
    nav.push([id, heading.split(':')[0]]);
    sections.push(`<h2 id="${id}">${escapeHtml(heading)}</h2>\n${plotGrid(ofKind(kind))}`);
  }

  const notes = unavailableNotes(results);
  if (notes.length > 0) {
    nav.push(['unavailable', 'Unavailable metrics']);
    const items = notes.map(({ key, label, method, reason }) => `${escapeHtml(label)} (<code>${escapeHtml(key)}</code>) for ${escapeHtml(method)}: ${escapeHtml(reason)}`);
    sections.push(`<h2 id="unavailable">Unavailable metrics</h2>\n${list(items)}`);
  }

  nav.push(['settings', 'Settings'], ['definitions', 'Definitions']);
  sections.push(settingsSection(results));
  const definitions = shownMetrics(results).map(metricDefinition).map(({ key, label, unit, description }) =>
    `<strong>${escapeHtml(label)}</strong> (<code>${escapeHtml(key)}</code>, ${escapeHtml(unit)}): ${escapeHtml(description)}`);
  sections.push(`<h2 id="definitions">Definitions</h2>\n${list(definitions)}`);

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p id="environment-summary">${escapeHtml(environmentText(results))}</p>`,
    `<nav>${nav.map(([id, label]) => `<a href="#${id}">${escapeHtml(label)}</a>`).join('')}</nav>`,
    ...sections,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
