/**
 * The results page's HTML (lib/reproduce/page.ts) and the reduced rows' reasons it shares with
 * results.md, as text: escaping, sortable tables, one inline SVG per plot, the settings, reduced
 * rows. Rendering in a browser is test/integration/results-page.test.ts.
 */
import { escapeHtml, htmlTable, renderPage } from '../../lib/reproduce/page';
import { renderPlots } from '../../lib/reproduce/plots';
import { addRetrainComparisons, addRuns, newResults } from '../../lib/reproduce/runs';
import { ResultsFile, ResultsHeader, RunRecord } from '../../lib/reproduce/schema';
import { checksTableData, extraTableData, paperTableData, reducedReason, renderTables } from '../../lib/reproduce/table';

const header: ResultsHeader = {
  camuVersion: '0.1.0',
  libtorchVersion: '1.13.1',
  device: 'cpu',
  threads: 1,
  gitCommit: '6390d8d',
  createdAt: '2024-05-01T10:00:00.000Z',
  settings: {
    datasets: ['mnist', 'cifar10'],
    scenarios: ['class', 'random'],
    seeds: [0, 1],
    methods: ['original', 'retrain', 'camu'],
    epochs: 20,
    jobs: 2,
    trainSubset: null,
    testSubset: null,
    cifarReducedTrainSize: 10000,
    relearn: { maxSteps: 200, interval: 20 },
  },
  splits: {},
};

function run(method: string, seed: number, metrics: Record<string, number | null>, extra: Partial<RunRecord> = {}): RunRecord {
  return { dataset: 'mnist', scenario: 'class', seed, method, reduced: false, metrics, ...extra };
}

const classMetrics = (forget: number, time: number) => ({
  'acc.retain': 99, 'acc.forget': forget, 'acc.test': 90, 'acc.testRemaining': 98.5, 'acc.testForgotten': forget,
  'mia.loss': 0.5, 'time.seconds': time,
});

/** Two seeds of MNIST class removal for three methods, with relearning curves, and one reduced CIFAR-10 row. */
function results(overrides: Partial<ResultsHeader> = {}): ResultsFile {
  const runs: RunRecord[] = [];
  for (const seed of [0, 1]) {
    const relearnCurve = { steps: [0, 20], gap: [90, 60 + seed] };
    runs.push(
      run('original', seed, classMetrics(99, 100), { relearnCurve }),
      run('retrain', seed, classMetrics(0, 200 + seed), { relearnCurve }),
      run('camu', seed, { ...classMetrics(seed, 20), 'mia.loss': 0.48 }, { relearnCurve }),
    );
  }
  runs.push(run('camu', 0, classMetrics(3, 5), { dataset: 'cifar10', reduced: true }));
  return addRuns(newResults({ ...header, ...overrides }), addRetrainComparisons(runs));
}

/** How often `pattern` (global) matches in `html`. */
function count(html: string, pattern: RegExp): number {
  return [...html.matchAll(pattern)].length;
}

describe('escaping', () => {
  test('escapeHtml escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  test('every text from the results file is escaped: method names, reasons, settings', () => {
    const hostile = '<img src=x onerror="alert(1)">&';
    const file = addRuns(
      newResults({ ...header, settings: { ...header.settings, methods: [hostile], note: '</script><script>alert(2)</script>' } }),
      [run(hostile, 0, { 'acc.forget': null }, { unavailable: { 'acc.forget': '<b>stopped</b>' } })],
    );
    const page = renderPage(file);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('alert(2)</script>');
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;');
    expect(page).toContain('&lt;b&gt;stopped&lt;/b&gt;');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    // One script element: the page's own.
    expect(count(page, /<script>/g)).toBe(1);
  });
});

describe('tables', () => {
  test('one sortable table per table of the Markdown report, with its rows and columns', () => {
    const data = results();
    const page = renderPage(data);
    expect(count(page, /<table class="sortable"/g)).toBe(3);
    for (const [id, table] of [['paper-table', paperTableData(data)], ['extra-table', extraTableData(data)], ['checks-table', checksTableData(data)]] as const) {
      const html = htmlTable(table!, id);
      expect(page).toContain(html);
      expect(count(html, /<tr/g)).toBe(table!.rows.length + 1);
      expect(count(html, /<th scope="col"[^>]*><button type="button">/g)).toBe(table!.columns.length);
    }
    // The same cells as results.md.
    const markdown = renderTables(data);
    expect(markdown).toContain('| MNIST | class removal | CaMU | 2 | 99.00 ± 0.00 | 0.50 ± 0.50 |');
    expect(page).toContain('<td class="num" data-sort="0.5">0.50 ± 0.50</td>');
  });

  test('numeric cells sort by their mean, missing numbers by an empty key; gaps are marked by sign', () => {
    const page = renderPage(results());
    expect(page).toMatch(/<td class="num" data-sort="">—<\/td>/);
    expect(page).toContain('<td class="num positive" data-sort="0.5">+0.50 ± 0.50</td>');
    // acc(D_r) equals retrain's: a gap of 0.00 is not coloured.
    expect(page).toContain('<td class="num" data-sort="0">0.00 ± 0.00</td>');
    expect(page).toMatch(/<td class="num negative" data-sort="-[\d.]+">-/);
    expect(page).toContain('<td class="fail" data-sort="no">no</td>');
    // Metric headers carry the definition.
    expect(page).toContain('title="Top-1 accuracy on the forget set D_f (the training data a deletion request removes)."><button type="button">acc(D_f) (%)</button>');
  });

  test('a file without runs has no tables', () => {
    const page = renderPage(newResults(header));
    expect(page).toContain('<p>No runs yet.</p>');
    expect(page).not.toContain('<table');
    expect(page).not.toContain('<svg');
  });
});

