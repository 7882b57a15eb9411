/** Run bookkeeping of a results file: which runs it holds, adding runs (resume and rerun), gaps to retrain. */
import { gapKey, GAP_METRICS } from '../metrics/catalogue';
import { RESULTS_FORMAT, RESULTS_VERSION, ResultsFile, ResultsHeader, RunIdentity, runKey, RunRecord } from './schema';
import { validateResults } from './validate';

/** The record of `run` in the results, if it has one. */
export function findRun(results: ResultsFile, run: RunIdentity): RunRecord | undefined {
  const key = runKey(run);
  return results.runs.find((record) => runKey(record) === key);
}

/** The runKey of every run the results hold. */
export function finishedRunKeys(results: ResultsFile): Set<string> {
  return new Set(results.runs.map(runKey));
}

/** The planned runs that the results do not hold yet, in the planned order. */
export function pendingRuns<T extends RunIdentity>(results: ResultsFile, planned: readonly T[]): T[] {
  const finished = finishedRunKeys(results);
  return planned.filter((run) => !finished.has(runKey(run)));
}

/**
 * A copy of the results with `runs` added; a run with the key of an existing one replaces it in
 * place (a rerun supersedes the earlier numbers). The result is validated.
 */
export function addRuns(results: ResultsFile, runs: readonly RunRecord[]): ResultsFile {
  const merged = [...results.runs];
  const index = new Map(merged.map((run, i) => [runKey(run), i]));
  for (const run of runs) {
    const key = runKey(run);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, merged.length);
      merged.push(run);
    } else {
      merged[at] = run;
    }
  }
  return validateResults({ ...results, runs: merged }, 'addRuns');
}

/**
 * Adds what follows from each run's retrained reference (the run of method 'retrain' with the
 * same dataset, scenario, seed and setting): gap.<key> = value − retrain's value for every
 * accuracy and attack both hold, and time.rte = retrain time / method time. A gap whose inputs
 * are unavailable is null with the reason. The retrain runs themselves are returned unchanged.
 */
export function addRetrainComparisons(runs: readonly RunRecord[]): RunRecord[] {
  const retrains = new Map<string, RunRecord>();
  for (const run of runs) if (run.method === 'retrain') retrains.set(runKey(run), run);
  return runs.map((run) => {
    const retrain = retrains.get(runKey({ ...run, method: 'retrain' }));
    if (run.method === 'retrain' || !retrain) return run;
    const metrics = { ...run.metrics };
    const unavailable = { ...run.unavailable };
    for (const key of GAP_METRICS) {
      const value = run.metrics[key];
      const reference = retrain.metrics[key];
      if (value === undefined || reference === undefined) continue;
      if (value !== null && reference !== null) {
        metrics[gapKey(key)] = value - reference;
        delete unavailable[gapKey(key)];
      } else {
        metrics[gapKey(key)] = null;
        unavailable[gapKey(key)] = value === null
          ? `${key} is unavailable for ${run.method}: ${run.unavailable?.[key]}`
          : `${key} is unavailable for retrain: ${retrain.unavailable?.[key]}`;
      }
    }
    const time = run.metrics['time.seconds'];
    const retrainTime = retrain.metrics['time.seconds'];
    if (typeof time === 'number' && time > 0 && typeof retrainTime === 'number') metrics['time.rte'] = retrainTime / time;
    const { unavailable: _, ...identity } = run;
    const record: RunRecord = { ...identity, metrics };
    if (Object.keys(unavailable).length > 0) record.unavailable = unavailable;
    return record;
  });
}

/** A results file with no runs yet; createdAt defaults to now. */
export function newResults(header: ResultsHeader): ResultsFile {
  return validateResults(
    {
      format: RESULTS_FORMAT,
      version: RESULTS_VERSION,
      ...header,
      createdAt: header.createdAt ?? new Date().toISOString(),
      runs: [],
    },
    'newResults',
  );
}
