/** SVG plots of `camu reproduce`: well-formed, no NaN, bars and bands that match the numbers. */
import { ReportedMetricKey } from '../../lib/metrics/catalogue';
import {
  barChartSvg,
  lineChartSvg,
  metricBarChart,
  niceScale,
  PALETTE,
  relearnCurveChart,
  renderPlots,
} from '../../lib/reproduce/plots';
import { addRuns, newResults } from '../../lib/reproduce/runs';
import { ResultsFile, RunRecord } from '../../lib/reproduce/schema';
import { all, byClass, checkSvg, number, XmlElement } from '../helpers/svg';

const header = {
  camuVersion: '0.1.0',
  libtorchVersion: '1.13.1',
  device: 'cpu',
  threads: 1,
  gitCommit: null,
  createdAt: '2024-05-01T10:00:00Z',
  settings: { datasets: ['mnist' as const], scenarios: ['class' as const], seeds: [0, 1], methods: ['original', 'retrain', 'camu'] },
  splits: {},
};

function run(method: string, seed: number, metrics: Record<string, number | null>, extra: Partial<RunRecord> = {}): RunRecord {
  return { dataset: 'mnist', scenario: 'class', seed, method, reduced: false, metrics, ...extra };
}

function results(runs: RunRecord[]): ResultsFile {
  return addRuns(newResults(header), runs);
}

describe('niceScale', () => {
  test('round ends and 1-2-5 steps', () => {
    expect(niceScale(0, 97)).toEqual({ min: 0, max: 100, ticks: [0, 20, 40, 60, 80, 100], decimals: 0 });
    expect(niceScale(-0.013, 0.26).ticks).toEqual([-0.1, 0, 0.1, 0.2, 0.3]);
    expect(niceScale(0, 0.2)).toMatchObject({ ticks: [0, 0.05, 0.1, 0.15, 0.2], decimals: 2 });
    expect(niceScale(0, 0.5)).toMatchObject({ ticks: [0, 0.1, 0.2, 0.3, 0.4, 0.5], decimals: 1 });
  });

  test('an empty range is widened, never zero-width', () => {
    expect(niceScale(0, 0)).toMatchObject({ min: 0, max: 1 });
    const single = niceScale(100, 100);
    expect(single.min).toBeLessThan(100);
    expect(single.max).toBeGreaterThan(100);
  });

  test('a bad range is a RangeError', () => {
    expect(() => niceScale(1, 0)).toThrow(RangeError);
    expect(() => niceScale(0, NaN)).toThrow(RangeError);
  });
});