describe('plots', () => {
  test('one inline SVG per plot file, grouped by metric, method and relearning', () => {
    const data = results();
    const plots = renderPlots(data);
    const page = renderPage(data);
    expect(count(page, /<svg /g)).toBe(plots.length);
    for (const plot of plots) {
      expect(page).toContain(plot.svg.trim());
      expect(page).toContain(`<a href="plots/${plot.name}">`);
    }
    expect(new Set(plots.map((plot) => plot.kind))).toEqual(new Set(['metric', 'method', 'relearn']));
    for (const id of ['plots-metrics', 'plots-methods', 'plots-relearn']) expect(page).toContain(`<h2 id="${id}">`);
    expect(page).not.toMatch(/<(link|img|iframe)\b|src=|@import|url\(/);
  });

  test('with one seed: no ± and no error bars or bands anywhere', () => {
    const data = results();
    const page = renderPage({ ...data, runs: data.runs.filter((record) => record.seed === 0) });
    expect(page).not.toContain('±');
    expect(page).not.toContain('error-bar');
    expect(page).not.toContain('class="band"');
    expect(page).toContain(escapeHtml("Each cell is the value of the row's one seed"));
    expect(renderPage(data)).toContain('error-bar');
  });
});

describe('settings and environment', () => {
  test('versions, device, threads and jobs, commit, date, and every option of the run', () => {
    const page = renderPage(results());
    for (const entry of [
      '<dt>camu</dt><dd>0.1.0</dd>',
      '<dt>libtorch</dt><dd>1.13.1</dd>',
      '<dt>device</dt><dd>cpu</dd>',
      '<dt>threads</dt><dd>1 per job, 2 jobs at once</dd>',
      '<dt>git commit</dt><dd>6390d8d</dd>',
      '<dt>created</dt><dd>2024-05-01T10:00:00.000Z</dd>',
      '<dt>runs</dt><dd>7</dd>',
      '<dt>datasets</dt><dd>mnist, cifar10</dd>',
      '<dt>epochs</dt><dd>20</dd>',
      '<dt>trainSubset</dt><dd>not set</dd>',
      '<dt>relearn</dt><dd>maxSteps 200, interval 20</dd>',
    ]) {
      expect(page).toContain(entry);
    }
    expect(renderPage(results({ gitCommit: null }))).toContain('<dt>git commit</dt><dd>unknown</dd>');
  });
});

describe('reduced rows', () => {
  const settings = header.settings;
  const withSettings = (changes: Record<string, unknown>, device = 'cpu') =>
    results({ device, settings: { ...settings, ...changes } as ResultsHeader['settings'] });

  test('CIFAR on CPU: the reduced setting, with the subset flags that narrow it further', () => {
    expect(reducedReason(withSettings({}), 'cifar10')).toBe(
      "camu's reduced CPU setting for CIFAR: the first 10000 training images at 32 px, resnet18-cifar",
    );
    expect(reducedReason(withSettings({ trainSubset: 500, testSubset: 200 }), 'cifar100')).toBe(
      "camu's reduced CPU setting for CIFAR: the first 500 training images (--train-subset 500) at 32 px, resnet18-cifar; " +
        'the first 200 test samples (--test-subset 200)',
    );
    // A --train-subset above the setting's size changes nothing.
    expect(reducedReason(withSettings({ trainSubset: 20000 }), 'cifar10')).toBe(
      "camu's reduced CPU setting for CIFAR: the first 10000 training images at 32 px, resnet18-cifar",
    );
  });

  test('other datasets, or CIFAR on CUDA: the subset flags', () => {
    expect(reducedReason(withSettings({ trainSubset: 1000, testSubset: 200 }), 'mnist')).toBe(
      'the first 1000 training samples (--train-subset 1000); the first 200 test samples (--test-subset 200)',
    );
    expect(reducedReason(withSettings({ trainSubset: 1000 }, 'cuda'), 'cifar10')).toBe('the first 1000 training samples (--train-subset 1000)');
    expect(reducedReason(withSettings({ trainSubset: null, testSubset: null, cifarReducedTrainSize: null }, 'cuda'), 'mnist')).toBe(
      'a subset of the data (the results file does not say which)',
    );
  });

  test('each reduced row says why on the page; the reasons are listed in both reports', () => {
    const data = withSettings({ trainSubset: 500 });
    const reason = "camu's reduced CPU setting for CIFAR: the first 500 training images (--train-subset 500) at 32 px, resnet18-cifar";
    const page = renderPage(data);
    const reducedRows = [...page.matchAll(/<tr class="reduced">(.*?)<\/tr>/g)].map((match) => match[1]);
    // The paper's table and the extra table each have the one reduced row.
    expect(reducedRows).toHaveLength(2);
    for (const row of reducedRows) expect(row).toContain(`<span class="why">reduced: ${escapeHtml(reason)}</span>`);
    expect(page).toContain(`<li>CIFAR-10: ${escapeHtml(reason)}.</li>`);
    expect(renderTables(data)).toContain(`- CIFAR-10: ${reason}.`);
    const full = results();
    const unreduced = { ...full, runs: full.runs.filter((record) => !record.reduced) };
    expect(renderPage(unreduced)).not.toContain('reduced');
  });
});
