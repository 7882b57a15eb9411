/**
 * `camu reproduce`: the paper's protocol (docs/algorithm.md §4) over datasets × scenarios × seeds,
 * one run per method, with original and retrained models cached by content hash, every finished
 * run written atomically to results.json (a rerun resumes), then results.md, plots and index.html.
 *
 * Per (dataset, scenario, seed): the original model (Adam 1e-3, weight decay 1e-4, batch 32,
 * `epochs` epochs on all of D, initialisation and shuffle seeded by the seed); the split (class 0,
 * or 10% random; CIFAR-100 class removal draws D_s ten times |D_f|) saved as JSON; the oracle
 * retrained from scratch on D_r with the same recipe; then each method is measured with
 * evaluateUnlearning, its relearn time and its relearning curve.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { tensor, info } from '../core';
import { Dataset as Data, DatasetPair, datasetFromArrays, loadCifar10, loadCifar100, loadFashionMnist, loadMnist } from '../datasets';
import { DistributedOptions, resolveDistributed } from '../distributed';
import { AbortError, ErrorCode } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { nextGroupName, takeEach, TaskGroup, watchedSignal, withTaskGroup } from '../tasks';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, describeValue, invalidArgType, outOfRange } from '../is';
import { audit } from '../audit';
import { evaluate } from '../evaluate';
import { evaluateUnlearning } from '../evaluation';
import { METRIC_KEYS, relearnTime } from '../metrics';
import { cachedModel, contentHash } from '../model-cache';
import { Architecture, createModel, CreateModelOptions, Model } from '../models';
import { loadSplit, makeSplit, saveSplit, Split } from '../splits';
import { train, trainFromScratch } from '../train';
import { unlearn } from '../unlearn';
import { ProgressReporter } from './progress';
import { writeReport } from './report';
import { addRetrainComparisons, addRuns, findRun, pendingRuns } from './runs';
import {
  DATASET_NAMES,
  DatasetName,
  DEFAULT_REPRODUCE_METHODS,
  REPRODUCE_METHODS,
  ReproduceMethod,
  ResultsFile,
  RunIdentity,
  runKey,
  RunRecord,
  SCENARIO_KINDS,
  ScenarioKind,
} from './schema';
import { openResults, writeResults } from './store';
import { validateResults } from './validate';


/** Training samples of the reduced CPU setting for CIFAR (the first N of the train set, 32 px). */
export const CIFAR_REDUCED_TRAIN_SIZE = 10000;

/** Fine-tuning that measures relearn time and the relearning curve (kept cheap on purpose). */
export interface RelearnSettings {
  /** Most optimiser steps of fine-tuning (default 200). */
  maxSteps: number;
  /** Steps between two measurements (default 20). */
  interval: number;
  /** Adam learning rate of the fine-tuning (default 1e-3, the original recipe's). */
  learningRate: number;
  /** Samples of D_f and of D_r each measurement evaluates (the first N of each; default 1000). */
  evalSamples: number;
  /** relearn.steps target: the original model's acc(D_f) minus this many points (default 1). */
  targetDrop: number;
}

export const DEFAULT_RELEARN: RelearnSettings = { maxSteps: 200, interval: 20, learningRate: 1e-3, evalSamples: 1000, targetDrop: 1 };