describe('bar charts', () => {
  const data = results([
    run('original', 0, { 'acc.forget': 80 }),
    run('original', 1, { 'acc.forget': 80 }),
    run('retrain', 0, { 'acc.forget': 10 }),
    run('retrain', 1, { 'acc.forget': 30 }),
    run('camu', 0, { 'acc.forget': 40 }),
    run('camu', 1, { 'acc.forget': 40 }),
    run('camu', 0, { 'acc.forget': 60 }, { scenario: 'random' }),
  ]);

  test('bar heights are proportional to the means, from one baseline', () => {
    const root = checkSvg(metricBarChart(data, 'acc.forget'));
    const bars = byClass(root, 'bar');
    expect(bars).toHaveLength(4);
    const [original, retrain, camu, camuRandom] = bars.map((bar) => number(bar, 'height'));
    expect(original / retrain).toBeCloseTo(4, 2); // 80 vs mean(10, 30) = 20
    expect(camu / retrain).toBeCloseTo(2, 2);
    expect(camuRandom / retrain).toBeCloseTo(3, 2);
    const baseline = number(byClass(root, 'baseline')[0], 'y1');
    for (const bar of bars) expect(number(bar, 'y') + number(bar, 'height')).toBeCloseTo(baseline, 1);
  });

  test('each bar of more than one seed has an error bar of ± population std', () => {
    const root = checkSvg(metricBarChart(data, 'acc.forget'));
    const whiskers = byClass(root, 'error-bar');
    expect(whiskers).toHaveLength(3); // not camu's random-removal bar: one seed
    const length = (g: XmlElement) => Math.abs(number(g.children[0], 'y2') - number(g.children[0], 'y1'));
    const retrainBar = byClass(root, 'bar')[1];
    // retrain: mean 20, population std 10, so the whisker spans 20 units: as tall as the bar.
    expect(length(whiskers[1])).toBeCloseTo(number(retrainBar, 'height'), 1);
    expect(length(whiskers[0])).toBe(0);
    expect(whiskers[1].children).toHaveLength(3); // the line and its two caps
  });

  test('groups are dataset × scenario, bars are coloured by method in a fixed order', () => {
    const root = checkSvg(metricBarChart(data, 'acc.forget'));
    const bars = byClass(root, 'bar');
    expect(bars.map((bar) => bar.attributes.fill)).toEqual([PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[2]]);
    const labels = all(root, (e) => e.name === 'text').map((e) => e.text);
    expect(labels).toEqual(expect.arrayContaining(['MNIST', 'class removal', 'random removal', 'Original', 'Retrain', 'CaMU']));
    expect(root.children.find((e) => e.name === 'title')?.text).toBe('acc(D_f) (acc.forget)');
    expect(labels).toContain('acc(D_f) (%)');
  });

  test('with one seed everywhere: no error bars, and the subtitle says one seed', () => {
    const one = results([run('retrain', 0, { 'acc.forget': 10 }), run('camu', 0, { 'acc.forget': 40 })]);
    const root = checkSvg(metricBarChart(one, 'acc.forget'));
    expect(byClass(root, 'error-bar')).toHaveLength(0);
    const texts = all(root, (e) => e.name === 'text').map((e) => e.text);
    expect(texts).toContain('one seed; %');
    expect(texts.join(' ')).not.toContain('±');
    expect(all(checkSvg(metricBarChart(data, 'acc.forget')), (e) => e.name === 'text').map((e) => e.text)).toContain(
      'mean ± population std over seeds; %',
    );
  });

  test("RTE's chart has a dashed break-even line at 1", () => {
    const root = checkSvg(metricBarChart(results([run('camu', 0, { 'time.rte': 4 }), run('camu', 1, { 'time.rte': 6 })]), 'time.rte'));
    const [reference] = byClass(root, 'reference');
    const baseline = number(byClass(root, 'baseline')[0], 'y1');
    const bar = byClass(root, 'bar')[0];
    // The bar (mean 5) is five times as tall as the line is high.
    expect((baseline - number(reference, 'y1')) * 5).toBeCloseTo(number(bar, 'height'), 1);
    expect(all(root, (e) => e.name === 'text').map((e) => e.text)).toContain('break-even with retraining');
    expect(byClass(checkSvg(metricBarChart(data, 'acc.forget')), 'reference')).toHaveLength(0);
  });

  test('negative values (gaps) go down from the zero line', () => {
    const root = checkSvg(
      metricBarChart(results([run('camu', 0, { 'gap.acc.test': -2 }), run('original', 0, { 'gap.acc.test': 1 })]), 'gap.acc.test'),
    );
    const baseline = number(byClass(root, 'baseline')[0], 'y1');
    const [original, camu] = byClass(root, 'bar');
    expect(number(original, 'y') + number(original, 'height')).toBeCloseTo(baseline, 1);
    expect(number(camu, 'y')).toBeCloseTo(baseline, 1);
    expect(number(camu, 'height') / number(original, 'height')).toBeCloseTo(2, 2);
  });

  test('whiskers stop at the bounds of the metric', () => {
    const root = checkSvg(metricBarChart(results([run('camu', 0, { 'acc.forget': 0 }), run('camu', 1, { 'acc.forget': 2 })]), 'acc.forget'));
    const baseline = number(byClass(root, 'baseline')[0], 'y1');
    const line = byClass(root, 'error-bar')[0].children[0];
    expect(Math.max(number(line, 'y1'), number(line, 'y2'))).toBeCloseTo(baseline, 1);
  });

  test('unavailable values are marked n/a; a zero bar shows its value', () => {
    const root = checkSvg(
      metricBarChart(
        results([run('camu', 0, { 'mia.camu': null }, { unavailable: { 'mia.camu': 'no XGBoost' } }), run('retrain', 0, { 'mia.camu': 0 })]),
        'mia.camu',
      ),
    );
    expect(byClass(root, 'unavailable').map((e) => e.text)).toEqual(['n/a']);
    expect(byClass(root, 'bar')).toHaveLength(1);
    expect(all(root, (e) => e.name === 'text').map((e) => e.text)).toContain('0.000');
  });

  test('no runs: a valid chart that says so', () => {
    const root = checkSvg(metricBarChart(results([]), 'acc.forget'));
    expect(byClass(root, 'bar')).toHaveLength(0);
    expect(all(root, (e) => e.name === 'text').map((e) => e.text)).toContain('no data');
  });

  test('all-zero and empty-series data still have a scale', () => {
    checkSvg(metricBarChart(results([run('camu', 0, { 'acc.forget': 0 })]), 'acc.forget'));
    checkSvg(barChartSvg({ title: 't', subtitle: 's', yLabel: 'y', groups: [], series: [], decimals: 2 }));
    checkSvg(barChartSvg({ title: 't', subtitle: 's', yLabel: 'y', groups: [['a']], series: [{ label: 'm', colour: '#000', values: [undefined] }], decimals: 2 }));
  });

  test('text is escaped', () => {
    const root = checkSvg(
      barChartSvg({
        title: 'a < b & "c"',
        subtitle: "it's",
        yLabel: 'y',
        groups: [['<g>']],
        series: [{ label: 'm&m', colour: '#000', values: [{ mean: 1, std: 0, n: 1 }] }],
        decimals: 2,
      }),
    );
    expect(root.children.find((e) => e.name === 'title')?.text).toBe('a &lt; b &amp; &quot;c&quot;');
  });

  test('an unknown metric is a RangeError', () => {
    // Only JavaScript callers can pass one: TypeScript accepts metric keys only.
    expect(() => metricBarChart(data, 'acc.unknown' as ReportedMetricKey)).toThrow(RangeError);
  });
});

