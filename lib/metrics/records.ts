/**
 * Bookkeeping over named metric values: merging results into one record, gaps to the model
 * retrained on D_r, relearn time from an acc(D_f) series, and RTE.
 */
import { checkNumber, invalidArgType, isObject, outOfRange } from '../is';

/** Metric name -> value ('acc.test' -> 98.1, 'mia.loss' -> 0.51, ...); null where undefined. */
export type MetricsRecord = Record<string, number | null>;

function checkRecord(record: unknown, name: string): asserts record is MetricsRecord {
  if (!isObject(record)) throw invalidArgType(`${name} must be an object of metric values`);
  for (const [key, value] of Object.entries(record)) {
    if (value !== null && typeof value !== 'number') {
      throw invalidArgType(`${name}['${key}'] must be a number or null`);
    }
  }
}

/** Merges the `metrics` of results into one record; a name given twice is a RangeError. */
export function metricsRecord(...results: Array<{ metrics: MetricsRecord }>): MetricsRecord {
  const record: MetricsRecord = {};
  results.forEach((result, i) => {
    checkRecord(result?.metrics, `metricsRecord: results[${i}].metrics`);
    for (const [name, value] of Object.entries(result.metrics)) {
      if (name in record) throw outOfRange(`metricsRecord: metric '${name}' is given twice`);
      record[name] = value;
    }
  });
  return record;
}

/**
 * `gap.<metric>` = record[metric] - retrained[metric] (signed: the method minus the model
 * retrained from scratch on D_r), for every metric both records hold; null where either is null.
 * Gaps themselves (names starting 'gap.') are not compared again.
 */
export function gapsToRetrain(record: MetricsRecord, retrained: MetricsRecord): MetricsRecord {
  checkRecord(record, 'gapsToRetrain: record');
  checkRecord(retrained, 'gapsToRetrain: retrained');
  const gaps: MetricsRecord = {};
  for (const [name, value] of Object.entries(record)) {
    if (name.startsWith('gap.') || !(name in retrained)) continue;
    const reference = retrained[name];
    gaps[`gap.${name}`] = value === null || reference === null ? null : value - reference;
  }
  return gaps;
}

export interface RelearnInput {
  /** acc(D_f) measured during fine-tuning on D_f, in measurement order. */
  accuracies: ArrayLike<number>;
  /** The optimiser step after which each accuracy was measured; default 1, 2, 3, ... */
  steps?: ArrayLike<number>;
  /** The accuracy to reach (same unit as `accuracies`). */
  target: number;
}

export interface RelearnResult {
  /** The first step whose accuracy is >= target; null when the series never reaches it. */
  steps: number | null;
  /** Index of that measurement in the series; null when never reached. */
  index: number | null;
  target: number;
  metrics: { 'relearn.steps': number | null };
}

/** Relearn time: optimiser steps of fine-tuning on D_f until acc(D_f) first reaches `target`. */
export function relearnTime(input: RelearnInput): RelearnResult {
  const { accuracies, steps, target } = input ?? ({} as RelearnInput);
  checkNumber(target, 'relearnTime: target');
  if (accuracies === null || typeof accuracies !== 'object' || typeof accuracies.length !== 'number') {
    throw invalidArgType('relearnTime: accuracies must be an array of numbers');
  }
  if (steps !== undefined) {
    if (steps === null || typeof steps !== 'object' || typeof steps.length !== 'number') {
      throw invalidArgType('relearnTime: steps must be an array of step numbers');
    }
    if (steps.length !== accuracies.length) {
      throw outOfRange(`relearnTime: steps has ${steps.length} entries but accuracies has ${accuracies.length}`);
    }
  }
  let previous = -1;
  for (let i = 0; i < accuracies.length; ++i) {
    checkNumber(accuracies[i], `relearnTime: accuracies[${i}]`);
    if (steps !== undefined) {
      const step = steps[i];
      if (!Number.isSafeInteger(step) || step < 0 || step <= previous) {
        throw outOfRange(`relearnTime: steps must be increasing non-negative integers; steps[${i}] is ${step}`);
      }
      previous = step;
    }
  }
  for (let i = 0; i < accuracies.length; ++i) {
    if (accuracies[i] >= target) {
      const step = steps !== undefined ? steps[i] : i + 1;
      return { steps: step, index: i, target, metrics: { 'relearn.steps': step } };
    }
  }
  return { steps: null, index: null, target, metrics: { 'relearn.steps': null } };
}

/** RTE = retrain time / method time (both wall seconds): how many times faster than retraining. */
export function rte(input: { retrainSeconds: number; methodSeconds: number }): { rte: number; metrics: { rte: number } } {
  for (const key of ['retrainSeconds', 'methodSeconds'] as const) {
    checkNumber(input?.[key], `rte: ${key}`, { exclusiveMin: 0 });
  }
  const ratio = input.retrainSeconds / input.methodSeconds;
  return { rte: ratio, metrics: { rte: ratio } };
}
