/** The ROC plot (lib/audit/plot.ts): well-formed SVG, log-log axes, clipped, finite coordinates. */
import { rocPlotSvg } from '../../../lib/audit/plot';
import { rocCurve } from '../../../lib/audit/roc';
import { PALETTE } from '../../../lib/reproduce/plots';
import { all, byClass, checkSvg, number } from '../../helpers/svg';
import { normal, thrown } from './data';

const strong = rocCurve(normal(5000, 1, 1.5), normal(5000, 2));
const weak = rocCurve(normal(5000, 3, 0.2), normal(5000, 4));

test('two curves, a legend, the chance diagonal and decade ticks, with no NaN or Infinity', () => {
  const svg = rocPlotSvg({ title: 'RMIA on <CIFAR-10> & co', curves: [{ label: 'strong', curve: strong }, { label: 'weak', curve: weak }] });
  const root = checkSvg(svg);
  expect(svg).not.toMatch(/NaN|Infinity/);
  const curves = byClass(root, 'curve');
  expect(curves).toHaveLength(2);
  const lines = curves.map((g) => byClass(g, 'line')[0]);
  expect(lines.map((line) => line.attributes.stroke)).toEqual([PALETTE[0], PALETTE[1]]);
  const texts = all(root, (e) => e.name === 'text').map((e) => e.text);
  // The parser keeps entities as written: the title is escaped.
  expect(texts).toEqual(expect.arrayContaining(['RMIA on &lt;CIFAR-10&gt; &amp; co', 'strong', 'weak', 'false-positive rate', 'true-positive rate']));
  // Decades 0.001 .. 1 on both axes.
  for (const label of ['0.001', '0.01', '0.1', '1']) expect(texts.filter((t) => t === label)).toHaveLength(2);

  // The diagonal runs from the bottom-left corner to the top-right one of the plot frame.
  const chance = byClass(root, 'chance')[0];
  const frame = all(root, (e) => e.name === 'rect' && e.attributes.fill === 'none')[0];
  const [fx, fy, fw, fh] = ['x', 'y', 'width', 'height'].map((key) => number(frame, key));
  expect([number(chance, 'x1'), number(chance, 'y1'), number(chance, 'x2'), number(chance, 'y2')]).toEqual([fx, fy + fh, fx + fw, fy]);

  // Every curve point lies within the frame (rates below 0.001, FPR 0 included, sit on its edge)
  // and the curve starts at the bottom-left corner, (0, 0) clipped.
  for (const line of lines) {
    const points = line.attributes.points.split(' ').map((pair) => pair.split(',').map(Number));
    expect(points.length).toBeLessThanOrEqual(1000);
    for (const [px, py] of points) {
      expect(px).toBeGreaterThanOrEqual(fx - 0.01);
      expect(px).toBeLessThanOrEqual(fx + fw + 0.01);
      expect(py).toBeGreaterThanOrEqual(fy - 0.01);
      expect(py).toBeLessThanOrEqual(fy + fh + 0.01);
    }
    expect(points[0]).toEqual([fx, fy + fh]);
    expect(points.at(-1)).toEqual([fx + fw, fy]);
  }
});

test('the axes are logarithmic: each decade takes the same length', () => {
  // A curve through (0.01, 0.1): one of three decades across, two of three up from 0.001.
  const svg = rocPlotSvg({ title: 't', curves: [{ label: 'c', curve: { fpr: [0, 0.01, 1], tpr: [0, 0.1, 1] } }], minRate: 1e-3 });
  const root = checkSvg(svg);
  const frame = all(root, (e) => e.name === 'rect' && e.attributes.fill === 'none')[0];
  const [fx, fy, fw, fh] = ['x', 'y', 'width', 'height'].map((key) => number(frame, key));
  const points = byClass(root, 'line')[0].attributes.points.split(' ').map((pair) => pair.split(',').map(Number));
  expect(points[1][0]).toBeCloseTo(fx + fw / 3, 1);
  expect(points[1][1]).toBeCloseTo(fy + fh / 3, 1);
  // 1e-4 gives four decades.
  const deeper = all(checkSvg(rocPlotSvg({ title: 't', curves: [{ label: 'c', curve: strong }], minRate: 1e-4 })), (e) => e.name === 'text');
  expect(deeper.map((e) => e.text)).toContain('0.0001');
});

test('markers sit at the operating points of each decade, a point exactly at a decade included', () => {
  // 2 false positives out of 20 000 is FPR 0.0001 exactly (10 ** -4 is slightly below it).
  const curve = { fpr: [0, 2 / 20000, 0.01, 1], tpr: [0, 0.5, 0.6, 1] };
  const root = checkSvg(rocPlotSvg({ title: 't', curves: [{ label: 'c', curve }], minRate: 1e-4 }));
  const frame = all(root, (e) => e.name === 'rect' && e.attributes.fill === 'none')[0];
  const [fx, fy, fw, fh] = ['x', 'y', 'width', 'height'].map((key) => number(frame, key));
  const markers = all(byClass(root, 'curve')[0], (e) => e.name === 'circle').map((e) => [number(e, 'cx'), number(e, 'cy')]);
  const at = (fpr: number, tpr: number) => [fx + ((Math.log10(fpr) + 4) / 4) * fw, fy + (1 - (Math.log10(tpr) + 4) / 4) * fh];
  // Decades 1e-4, 1e-3 (still the 1e-4 point), 1e-2, 1e-1 (still the 1e-2 point), 1.
  const expected = [at(1e-4, 0.5), at(1e-4, 0.5), at(0.01, 0.6), at(0.01, 0.6), at(1, 1)];
  expect(markers).toHaveLength(expected.length);
  markers.forEach(([cx, cy], i) => {
    expect(cx).toBeCloseTo(expected[i][0], 1);
    expect(cy).toBeCloseTo(expected[i][1], 1);
  });
});

test('a curve of only zeros and ones still draws finite coordinates', () => {
  const svg = rocPlotSvg({ title: 'perfect', curves: [{ label: 'AUC 1', curve: rocCurve([2, 3], [0, 1]) }] });
  checkSvg(svg);
  expect(svg).not.toMatch(/NaN|Infinity/);
});

test('bad plot data throws with codes', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => rocPlotSvg({ title: 't', curves: [] }), 'ERR_OUT_OF_RANGE', /data.curves must hold at least one curve/],
    [() => rocPlotSvg({ title: '', curves: [{ label: 'c', curve: strong }] }), 'ERR_INVALID_ARG_TYPE', /data.title must be a non-empty string/],
    [() => rocPlotSvg({ title: 't', curves: [{ label: 'c', curve: { fpr: [0, NaN], tpr: [0, 1] } }] }), 'ERR_OUT_OF_RANGE', /data.curves\[0\].curve.fpr\[1\]/],
    [() => rocPlotSvg({ title: 't', curves: [{ label: 'c', curve: strong }], minRate: 0 }), 'ERR_OUT_OF_RANGE', /data.minRate must be a finite number in \[0.000001, 0.1\]/],
  ];
  for (const [fn, code, message] of cases) {
    const error = thrown(fn);
    expect(error.message).toMatch(message);
    expect(error.code).toBe(code);
  }
});