describe('relearning curves', () => {
  const curve = (steps: number[], gap: number[]) => ({ relearnCurve: { steps, gap } });
  const data = results([
    run('camu', 0, {}, curve([0, 50, 100], [90, 70, 50])),
    run('camu', 1, {}, curve([0, 50, 100], [70, 50, 30])),
    run('retrain', 0, {}, curve([0, 50, 100], [2, 2, 2])),
    run('retrain', 1, {}, curve([0, 50, 100], [2, 2, 2])),
  ]);
  const setting = { dataset: 'mnist' as const, scenario: 'class' as const, reduced: false };

  const points = (e: XmlElement) => e.attributes.points.split(' ').map((pair) => pair.split(',').map(Number));

  test('one line per method through the means, inside a band of ± std', () => {
    const root = checkSvg(relearnCurveChart(data, setting));
    const lines = byClass(root, 'line');
    const bands = byClass(root, 'band');
    expect(lines).toHaveLength(2);
    expect(bands).toHaveLength(2);
    expect(lines.map((e) => e.attributes.stroke)).toEqual([PALETTE[1], PALETTE[2]]); // retrain, camu
    const camuLine = points(lines[1]);
    const camuBand = points(bands[1]);
    expect(camuLine).toHaveLength(3);
    expect(camuBand).toHaveLength(6);
    // At each step the mean (80, 60, 40) is halfway between mean + std and mean − std (std 10).
    camuLine.forEach(([x, y], i) => {
      const upper = camuBand[i];
      const lower = camuBand[5 - i];
      expect(upper[0]).toBeCloseTo(x, 2);
      expect(lower[0]).toBeCloseTo(x, 2);
      expect((upper[1] + lower[1]) / 2).toBeCloseTo(y, 1);
    });
    // Equal steps in x, equal drops in y: the curve is a straight line here.
    expect(camuLine[1][0] - camuLine[0][0]).toBeCloseTo(camuLine[2][0] - camuLine[1][0], 2);
    expect(camuLine[1][1] - camuLine[0][1]).toBeCloseTo(camuLine[2][1] - camuLine[1][1], 2);
    // retrain's band has no width: std 0.
    const retrainBand = points(bands[0]);
    expect(retrainBand[0][1]).toBeCloseTo(retrainBand[5][1], 2);
  });

  test('one seed: lines without bands', () => {
    const one = results([run('camu', 0, {}, curve([0, 100], [90, 40]))]);
    const root = checkSvg(relearnCurveChart(one, setting));
    expect(byClass(root, 'line')).toHaveLength(1);
    expect(byClass(root, 'band')).toHaveLength(0);
    expect(all(root, (e) => e.name === 'text').map((e) => e.text)).toContain('acc(D_r) − acc(D_f) while fine-tuning on D_r; one seed');
  });

  test('axes and labels', () => {
    const root = checkSvg(relearnCurveChart(data, setting));
    const labels = all(root, (e) => e.name === 'text').map((e) => e.text);
    expect(labels).toEqual(expect.arrayContaining(['fine-tuning steps on D_r', 'acc(D_r) − acc(D_f) (pp)', '0', '100', 'CaMU', 'Retrain']));
    expect(byClass(root, 'x-axis')).toHaveLength(1);
    expect(byClass(root, 'y-axis')).toHaveLength(1);
  });

  test('one step, no curves, and empty series give valid plots', () => {
    checkSvg(relearnCurveChart(results([run('camu', 0, {}, curve([100], [50]))]), setting));
    const root = checkSvg(relearnCurveChart(results([]), setting));
    expect(all(root, (e) => e.name === 'text').map((e) => e.text)).toContain('no data');
    checkSvg(lineChartSvg({ title: 't', subtitle: 's', xLabel: 'x', yLabel: 'y', series: [{ label: 'm', colour: '#000', points: [] }] }));
  });
});