export interface ReproduceOptions {
  /** Directory of results.json, results.md, plots/, index.html, splits/ (and cache/ by default). */
  out: string;
  datasets?: DatasetName[];
  scenarios?: ScenarioKind[];
  seeds?: number[];
  methods?: ReproduceMethod[];
  /** Epochs of the original and retrained models (default 20, the paper's). */
  epochs?: number;
  /** CaMU epochs instead of its preset (2 for class removal, 10 for random removal, 7 on Fashion-MNIST). */
  camuEpochs?: number;
  /** 'cpu' (default) or 'cuda'. */
  device?: 'cpu' | 'cuda';
  /**
   * The unlearning methods' retained-accuracy guard floor (%; unlearn's retainFloor). Default: half
   * the original's accuracy on the guard's probe; 0 = off. A run it stops is recorded with every
   * metric unavailable and the guard's message as the reason.
   */
  retainFloor?: number;
  /**
   * (dataset, seed) units run at once (default 1). Each runs on the addon's intra-op threads, set
   * once when it loads (CAMU_NUM_THREADS): keep jobs × threads within the cores (`camu reproduce
   * --jobs N` does). On this project's 2-core machine two 1-thread jobs train 1.8x as many samples
   * per second as one 2-thread job (Debian's libtorch 1.13; bench/jobs-throughput.js).
   */
  jobs?: number;
  /** Where original and retrained models are cached (default <out>/cache). */
  cacheDir?: string;
  /** Use only the first N train / test samples of every dataset (runs are then labelled reduced). */
  trainSubset?: number;
  testSubset?: number;
  /** Directories holding each dataset's files (default: camu's sources; CIFAR is never downloaded here). */
  dataDirs?: Partial<Record<DatasetName, string>>;
  relearn?: Partial<RelearnSettings>;
  /**
   * A privacy audit of every run (docs/audit.md): 'rmia' of every model (audit.rmia.*: D_f rows
   * against test rows), or 'ulira' of every unlearning method's model against the retrained one
   * (audit.ulira.*), with `references` reference models or shadow experiments trained for
   * `epochs` (default: options.epochs), cached in <cacheDir>/audit.
   */
  audit?: ReproduceAudit;
  /**
   * Task parallelism across ranks (docs/distributed.md, "Independent work"): every rank makes the
   * same call; the ranks take (dataset, seed) units from a shared queue (`jobs` at once each),
   * each finished run is kept in <cacheDir>/runs/ (a rerun takes it from there), and rank 0
   * gathers every rank's runs and writes results.json and the report once, at the end. 'env':
   * the variables `camu launch` sets.
   */
  distributed?: DistributedOptions | 'env';
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** Called after each run is written to results.json (distributed: after this rank finished it). */
  onRunFinished?: (run: RunRecord) => void;
}

export interface ReproduceAudit {
  attack: 'rmia' | 'ulira';
  references: number;
  epochs?: number;
}

export interface ReproduceSummary {
  resultsFile: string;
  /** results.md, the plots and index.html. */
  reportFiles: string[];
  /** Run keys finished by this call, and those found finished in results.json. */
  ran: string[];
  skipped: string[];
  /** Datasets that could not be loaded, with the error. */
  failed: { dataset: DatasetName; error: string }[];
}

interface Setup {
  pair: DatasetPair;
  architecture: Architecture;
  reduced: boolean;
}

/** An array with at least one element: a non-array is a TypeError, an empty one a RangeError. */
function checkNonEmptyList(values: unknown, what: string): asserts values is readonly unknown[] {
  if (!Array.isArray(values)) throw invalidArgType(`reproduce: options.${what} must be a non-empty list, got ${describeValue(values)}`);
  if (values.length === 0) throw outOfRange(`reproduce: options.${what} must be a non-empty list, got an empty one`);
}

function checkList<T extends string>(values: readonly T[], allowed: readonly T[], what: string): void {
  checkNonEmptyList(values, what);
  values.forEach((value, i) => checkOneOf(value, `reproduce: options.${what}[${i}]`, allowed));
}

/** The audit option with its defaults; coded errors naming the bad field. */
function checkAudit(value: ReproduceAudit, epochs: number): Required<ReproduceAudit> {
  checkObject(value, 'reproduce: options.audit');
  checkOneOf(value.attack, 'reproduce: options.audit.attack', ['rmia', 'ulira']);
  checkInteger(value.references, 'reproduce: options.audit.references', { min: value.attack === 'ulira' ? 4 : 1, max: 1024 });
  if (value.epochs !== undefined) checkInteger(value.epochs, 'reproduce: options.audit.epochs', { min: 1 });
  return { attack: value.attack, references: value.references, epochs: value.epochs ?? epochs };
}

/** An integer >= min where given (undefined: the default applies). */
function checkCount(value: number | undefined, what: string, min: number): void {
  if (value !== undefined) checkInteger(value, `reproduce: options.${what}`, { min });
}

/** The first `count` samples of a dataset (a copy), same name and transform. */
function firstSamples(data: Data, count: number | undefined): Data {
  if (count === undefined || count >= data.size) return data;
  const [, c, h, w] = data.shape;
  const images = data.images.toTypedArray() as Uint8Array | Float32Array;
  return datasetFromArrays({
    name: data.name,
    images: images.subarray(0, count * c * h * w) as Uint8Array | Float32Array,
    shape: [count, c, h, w],
    labels: (data.labels.toTypedArray() as BigInt64Array).subarray(0, count),
    numClasses: data.numClasses,
    inputSpec: data.inputSpec,
    geometry: data.geometry,
  });
}

