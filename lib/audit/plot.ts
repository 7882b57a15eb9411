/**
 * ROC curves of membership-inference attacks as a standalone SVG, drawn as the field draws them
 * since Carlini et al., "Membership Inference Attacks From First Principles" (S&P 2022): both
 * axes logarithmic, so that the low-FPR region where an attack is trustworthy takes most of the
 * plot, with the chance diagonal TPR = FPR for reference.
 */
import { checkNumber, checkObject, checkString, outOfRange } from '../is';
import {
  AXIS_COLOUR,
  documentParts,
  GRID_COLOUR,
  LegendItem,
  MARKERS,
  markerSvg,
  PALETTE,
  px,
  text,
  TEXT_COLOUR,
  textWidth,
} from '../reproduce/plots';
import { checkList } from './input';
import { checkCurve, reduceRoc, RocCurve } from './roc';

export interface RocPlotData {
  title: string;
  subtitle?: string;
  /** One or more curves (rocCurve or a summary's curve), each with its legend label. */
  curves: readonly { label: string; curve: RocCurve }[];
  /**
   * The lowest rate both axes show, in [1e-6, 0.1]; default 1e-3 (1e-4 suits 10 000 or more
   * non-members). Rates below it, 0 included, are drawn on the axis.
   */
  minRate?: number;
}

const PLOT_SIZE = 360;
/** Points per curve drawn: far more than the plot resolves, far fewer than a large exact curve has. */
const DRAWN_POINTS = 1000;

/**
 * 10^exponent for exponent <= 0, as the nearest double to the decimal (10 ** -4 is not: it is
 * 0.00009999999999999999, which would leave a point at FPR 1e-4 out of its decade).
 */
function decade(exponent: number): number {
  return 1 / 10 ** -exponent;
}

/** "0.001" rather than "1e-3", down to 1e-6 (where toString switches to exponents). */
function rateLabel(exponent: number): string {
  return decade(exponent).toFixed(-exponent);
}

/**
 * The SVG document. Each curve is a polyline through its points on log-log axes (reduced to at
 * most 1000 points, keeping the low-FPR region; see reduceRoc); its markers sit at its
 * operating points for each FPR decade shown (the point giving TPR at FPR <= 10^k, see tprAtFpr).
 * Curves differ by colour (Okabe-Ito) and marker shape.
 */
export function rocPlotSvg(data: RocPlotData): string {
  checkObject(data, 'rocPlotSvg: data');
  const { title, subtitle = 'ROC, log-log axes; the dashed diagonal is chance', curves, minRate = 1e-3 } = data;
  checkString(title, 'rocPlotSvg: data.title');
  checkString(subtitle, 'rocPlotSvg: data.subtitle');
  checkList(curves, 'rocPlotSvg: data.curves', '{ label, curve } objects');
  if (curves.length === 0) throw outOfRange('rocPlotSvg: data.curves must hold at least one curve, got none');
  curves.forEach((entry, i) => {
    checkObject(entry, `rocPlotSvg: data.curves[${i}]`);
    checkString(entry.label, `rocPlotSvg: data.curves[${i}].label`);
    checkCurve(entry.curve, `rocPlotSvg: data.curves[${i}].curve`);
  });
  checkNumber(minRate, 'rocPlotSvg: data.minRate', { min: 1e-6, max: 0.1 });

  const logMin = Math.log10(minRate);
  const exponents: number[] = [];
  for (let e = Math.ceil(logMin - 1e-9); e <= 0; e += 1) exponents.push(e);
  const left = Math.max(64, 40 + Math.max(...exponents.map((e) => textWidth(rateLabel(e), 12))));
  const legend: LegendItem[] = curves.map(({ label }, i) => ({ label, colour: PALETTE[i % PALETTE.length], marker: MARKERS[i % MARKERS.length] }));
  const { frame, head } = documentParts(title, subtitle, legend, PLOT_SIZE, PLOT_SIZE, left, 52);
  // Clipped at the axis minimum: log10(0) is -∞, and anything below minRate is off the plot.
  const fraction = (rate: number) => (Math.log10(Math.max(rate, minRate)) - logMin) / -logMin;
  const x = (fpr: number) => frame.left + fraction(fpr) * frame.plotWidth;
  const y = (tpr: number) => frame.top + (1 - fraction(tpr)) * frame.plotHeight;
  const parts = [...head];

  const bottom = frame.top + frame.plotHeight;
  const right = frame.left + frame.plotWidth;
  parts.push('<g class="axes">');
  for (const e of exponents) {
    const rate = decade(e);
    const label = rateLabel(e);
    parts.push(`<line x1="${px(x(rate))}" y1="${px(frame.top)}" x2="${px(x(rate))}" y2="${px(bottom)}" stroke="${GRID_COLOUR}" stroke-width="1"/>`);
    parts.push(`<line x1="${px(frame.left)}" y1="${px(y(rate))}" x2="${px(right)}" y2="${px(y(rate))}" stroke="${GRID_COLOUR}" stroke-width="1"/>`);
    parts.push(text(x(rate), bottom + 19, label, `font-size="12" text-anchor="middle" fill="${TEXT_COLOUR}"`));
    parts.push(text(frame.left - 8, y(rate) + 4, label, `font-size="12" text-anchor="end" fill="${TEXT_COLOUR}"`));
  }
  parts.push(`<rect x="${px(frame.left)}" y="${px(frame.top)}" width="${px(frame.plotWidth)}" height="${px(frame.plotHeight)}" fill="none" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  parts.push(text(frame.left + frame.plotWidth / 2, bottom + 42, 'false-positive rate', `font-size="13" text-anchor="middle" fill="${TEXT_COLOUR}"`));
  const cy = frame.top + frame.plotHeight / 2;
  parts.push(text(18, cy, 'true-positive rate', `font-size="13" text-anchor="middle" fill="${TEXT_COLOUR}" transform="rotate(-90 18 ${px(cy)})"`));
  parts.push('</g>');
  parts.push(
    `<line class="chance" x1="${px(x(minRate))}" y1="${px(y(minRate))}" x2="${px(x(1))}" y2="${px(y(1))}" stroke="${AXIS_COLOUR}" stroke-width="1" stroke-dasharray="5 4"/>`,
  );

  curves.forEach(({ curve }, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const drawn = reduceRoc(curve, { maxPoints: DRAWN_POINTS, minFpr: minRate });
    const points = drawn.fpr.map((fpr, k) => `${px(x(fpr))},${px(y(drawn.tpr[k]))}`).join(' ');
    parts.push('<g class="curve">');
    parts.push(`<polyline class="line" points="${points}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"/>`);
    for (const e of exponents) {
      // The operating point is the last point with FPR <= 10^e (its TPR is tprAtFpr's); its own
      // FPR may sit below the decade, and the marker goes where the point is.
      let k = 0;
      while (k + 1 < curve.fpr.length && curve.fpr[k + 1] <= decade(e)) k += 1;
      parts.push(markerSvg(MARKERS[i % MARKERS.length], x(curve.fpr[k]), y(curve.tpr[k]), colour));
    }
    parts.push('</g>');
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