test('renderPlots: a bar chart per measured metric, a relearning plot per setting with curves, a gap chart per method', () => {
  const plots = renderPlots(
    results([
      run('camu', 0, { 'acc.forget': 0, 'gap.acc.forget': 0, 'mia.camu': null }, { unavailable: { 'mia.camu': 'no XGBoost' }, relearnCurve: { steps: [0], gap: [90] } }),
      run('camu', 0, { 'acc.forget': 1 }, { dataset: 'cifar10', reduced: true, relearnCurve: { steps: [0], gap: [50] } }),
      run('neggrad+', 0, { 'acc.forget': 2, 'gap.acc.forget': 2, 'gap.acc.retain': -1.5 }),
      run('retrain', 0, { 'acc.forget': 0 }),
    ]),
  );
  expect(plots.map((plot) => plot.name)).toEqual([
    'bars-acc.forget.svg',
    'bars-mia.camu.svg',
    'bars-gap.acc.retain.svg',
    'bars-gap.acc.forget.svg',
    'relearn-mnist-class.svg',
    'relearn-cifar10-class-reduced.svg',
    // Retrain has no gaps to itself, so no chart of its own.
    'method-camu.svg',
    'method-neggrad-plus.svg',
  ]);
  for (const plot of plots) checkSvg(plot.svg);
  expect(plots[0].svg).toContain('CIFAR-10 (reduced)');
  const neggradPlus = checkSvg(plots[7].svg);
  const texts = all(neggradPlus, (e) => e.name === 'text').map((e) => e.text);
  expect(texts).toContain('NegGrad+: gaps to the retrained model');
  expect(texts).toEqual(expect.arrayContaining(['Δacc(D_r)', 'Δacc(D_f)']));
});