async function loadSetup(dataset: DatasetName, options: ReproduceOptions, signal?: AbortSignal): Promise<Setup> {
  const dir = options.dataDirs?.[dataset];
  const cpu = (options.device ?? 'cpu') === 'cpu';
  let pair: DatasetPair;
  let architecture: Architecture = 'cnn';
  let trainSubset = options.trainSubset;
  if (dataset === 'mnist') pair = await loadMnist({ dir, signal });
  else if (dataset === 'fashion') pair = await loadFashionMnist({ dir, signal });
  else {
    // On CPU the reduced setting: 32-px inputs, resnet18-cifar, the first CIFAR_REDUCED_TRAIN_SIZE train images.
    const cifar = { dir, download: false, resolution: cpu ? 32 : 224, signal } as const;
    pair = dataset === 'cifar10' ? await loadCifar10(cifar) : await loadCifar100(cifar);
    architecture = cpu ? 'resnet18-cifar' : 'resnet18';
    if (cpu) trainSubset = Math.min(trainSubset ?? CIFAR_REDUCED_TRAIN_SIZE, CIFAR_REDUCED_TRAIN_SIZE);
  }
  const reduced = (trainSubset !== undefined && trainSubset < pair.train.size) ||
    (options.testSubset !== undefined && options.testSubset < pair.test.size);
  return {
    pair: { train: firstSamples(pair.train, trainSubset), test: firstSamples(pair.test, options.testSubset) },
    architecture,
    reduced,
  };
}

function cyclicIndices(source: BigInt64Array, start: number, count: number) {
  const out = new BigInt64Array(count);
  for (let i = 0; i < count; ++i) out[i] = source[(start + i) % source.length];
  return tensor(out, [count]);
}

async function accuracyOn(model: Model, data: Data, indices: BigInt64Array, signal?: AbortSignal): Promise<number> {
  const result = await evaluate(model, { dataset: data, indices: tensor(indices, [indices.length]) }, { signal });
  return (result.accuracy as number) * 100;
}

/**
 * Fine-tunes `model` (a copy) on `indices` in chunks of `interval` steps and calls `measure`
 * before the first chunk and after each. Each chunk is one training call, so Adam's moments
 * restart every `interval` steps: a cheap approximation of one continuous fine-tuning.
 */
async function fineTuneSeries(
  model: Model,
  data: Data,
  indices: BigInt64Array,
  settings: RelearnSettings,
  seed: number,
  measure: (model: Model, step: number) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<void> {
  const batch = 32;
  let current = model;
  if (await measure(current, 0)) return;
  for (let step = settings.interval, chunk = 0; step <= settings.maxSteps; step += settings.interval, ++chunk) {
    const { model: next } = await train(
      current,
      { dataset: data, indices: cyclicIndices(indices, chunk * settings.interval * batch, settings.interval * batch) },
      { epochs: 1, batchSize: batch, learningRate: settings.learningRate, seed: seed + chunk, signal },
    );
    current = next;
    if (await measure(current, step)) return;
  }
}

async function relearnMeasures(
  model: Model,
  data: Data,
  split: Split,
  settings: RelearnSettings,
  target: number,
  seed: number,
  signal?: AbortSignal,
): Promise<{ steps: number | null; curve: { steps: number[]; gap: number[] } }> {
  const forget = split.forgetIndices.toTypedArray() as BigInt64Array;
  const retain = split.retainIndices.toTypedArray() as BigInt64Array;
  const forgetProbe = forget.subarray(0, settings.evalSamples);
  const retainProbe = retain.subarray(0, settings.evalSamples);

  const accuracies: number[] = [];
  const at: number[] = [];
  await fineTuneSeries(model, data, forget, settings, seed, async (current, step) => {
    accuracies.push(await accuracyOn(current, data, forgetProbe, signal));
    at.push(step);
    return accuracies[accuracies.length - 1] >= target;
  }, signal);
  const relearn = relearnTime({ accuracies, steps: at, target });

  const curve = { steps: [] as number[], gap: [] as number[] };
  await fineTuneSeries(model, data, retain, settings, seed, async (current, step) => {
    curve.steps.push(step);
    curve.gap.push((await accuracyOn(current, data, retainProbe, signal)) - (await accuracyOn(current, data, forgetProbe, signal)));
    return false;
  }, signal);
  return { steps: relearn.steps, curve };
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim() || null;
  } catch {
    return null;
  }
}

