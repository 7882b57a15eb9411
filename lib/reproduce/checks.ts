/**
 * The paper's claims as checks on a results file, so a reproduction says itself whether it holds
 * them: class removal forgets the class completely and keeps the other classes' test accuracy
 * (within CLASS_KEEP_POINTS of the original model); random removal ends close to the model
 * retrained without D_f (accuracy gaps within RANDOM_GAP_POINTS, the loss attack within
 * RANDOM_MIA_LOSS of the retrained model's). Each check is on the means over the seeds.
 */
import type { ReportedMetricKey } from '../metrics/catalogue';
import { datasetLabel, methodLabel, ResultsFile, SCENARIO_LABELS } from './schema';
import { groupRuns, mean, RunGroup, settingKey, summarizeMetric } from './stats';

export const CLASS_KEEP_POINTS = 1.5;
export const RANDOM_GAP_POINTS = 1.5;
export const RANDOM_MIA_LOSS = 0.05;

/** Methods whose rows are checked: the unlearning methods (not the original and the oracle). */
const REFERENCE_METHODS = ['original', 'retrain'];

export interface CriterionCheck {
  dataset: string;
  scenario: string;
  method: string;
  /** What is required, in words with the metric keys. */
  criterion: string;
  /** The metric whose unit and decimals `value` has. */
  key: ReportedMetricKey;
  /** The measured mean (for comparisons with a reference: the difference); null when not measured. */
  value: number | null;
  met: boolean;
}

function meanOf(group: RunGroup | undefined, key: ReportedMetricKey): number | null {
  if (!group) return null;
  return summarizeMetric(group.runs, key).summary?.mean ?? null;
}

/** Every check of every unlearning method's row; none for settings without its references. */
export function criteriaChecks(results: ResultsFile): CriterionCheck[] {
  const groups = groupRuns(results);
  const checks: CriterionCheck[] = [];
  for (const group of groups) {
    if (REFERENCE_METHODS.includes(group.method)) continue;
    const sameSetting = (method: string) => groups.find((other) => other.method === method && settingKey(other) === settingKey(group));
    const add = (criterion: string, key: ReportedMetricKey, value: number | null, holds: (value: number) => boolean) =>
      checks.push({
        dataset: datasetLabel(group.dataset, group.reduced),
        scenario: SCENARIO_LABELS[group.scenario],
        method: methodLabel(group.method),
        criterion,
        key,
        value,
        met: value !== null && holds(value),
      });
    // Shown with two decimals: "= 0" is "0.00 in the table".
    const zero = (value: number) => Math.abs(value) < 0.005;
    if (group.scenario === 'class') {
      add('acc(D_f) = 0 (`acc.forget`, %)', 'acc.forget', meanOf(group, 'acc.forget'), zero);
      add('acc(T_f) = 0 (`acc.testForgotten`, %)', 'acc.testForgotten', meanOf(group, 'acc.testForgotten'), zero);
      const kept = meanOf(group, 'acc.testRemaining');
      const original = meanOf(sameSetting('original'), 'acc.testRemaining');
      add(
        `acc(T_r) within ${CLASS_KEEP_POINTS} points of the original model's (difference, pp)`,
        'gap.acc.testRemaining',
        kept === null || original === null ? null : kept - original,
        (difference) => Math.abs(difference) <= CLASS_KEEP_POINTS,
      );
    } else {
      for (const [key, label] of [['gap.acc.retain', 'D_r'], ['gap.acc.forget', 'D_f'], ['gap.acc.test', 'T']] as const) {
        add(
          `acc(${label}) within ${RANDOM_GAP_POINTS} points of the retrained model's (\`${key}\`, pp)`,
          key,
          meanOf(group, key),
          (gap) => Math.abs(gap) <= RANDOM_GAP_POINTS,
        );
      }
      add(
        `MIA-loss within ${RANDOM_MIA_LOSS} of the retrained model's (\`gap.mia.loss\`)`,
        'gap.mia.loss',
        meanOf(group, 'gap.mia.loss'),
        (gap) => Math.abs(gap) <= RANDOM_MIA_LOSS,
      );
    }
  }
  return checks;
}

/**
 * Whether a random-removal row can meet its D_r and D_f checks together at all: its D_r gap minus
 * its D_f gap equals its own acc(D_r) − acc(D_f) (its spread) minus the retrained model's, so
 * |D_r gap| + |D_f gap| is at least the distance between the two spreads, and both gaps fit within
 * RANDOM_GAP_POINTS only when that distance is at most twice it. (A retrained model fits D_r above
 * the D_f it never saw; a method that leaves the two close cannot match both.)
 */
export interface GapSpread {
  dataset: string;
  scenario: string;
  method: string;
  /** Mean acc(D_r) − acc(D_f) of the method, in points, over the seeds with both gaps. */
  methodSpread: number;
  /** The same for the retrained model of those seeds. */
  retrainSpread: number;
  /** Whether some model with this retrained model could have both gaps within RANDOM_GAP_POINTS. */
  attainable: boolean;
}

export function randomGapSpreads(results: ResultsFile): GapSpread[] {
  const spreads: GapSpread[] = [];
  for (const group of groupRuns(results)) {
    if (group.scenario !== 'random' || REFERENCE_METHODS.includes(group.method)) continue;
    const methodSpreads: number[] = [];
    const retrainSpreads: number[] = [];
    for (const { metrics } of group.runs) {
      const [retain, forget, retainGap, forgetGap] = (['acc.retain', 'acc.forget', 'gap.acc.retain', 'gap.acc.forget'] as const).map((key) => metrics[key]);
      if (typeof retain !== 'number' || typeof forget !== 'number' || typeof retainGap !== 'number' || typeof forgetGap !== 'number') continue;
      methodSpreads.push(retain - forget);
      retrainSpreads.push(retain - forget - (retainGap - forgetGap));
    }
    if (methodSpreads.length === 0) continue;
    const methodSpread = mean(methodSpreads);
    const retrainSpread = mean(retrainSpreads);
    spreads.push({
      dataset: datasetLabel(group.dataset, group.reduced),
      scenario: SCENARIO_LABELS[group.scenario],
      method: methodLabel(group.method),
      methodSpread,
      retrainSpread,
      attainable: Math.abs(methodSpread - retrainSpread) <= 2 * RANDOM_GAP_POINTS,
    });
  }
  return spreads;
}