function scenarioOf(dataset: DatasetName, scenario: ScenarioKind) {
  return scenario === 'class'
    ? { scenario: { type: 'class' as const, classes: [0] }, forgetRepeat: dataset === 'cifar100' ? 10 : 1 }
    : { scenario: { type: 'random' as const, fraction: 0.1 }, forgetRepeat: 1 };
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError('reproduce: aborted');
}

/**
 * Calls `work` on every item, at most `limit` at once, in order of the items. The first failure
 * aborts `stop` (so the running items end early) and is rethrown once all have settled.
 */
async function runConcurrently<T>(items: T[], limit: number, stop: AbortController, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const lane = async () => {
    while (next < items.length && !failed) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
          stop.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed) throw firstError;
}

/** Runs the protocol; see the module comment. Rejects with an AbortError when `signal` aborts (results.json stays valid). */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceSummary> {
  checkObject(options, 'reproduce: options');
  checkString(options.out, 'reproduce: options.out (the output directory)');
  const datasets = options.datasets ?? [...DATASET_NAMES];
  const scenarios = options.scenarios ?? [...SCENARIO_KINDS];
  const seeds = options.seeds ?? [0, 1, 2, 3, 4];
  const methods = options.methods ?? [...DEFAULT_REPRODUCE_METHODS];
  checkList(datasets, DATASET_NAMES, 'datasets');
  checkList(scenarios, SCENARIO_KINDS, 'scenarios');
  checkList(methods, REPRODUCE_METHODS, 'methods');
  checkNonEmptyList(seeds, 'seeds');
  seeds.forEach((seed, i) => checkCount(seed, `seeds[${i}]`, 0));
  const epochs = options.epochs ?? 20;
  checkCount(epochs, 'epochs', 1);
  const jobs = options.jobs ?? 1;
  checkCount(jobs, 'jobs', 1);
  checkCount(options.camuEpochs, 'camuEpochs', 1);
  checkCount(options.trainSubset, 'trainSubset', 10);
  checkCount(options.testSubset, 'testSubset', 10);
  const device = options.device ?? 'cpu';
  checkOneOf(device, 'reproduce: options.device', ['cpu', 'cuda']);
  if (options.retainFloor !== undefined) checkNumber(options.retainFloor, 'reproduce: options.retainFloor', { min: 0, max: 100 });
  const relearn: RelearnSettings = { ...DEFAULT_RELEARN, ...options.relearn };
  checkCount(relearn.interval, 'relearn.interval', 1);
  checkCount(relearn.maxSteps, 'relearn.maxSteps', relearn.interval);
  checkCount(relearn.evalSamples, 'relearn.evalSamples', 1);
  const auditSettings = options.audit === undefined ? undefined : checkAudit(options.audit, epochs);
  const distributed = resolveDistributed(options.distributed, 'reproduce');
  if (distributed !== undefined) {
    return withTaskGroup(distributed, nextGroupName('reproduce'), options.signal, (group) =>
      reproduceChecked(options, { datasets, scenarios, seeds, methods, epochs, jobs, relearn, auditSettings }, group),
    );
  }
  return reproduceChecked(options, { datasets, scenarios, seeds, methods, epochs, jobs, relearn, auditSettings }, undefined);
}

interface CheckedSettings {
  datasets: DatasetName[];
  scenarios: ScenarioKind[];
  seeds: number[];
  methods: ReproduceMethod[];
  epochs: number;
  jobs: number;
  relearn: RelearnSettings;
  auditSettings: Required<ReproduceAudit> | undefined;
}

/** What a rank sends rank 0 at the end of a distributed reproduction. */
interface RankRuns {
  runs: RunRecord[];
  splits: Record<string, string>;
  /** The split files this rank wrote (relative path -> contents), for rank 0 to write where missing. */
  splitFiles: Record<string, string>;
  ran: string[];
  skipped: string[];
  failed: { dataset: DatasetName; error: string }[];
}

async function reproduceChecked(options: ReproduceOptions, checked: CheckedSettings, group: TaskGroup | undefined): Promise<ReproduceSummary> {
  const { datasets, scenarios, seeds, methods, epochs, jobs, relearn, auditSettings } = checked;
  const device = options.device ?? 'cpu';
  const out = path.resolve(options.out);
  const cacheDir = path.resolve(options.cacheDir ?? path.join(out, 'cache'));
  await fsp.mkdir(path.join(out, 'splits'), { recursive: true });
  const resultsFile = path.join(out, 'results.json');
  const about = info();
  const { signal } = options;
  const reporter = options.progress ?? new ProgressReporter({ mode: 'silent' });
  // Distributed: rank 0 opens (or resumes) the results and hands them to the other ranks, which
  // need the settings and the runs already finished; nothing else reads results.json.
  const opened = async (): Promise<ResultsFile> => {
    if (group === undefined || group.rank === 0) {
      const results = await openWithHeader();
      group?.put('plan', JSON.stringify(results));
      return results;
    }
    const [plan] = await group.get(['plan'], signal);
    return validateResults(JSON.parse(plan.toString('utf8')), 'the results rank 0 opened');
  };
  const openWithHeader = () => openResults(resultsFile, {
    camuVersion: about.camuVersion,
    libtorchVersion: about.libtorchVersion,
    device,
    threads: about.threads.intraOp,
    gitCommit: gitCommit(),
    settings: {
      datasets,
      scenarios,
      seeds,
      methods,
      epochs,
      jobs,
      camuEpochs: options.camuEpochs ?? null,
      retainFloor: options.retainFloor ?? null,
      trainSubset: options.trainSubset ?? null,
      testSubset: options.testSubset ?? null,
      cifarReducedTrainSize: CIFAR_REDUCED_TRAIN_SIZE,
      relearn: { ...relearn },
      // Only when auditing: results written without an audit resume as before.
      ...(auditSettings ? { audit: { ...auditSettings } } : {}),
    },
    splits: {},
  });
  let results: ResultsFile = await opened();
  const summary: ReproduceSummary = { resultsFile, reportFiles: [], ran: [], skipped: [], failed: [] };
  if (jobs * about.threads.intraOp > about.threads.availableCores) {
    reporter.message(
      `${jobs} jobs x ${about.threads.intraOp} threads exceed the ${about.threads.availableCores} cores: ` +
        `set CAMU_NUM_THREADS=${Math.max(1, Math.floor(about.threads.availableCores / jobs))} before camu loads`,
    );
  }
  // Units running at once add to `results` synchronously; writes are queued so each writes the
  // latest state and an older state never replaces a newer one.
  let saving = Promise.resolve();
  const save = (): Promise<void> => {
    const write = saving.then(() => writeResults(resultsFile, results));
    saving = write.catch(() => undefined);
    return write;
  };

  // Distributed, each rank keeps its finished runs in the run cache (rank 0 writes results.json
  // only once every rank's runs are in), under a key of everything that makes a run comparable.
  const { runs: _runs, splits: _splits, createdAt: _created, ...header } = results;
  const comparable = { ...header, settings: Object.fromEntries(Object.entries(results.settings).filter(([key]) => !['datasets', 'scenarios', 'seeds', 'methods'].includes(key))) };
  const runCacheFile = (run: RunIdentity) =>
    path.join(cacheDir, 'runs', `${runKey(run).replace(/\//g, '-')}-${contentHash({ comparable, run: runKey(run) })}.json`);
  const mine: RankRuns = { runs: [], splits: {}, splitFiles: {}, ran: [], skipped: [], failed: [] };

  // The units' signal: the caller's abort, the first failing unit stopping the others, or (distributed)
  // another rank failing or going silent.
  const stop = new AbortController();
  const forwardAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  const watched = group === undefined ? undefined : watchedSignal(group, signal);
  watched?.signal.addEventListener('abort', () => stop.abort(watched.signal.reason), { once: true });
  const unitSignal = stop.signal;

  // A dataset is loaded by its first unit and released after its last.
  const setups = new Map<DatasetName, Promise<Setup | null>>();
  const unitsLeft = new Map<DatasetName, number>(datasets.map((dataset) => [dataset, seeds.length]));
  const setupOf = (dataset: DatasetName): Promise<Setup | null> => {
    let setup = setups.get(dataset);
    if (setup === undefined) {
      setup = loadSetup(dataset, options, unitSignal).catch((error: Error) => {
        if (error.name === 'AbortError') throw error;
        summary.failed.push({ dataset, error: error.message });
        reporter.message(`skipping ${dataset}: ${error.message}`);
        return null;
      });
      setups.set(dataset, setup);
    }
    return setup;
  };

  const runSeed = async (dataset: DatasetName, seed: number, setup: Setup): Promise<void> => {
    const { pair, architecture, reduced } = setup;
    const planned: RunIdentity[] = [];
    for (const scenario of scenarios) for (const method of methods) planned.push({ dataset, scenario, seed, method, reduced });
    const pending = pendingRuns(results, planned);
    for (const run of planned) if (!pending.includes(run)) summary.skipped.push(`${run.dataset}/${run.scenario}/${run.seed}/${run.method}`);
    if (pending.length === 0) return;

    const modelOptions: CreateModelOptions = { architecture, numClasses: pair.train.numClasses, inChannels: pair.train.shape[1], seed, device };
    const recipe = { learningRate: 1e-3, weightDecay: 1e-4, batchSize: 32, epochs };
    const dataKey = { dataset: pair.train.name, trainSize: pair.train.size, architecture, camuVersion: about.camuVersion };
    const context = (extra: Record<string, string | number>) => reporter.withContext({ dataset, seed, ...extra });
    const original = await cachedModel(cacheDir, 'original', { ...dataKey, seed, recipe }, modelOptions, () =>
      trainFromScratch(modelOptions, pair.train, { ...recipe, seed, signal: unitSignal, onProgress: context({ model: 'original' }) }),
      unitSignal,
    );
    const random = createModel({ ...modelOptions, seed: 1_000_003 + seed });

    for (const scenario of scenarios) {
      const todo = pending.filter((run) => run.scenario === scenario);
      if (todo.length === 0) continue;
      const { scenario: description, forgetRepeat } = scenarioOf(dataset, scenario);
      const splitName = `${dataset}-${scenario}-${seed}${reduced ? '-reduced' : ''}.json`;
      const splitFile = path.join(out, 'splits', splitName);
      let split: Split;
      if (existsSync(splitFile)) {
        split = await loadSplit(splitFile, pair.train);
      } else {
        split = makeSplit(pair.train, description, { seed, forgetRepeat });
        await saveSplit(split, splitFile);
      }
      results = { ...results, splits: { ...results.splits, [`${dataset}/${scenario}/${seed}`]: path.join('splits', splitName) } };
      if (group !== undefined) {
        mine.splits[`${dataset}/${scenario}/${seed}`] = path.join('splits', splitName);
        mine.splitFiles[path.join('splits', splitName)] = await fsp.readFile(splitFile, 'utf8');
      }
      const forgetKey = contentHash(Array.from(split.forgetIndices.toTypedArray() as BigInt64Array, Number));
      const retrained = await cachedModel(
        cacheDir,
        'retrain',
        { ...dataKey, seed, recipe, forget: forgetKey },
        modelOptions,
        () =>
          trainFromScratch(
            modelOptions,
            { dataset: pair.train, indices: split.retainIndices },
            { ...recipe, seed, signal: unitSignal, onProgress: context({ scenario, model: 'retrain' }) },
          ),
        unitSignal,
      );
      const target =
        (await accuracyOn(original.model, pair.train, split.forgetIndices.toTypedArray() as BigInt64Array, unitSignal)) - relearn.targetDrop;

      for (const run of todo) {
        checkAborted(unitSignal);
        const key = `${run.dataset}/${run.scenario}/${run.seed}/${run.method}`;
        if (group !== undefined && existsSync(runCacheFile(run))) {
          // Finished by an earlier distributed call that did not get to write results.json.
          const cached = JSON.parse(await fsp.readFile(runCacheFile(run), 'utf8')) as RunRecord;
          results = addRuns(results, [cached]);
          mine.runs.push(cached);
          mine.skipped.push(key);
          continue;
        }
        const onProgress = context({ scenario, method: run.method });
        const made = await modelOfRun(run, { original: original.model, retrained, split, train: pair.train, device, onProgress });
        let record: RunRecord;
        if ('stopped' in made) {
          record = made.stopped;
        } else {
          const { model, timing } = made;
          const evaluation = await evaluateUnlearning(
            { model, train: pair.train, test: pair.test, split, retrained: retrained.model, random },
            { signal: unitSignal, onProgress },
          );
          const relearned = await relearnMeasures(model, pair.train, split, relearn, target, seed, unitSignal);
          const unavailable = { ...evaluation.unavailable };
          if (relearned.steps === null) {
            unavailable['relearn.steps'] = `acc(D_f) did not reach ${target.toFixed(2)}% within ${relearn.maxSteps} fine-tuning steps`;
          }
          const audited = auditSettings ? await auditMetrics(auditSettings, run, { model, retrained: retrained.model, pair, split, seed, onProgress }) : { metrics: {}, unavailable: {} };
          Object.assign(unavailable, audited.unavailable);
          record = { ...run, metrics: { ...evaluation.metrics, ...timing, 'relearn.steps': relearned.steps, ...audited.metrics }, relearnCurve: relearned.curve };
          if (Object.keys(unavailable).length > 0) record.unavailable = unavailable;
        }
        results = addRuns(results, [record]);
        if (group === undefined) {
          results = { ...results, runs: addRetrainComparisons(results.runs) };
          await save();
        } else {
          await fsp.mkdir(path.dirname(runCacheFile(run)), { recursive: true });
          await writeFileAtomic(runCacheFile(run), `${JSON.stringify(record, null, 2)}\n`);
          mine.runs.push(record);
        }
        summary.ran.push(key);
        if ('stopped' in made) {
          reporter.message(`stopped ${key}: ${made.reason}`);
        } else {
          reporter.message(`finished ${key}`, {
            'acc.forget': Number((record.metrics['acc.forget'] ?? NaN).toFixed(2)),
            'acc.test': Number((record.metrics['acc.test'] ?? NaN).toFixed(2)),
          });
        }
        options.onRunFinished?.(findRun(results, run) as RunRecord);
      }
    }
  };

  /**
   * The model a run evaluates: the original, the retrained one, or the method's unlearned model;
   * or, when the retained-accuracy guard stopped the method, the run's record with every metric
   * unavailable for that reason.
   */
  const modelOfRun = async (
    run: RunIdentity,
    given: { original: Model; retrained: { model: Model; seconds: number }; split: Split; train: Data; device: 'cpu' | 'cuda'; onProgress: ReturnType<ProgressReporter['withContext']> },
  ): Promise<{ model: Model; timing: Record<string, number> } | { stopped: RunRecord; reason: string }> => {
    if (run.method === 'original') return { model: given.original, timing: {} };
    // Trained once per split for the distances; running the retrain method would train it again.
    if (run.method === 'retrain') return { model: given.retrained.model, timing: { 'time.seconds': given.retrained.seconds } };
    try {
      const result = await unlearn(given.original, given.split, {
        method: run.method,
        train: given.train,
        epochs: run.method === 'camu' ? options.camuEpochs : undefined,
        device: given.device,
        retainFloor: options.retainFloor,
        signal: unitSignal,
        onProgress: given.onProgress,
      });
      return { model: result.model, timing: { 'time.seconds': result.stats.seconds } };
    } catch (error) {
      if ((error as { code?: string }).code !== ErrorCode.RetainFloor) throw error;
      const reason = (error as Error).message;
      const metrics: RunRecord['metrics'] = {};
      const unavailable: NonNullable<RunRecord['unavailable']> = {};
      for (const key of METRIC_KEYS) {
        metrics[key] = null;
        unavailable[key] = reason;
      }
      return { stopped: { ...run, metrics, unavailable }, reason };
    }
  };

  /** The audit's metrics of one run's model (null with a reason where the attack does not apply). */
  const auditMetrics = async (
    settings: Required<ReproduceAudit>,
    run: RunIdentity,
    given: { model: Model; retrained: Model; pair: DatasetPair; split: Split; seed: number; onProgress: ReturnType<ProgressReporter['withContext']> },
  ): Promise<{ metrics: RunRecord['metrics']; unavailable: NonNullable<RunRecord['unavailable']> }> => {
    const common = { train: given.pair.train, test: given.pair.test, split: given.split, references: settings.references, epochs: settings.epochs, seed: given.seed, cacheDir: path.join(cacheDir, 'audit'), signal: unitSignal, onProgress: given.onProgress };
    if (settings.attack === 'rmia') {
      const result = await audit({ ...common, model: given.model });
      return { metrics: { 'audit.rmia.auc': result.forgetVsTest.auc, 'audit.rmia.tpr': result.forgetVsTest.tprAtFpr[0].tpr }, unavailable: {} };
    }
    if (run.method === 'original' || run.method === 'retrain') {
      const reason = 'U-LiRA compares an unlearning method\'s model with the retrained one';
      return { metrics: { 'audit.ulira.auc': null, 'audit.ulira.tpr': null }, unavailable: { 'audit.ulira.auc': reason, 'audit.ulira.tpr': reason } };
    }
    const methodOptions = { epochs: run.method === 'camu' ? options.camuEpochs : undefined, retainFloor: options.retainFloor };
    const result = await audit({ ...common, attack: 'ulira', model: given.model, retrained: given.retrained, method: run.method, methodOptions });
    return { metrics: { 'audit.ulira.auc': result.unlearnedVsRetrained.auc, 'audit.ulira.tpr': result.unlearnedVsRetrained.tprAtFpr[0].tpr }, unavailable: {} };
  };

  const units = datasets.flatMap((dataset) => seeds.map((seed) => ({ dataset, seed })));
  const runUnit = async ({ dataset, seed }: { dataset: DatasetName; seed: number }) => {
    try {
      checkAborted(unitSignal);
      const setup = await setupOf(dataset);
      if (setup !== null) await runSeed(dataset, seed, setup);
    } finally {
      const left = (unitsLeft.get(dataset) as number) - 1;
      unitsLeft.set(dataset, left);
      if (left === 0) setups.delete(dataset);
    }
  };
  try {
    if (group === undefined) {
      await runConcurrently(units, jobs, stop, runUnit);
    } else {
      // Every rank walks the same unit list; the shared counter hands each unit to one rank. A
      // failing unit stops this rank's other lanes, as runConcurrently does. The counter only
      // grows and units come dataset by dataset, so a dataset whose last unit lies behind what
      // this rank has taken, and that no lane of it still uses, will not be needed here again.
      const lastUnit = new Map(units.map((unit, index) => [unit.dataset, index]));
      const inUse = new Map<DatasetName, number>();
      let highest = -1;
      await takeEach(group, 'units', units.length, jobs, async (index) => {
        const { dataset } = units[index];
        highest = Math.max(highest, index);
        inUse.set(dataset, (inUse.get(dataset) ?? 0) + 1);
        try {
          await runUnit(units[index]);
        } catch (error) {
          stop.abort(error);
          throw error;
        } finally {
          inUse.set(dataset, (inUse.get(dataset) as number) - 1);
          for (const [name, last] of lastUnit) if (last <= highest && (inUse.get(name) ?? 0) === 0) setups.delete(name);
        }
      });
    }
  } catch (error) {
    // A unit aborted because another rank failed or went silent: that is the error to report.
    if (watched?.reason() !== undefined && !signal?.aborted) throw watched.reason();
    throw error;
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
    watched?.stop();
    await saving;
  }
  if (group === undefined) {
    await save();
    summary.reportFiles = await writeReport(out, results);
    return summary;
  }
  return gatherRuns(group, { ...mine, ran: summary.ran, skipped: [...summary.skipped, ...mine.skipped], failed: summary.failed }, {
    out,
    resultsFile,
    results,
    signal,
  });
}

/**
 * The end of a distributed reproduction: every rank sends its runs to rank 0, which adds them to
 * the results it opened and writes results.json, the split files it lacks and the report, each
 * atomically; the other ranks wait for that, so that every rank's exit says whether the whole run
 * was written. Every rank returns the same summary.
 */
async function gatherRuns(
  group: TaskGroup,
  mine: RankRuns,
  given: { out: string; resultsFile: string; results: ResultsFile; signal?: AbortSignal },
): Promise<ReproduceSummary> {
  const ranks = Array.from({ length: group.worldSize }, (_, r) => r);
  group.put(`runs/${group.rank}`, JSON.stringify(mine));
  const all = (await group.get(ranks.map((r) => `runs/${r}`), given.signal)).map((value) => JSON.parse(value.toString('utf8')) as RankRuns);
  const summary: ReproduceSummary = {
    resultsFile: given.resultsFile,
    reportFiles: [],
    ran: all.flatMap((r) => r.ran).sort(),
    skipped: all.flatMap((r) => r.skipped).sort(),
    failed: all.flatMap((r) => r.failed),
  };
  if (group.rank !== 0) {
    const [written] = await group.get(['written'], given.signal);
    summary.reportFiles = JSON.parse(written.toString('utf8')) as string[];
    return summary;
  }
  // Rank 0's own results hold its runs without the others'; every rank's runs are in `all`.
  let results = given.results;
  results = addRuns(results, all.flatMap((r) => r.runs));
  results = { ...results, runs: addRetrainComparisons(results.runs), splits: { ...results.splits, ...Object.assign({}, ...all.map((r) => r.splits)) } };
  for (const rank of all) {
    for (const [relative, text] of Object.entries(rank.splitFiles)) {
      const file = path.join(given.out, relative);
      if (!existsSync(file)) await writeFileAtomic(file, text);
    }
  }
  await writeResults(given.resultsFile, results);
  summary.reportFiles = await writeReport(given.out, results);
  group.put('written', JSON.stringify(summary.reportFiles));
  return summary;
}
