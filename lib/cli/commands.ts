/**
 * What each command of the camu command line does (index.ts is the executable, spec.ts declares
 * the commands and their options, program.ts parses command lines).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CamuError,
  ErrorCode,
  createModel,
  evaluateUnlearning,
  info,
  loadSplit,
  loadTorchScript,
  loadWeights,
  makeSplit,
  measureThroughput,
  saveSplit,
  saveWeights,
  trainFromScratch,
  unlearn,
} from '../index';
import type { Architecture, CreateModelOptions, Dataset, DatasetPair, Model, Precision, Progress, Scenario, Split, TrainResult, UnlearnResult, UnlearningEvaluation } from '../index';
import { loadCifar10, loadCifar100, loadFashionMnist, loadMnist } from '../datasets';
import { audit, AuditResult, rocPlotSvg, RocSummary } from '../audit';
import { writeFileAtomic } from '../fs-atomic';
import { DistributedBackend, distributedFromEnv, DistributedOptions, isWritingRank } from '../distributed';
import { launch } from './launch';

/**
 * This process's rank from the variables `camu launch` sets, with `--check-every` (which compares
 * the ranks' weights, so it needs ranks: a usage error in one process).
 */
function rankWithChecks(checkEvery: number | undefined): DistributedOptions | undefined {
  const distributed = distributedFromEnv();
  if (checkEvery === undefined) return distributed;
  if (!(checkEvery >= 1)) throw new UsageError(`--check-every must be at least 1, got ${checkEvery}`);
  if (distributed === undefined) {
    throw new UsageError('--check-every compares the ranks\' weights: it applies under camu launch (WORLD_SIZE above 1)');
  }
  return { ...distributed, checkEvery };
}

/** The commands `camu launch` runs across ranks: data-parallel (train, unlearn) or task-parallel (reproduce, audit). */
const LAUNCHABLE = ['train', 'unlearn', 'reproduce', 'audit'];
import { DATASET_NAMES, DatasetName, ScenarioKind } from '../reproduce/schema';
import { ProgressReporter } from '../reproduce/progress';
import { reproduce } from '../reproduce/run';
import { readResults } from '../reproduce/store';
import { writeReport } from '../reproduce/report';
import { formatValue as formatMetric } from '../reproduce/table';
import { metricInfo, ReportedMetricKey } from '../metrics/catalogue';
import { MethodDescriptor, optionFlag } from '../unlearn/descriptor';
import { OptionValues } from './options';
import { CliIo, formatValue, printResult, renderTable } from './output';
import { parseCommandLine } from './program';
import { DEMO, ZRF_RANDOM_SEED } from './spec';
import { UsageError } from './usage';

interface Context {
  io: CliIo;
  values: OptionValues;
  argument?: string;
  /** launch: the command line to run on every rank. */
  rest?: string[];
  method?: MethodDescriptor;
}

/** Options every command that reads a dataset takes. */
interface DataValues {
  dataset: DatasetName;
  dir?: string;
  resolution: 32 | 224;
  precision?: Precision;
  /** train, unlearn and evaluate: where the models run (--device). */
  device?: 'cpu' | 'cuda';
}

/** The dataset's architecture, the compute precision and the device asked for: what model files load into. */
type ModelKind = Pick<CreateModelOptions, 'architecture' | 'precision' | 'device'>;

/** Runs `body` with an AbortSignal that SIGINT (Ctrl-C) aborts, and a progress reporter on stderr. */
async function withAbort<T>(io: CliIo, label: string, body: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = new ProgressReporter({ label, stream: io.stderr });
  try {
    return await body(controller.signal, progress);
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.close();
  }
}

/** What is at `file`, if anything; a path through a file (ENOTDIR) holds nothing (prepareOutputDirectory reports it). */
function existingEntry(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Usage errors, before any work: an output that is also an input or another output (even with
 * --force: the run would read what it destroys), an output that is a folder, FIFO or device, and
 * an output file that exists, unless --force.
 */
function refuseOverwrite(outputs: Record<string, string | undefined>, force: unknown, inputs: Record<string, string | undefined> = {}): void {
  const claimed = new Map<string, string>();
  for (const [name, file] of Object.entries(inputs)) if (file !== undefined) claimed.set(path.resolve(file), name);
  for (const [name, file] of Object.entries(outputs)) {
    if (file === undefined) continue;
    const other = claimed.get(path.resolve(file));
    if (other !== undefined) throw new UsageError(`${optionFlag(name)}: ${file} is also ${optionFlag(other)}; write the result to another file`);
    claimed.set(path.resolve(file), name);
  }
  for (const [name, file] of Object.entries(outputs)) {
    const existing = file === undefined ? undefined : existingEntry(file);
    if (existing === undefined) continue;
    if (!existing.isFile()) {
      throw new UsageError(`${optionFlag(name)}: ${file} is ${existing.isDirectory() ? 'a folder' : 'not a regular file'}; name a file to write`);
    }
    if (force !== true) throw new UsageError(`${optionFlag(name)}: ${file} exists; give --force to overwrite it`);
  }
}

/**
 * Makes `dir` (an output folder) and proves a file can be created in it, the way the atomic
 * writers will (a temporary file beside the target): a read-only disk, a missing permission or a
 * path through a file fails now, in the first second, not after the training it would hold.
 */
function prepareOutputDirectory(option: string, dir: string): void {
  const where = `${optionFlag(option)}: cannot write to ${dir}`;
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new CamuError(`${where}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${optionFlag(option)}: ${dir} is not a folder`);
  const probe = path.join(dir, `.camu-write-check-${process.pid}-${Date.now()}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.unlinkSync(probe);
  } catch (error) {
    throw new CamuError(`${where}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
}

/** An output file's folder, ready (prepareOutputDirectory); refuseOverwrite has checked the file. */
function prepareOutputFile(option: string, file: string): void {
  prepareOutputDirectory(option, path.dirname(path.resolve(file)));
}

/** A dataset by its CLI name; CIFAR at 32 px (resnet18-cifar) or 224 px (resnet18). */
async function loadNamedDataset({ dataset, dir, resolution, precision, device }: DataValues, signal: AbortSignal): Promise<{ pair: DatasetPair; kind: ModelKind }> {
  if (dataset === 'mnist') return { pair: await loadMnist({ dir, signal }), kind: { architecture: 'cnn', precision, device } };
  if (dataset === 'fashion') return { pair: await loadFashionMnist({ dir, signal }), kind: { architecture: 'cnn', precision, device } };
  const options = { dir, resolution, download: dir === undefined, signal };
  const pair = dataset === 'cifar10' ? await loadCifar10(options) : await loadCifar100(options);
  return { pair, kind: { architecture: resolution === 32 ? 'resnet18-cifar' : 'resnet18', precision, device } };
}

/** How the model files of a command may run code: --trust-torchscript and --forward-timeout. */
interface TorchScriptValues {
  trustTorchscript?: boolean;
  forwardTimeout?: number;
}

function isTorchScriptFile(file: string): boolean {
  return /\.(pt|pth|ts)$/i.test(file);
}

/**
 * Before any work starts, refuses a TorchScript model file without --trust-torchscript, and with a
 * --precision other than float32 (a module runs as its own code computes; only camu's ResNets
 * take a precision).
 */
function checkModelFiles(files: Record<string, string | undefined>, values: TorchScriptValues & { precision?: Precision }): void {
  for (const [option, file] of Object.entries(files)) {
    if (file === undefined || !isTorchScriptFile(file)) continue;
    if (values.precision !== undefined && values.precision !== 'float32') {
      throw new UsageError(`--precision ${values.precision}: ${optionFlag(option)} ${file} is TorchScript, which runs in its own precision; give camu's ResNet weights as safetensors`);
    }
    if (values.trustTorchscript !== true) {
      throw new UsageError(
        `${optionFlag(option)}: ${file} is TorchScript, whose code runs when it is loaded and used; ` +
          'give --trust-torchscript if you trust where it comes from, or use its weights as safetensors (docs/reliability.md)',
      );
    }
  }
}

/** A .pt / .pth / .ts file is TorchScript; anything else safetensors weights of the dataset's architecture. */
async function loadModelFile(file: string, kind: ModelKind, numClasses: number, values: TorchScriptValues, signal: AbortSignal): Promise<Model> {
  if (isTorchScriptFile(file)) {
    return loadTorchScript(file, { trustCode: values.trustTorchscript === true, forwardTimeout: values.forwardTimeout, device: kind.device, signal });
  }
  return loadWeights(createModel({ ...kind, numClasses }), file, { signal });
}

type OnProgress = (progress: Progress) => void;

/** train's work: a fresh model of the dataset's architecture, trained with the paper's recipe on the train set or on a split's D_r. */
function trainModel(
  { pair, kind }: { pair: DatasetPair; kind: ModelKind },
  v: { epochs: number; seed: number; checkWeights?: boolean; distributed?: DistributedOptions },
  split: Split | undefined,
  signal: AbortSignal,
  onProgress: OnProgress,
): Promise<TrainResult> {
  return trainFromScratch(
    { ...kind, numClasses: pair.train.numClasses, seed: v.seed },
    { dataset: pair.train, indices: split?.retainIndices },
    { epochs: v.epochs, seed: v.seed, checkWeights: v.checkWeights === true, distributed: v.distributed, signal, onProgress },
  );
}

/** unlearn's settings besides the method's own options; absent ones take the library's defaults. */
interface UnlearnValues {
  preset?: string;
  ablate?: string[];
  retainFloor?: number;
  retainProbe?: number;
  retainChecks?: number;
  checkWeights?: boolean;
  checkEvery?: number;
  /** Under camu launch: this process's rank (the variables). */
  distributed?: DistributedOptions;
}

/** unlearn's work: `method` with the options given (the method's own in `methodOptions`). */
function unlearnModel(
  model: Model,
  split: Split,
  train: Dataset,
  method: string,
  methodOptions: Record<string, unknown>,
  v: UnlearnValues,
  signal: AbortSignal,
  onProgress: OnProgress,
): Promise<UnlearnResult> {
  return unlearn(model, split, {
    ...methodOptions,
    method,
    train,
    preset: v.preset,
    ablate: v.ablate,
    retainFloor: v.retainFloor,
    retainProbe: v.retainProbe,
    retainChecks: v.retainChecks,
    checkWeights: v.checkWeights === true,
    // The run goes where --device put the model.
    device: model.device.startsWith('cuda') ? 'cuda' : 'cpu',
    distributed: v.distributed,
    signal,
    onProgress,
  });
}

/** evaluate's work: every metric of `model` on `split`, with distances to `retrained` when given. */
function evaluateModel(
  model: Model,
  { pair, kind }: { pair: DatasetPair; kind: ModelKind },
  split: Split,
  retrained: Model | undefined,
  randomSeed: number,
  signal: AbortSignal,
  onProgress: OnProgress,
): Promise<UnlearningEvaluation> {
  // ZRF compares with an untrained model of the same architecture (built-in architectures only).
  const random = model.architecture === 'torchscript' ? undefined : createModel({ ...kind, numClasses: pair.train.numClasses, seed: randomSeed });
  return evaluateUnlearning({ model, train: pair.train, test: pair.test, split, retrained, random }, { signal, onProgress });
}

/** audit.json's contents: the result without its per-row scores, with the rows counted. */
function auditReport(result: AuditResult): Record<string, unknown> {
  if (result.attack === 'ulira') {
    const { scores: _scores, ...summaries } = result;
    void _scores;
    return summaries;
  }
  const { groups, ...summaries } = result;
  return { ...summaries, rows: { forget: groups.forget.rows, retain: groups.retain.rows, test: groups.test.rows } };
}

/** roc.svg: the audit's ROC curves on log-log axes. */
function auditPlot(result: AuditResult, model: string, dataset: string): string {
  if (result.attack === 'ulira') {
    return rocPlotSvg({
      title: `U-LiRA: ${model} (unlearned) against the retrained model on D_f rows`,
      subtitle: `${result.shadows.count} shadow experiments with ${result.method}; ${dataset}`,
      curves: [
        { label: `U-LiRA, ${result.method}`, curve: result.unlearnedVsRetrained.curve },
        ...(result.heldOutShadows === null ? [] : [{ label: 'held-out shadows', curve: result.heldOutShadows.curve }]),
      ],
    });
  }
  return rocPlotSvg({
    title: `Membership of ${model}: D_f and D_r rows against test rows`,
    subtitle: `RMIA with ${result.references.count} reference models; ${dataset}`,
    curves: [
      { label: 'RMIA, D_f', curve: result.forgetVsTest.curve },
      { label: 'RMIA, D_r', curve: result.retainVsTest.curve },
      { label: 'loss attack, D_f', curve: result.lossAttack.forgetVsTest.curve },
    ],
  });
}

/** audit's printed result: each comparison's AUC and TPR at 1% and 0.1% FPR with their 95% intervals. */
function auditSummary(result: AuditResult, files: string[]) {
  const line = (summary: RocSummary) => {
    const { auc, tprAtFpr, bootstrap } = summary;
    const interval = ({ low, high }: { low: number; high: number }) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;
    return {
      auc: `${auc.toFixed(3)} ${interval(bootstrap.auc)}`,
      ...Object.fromEntries(tprAtFpr.map(({ fpr, tpr }, i) => [`tpr@${fpr * 100}%fpr`, `${tpr.toFixed(4)} ${interval(bootstrap.tprAtFpr[i])}`])),
    };
  };
  if (result.attack === 'ulira') {
    const { method, shadows, rows, observationsPerRow, variance, seconds } = result;
    const held = result.heldOutShadows;
    const heldOutShadows = held === null ? null : { ...line(held), aucByExperiments: `[${held.aucByExperiments.low.toFixed(3)}, ${held.aucByExperiments.high.toFixed(3)}]` };
    return { attack: 'ulira', method, shadows, rows, observationsPerRow, variance, unlearnedVsRetrained: line(result.unlearnedVsRetrained), heldOutShadows, seconds, files };
  }
  return {
    attack: result.attack,
    references: result.references,
    rows: { forget: result.groups.forget.rows, retain: result.groups.retain.rows, test: result.groups.test.rows, populationSamples: result.populationSamples },
    rmia: { forgetVsTest: line(result.forgetVsTest), retainVsTest: line(result.retainVsTest) },
    lossAttack: { forgetVsTest: line(result.lossAttack.forgetVsTest), retainVsTest: line(result.lossAttack.retainVsTest) },
    seconds: result.seconds,
    files,
  };
}

/** evaluate's table: the split, then one row per metric (with the reason where it is unavailable). */
function evaluationTable(result: { split: string } & UnlearningEvaluation): string {
  // Each metric with its catalogue's decimals, as results.md shows it.
  const metrics = Object.entries(result.metrics).map(([key, value]) => [
    key,
    value === null ? '-' : metricInfo(key) ? formatMetric(key as ReportedMetricKey, value) : formatValue(value),
    value === null ? (result.unavailable[key] ?? '') : '',
  ]);
  return [
    renderTable([
      ['split', result.split],
      ['mia.camu training rows', String(result.miaCamuTrainSize)],
    ]),
    '',
    renderTable([['metric', 'value', ''], ...metrics]),
  ].join('\n');
}

/** demo's printed result: what it did, in how long, and what it wrote. */
export interface DemoSummary {
  dataset: string;
  split: string;
  train: { architecture: Architecture; epochs: number; seed: number; steps: number; seconds: number };
  unlearn: { method: string; preset: string | null; seconds: number };
  evaluate: { seconds: number };
  /** Every metric of the original and of the unlearned model (as camu evaluate prints them). */
  metrics: { original: UnlearningEvaluation['metrics']; unlearned: UnlearningEvaluation['metrics'] };
  files: { original: string; split: string; unlearned: string };
  seconds: number;
}

/** demo's summary for a person: the steps, the accuracies before and after, the files. */
export function demoText(summary: DemoSummary): string {
  const { train, unlearn: removal, metrics, files } = summary;
  const seconds = (value: number) => `${value.toFixed(1)} s`;
  const row = (key: 'acc.forget' | 'acc.retain' | 'acc.test' | 'acc.testRemaining', label: string) => {
    const cell = (value: number | null | undefined) => (value === null || value === undefined ? '-' : `${formatMetric(key, value)}%`);
    return [label, cell(metrics.original[key]), cell(metrics.unlearned[key])];
  };
  return [
    `Trained the paper CNN on MNIST for ${train.epochs} epoch (seed ${train.seed}, ${train.steps} steps) in ${seconds(train.seconds)}.`,
    `Unlearned class ${DEMO.forgetClass} with ${removal.method}${removal.preset === null ? '' : ` (preset ${removal.preset})`} in ${seconds(removal.seconds)}.`,
    `Evaluated both models in ${seconds(summary.evaluate.seconds)}.`,
    `Split: ${summary.split}`,
    '',
    renderTable([
      ['accuracy', 'original', 'unlearned'],
      row('acc.forget', 'D_f (forgotten)'),
      row('acc.retain', 'D_r (retained)'),
      row('acc.test', 'T (test)'),
      row('acc.testRemaining', `T without class ${DEMO.forgetClass}`),
    ]),
    '',
    `Wrote ${files.original}, ${files.split} and ${files.unlearned} (${seconds(summary.seconds)} in all).`,
    `Every metric of the unlearned model: camu evaluate --model ${files.unlearned} --dataset mnist --split ${files.split}`,
  ].join('\n');
}

/** The values as their command's declarations (spec.ts) make them: resolveValues checked each. */
function typed<T>(values: OptionValues): T {
  return values as unknown as T;
}

/** A runner's exit status when it is not 0 (launch passes a failed rank's on); nothing: 0. */
const RUNNERS: Record<string, (context: Context) => Promise<void | number>> = {
  async info({ io, values }) {
    const { parallelism, ...about } = info();
    void parallelism;
    printResult(io.stdout, about, values.json === true);
  },

  async demo({ io, values }) {
    const out = typed<{ out: string }>(values).out;
    const files = {
      original: path.join(out, 'original.safetensors'),
      split: path.join(out, 'split.json'),
      unlearned: path.join(out, 'unlearned.safetensors'),
    };
    for (const file of Object.values(files)) refuseOverwrite({ out: file }, values.force);
    prepareOutputDirectory('out', out);
    const started = Date.now();
    await withAbort(io, 'demo', async (signal, progress) => {
      progress.message('loading MNIST');
      const data = await loadNamedDataset({ dataset: 'mnist', resolution: 32 }, signal);
      const { train } = data.pair;
      progress.message(`training the paper CNN on MNIST for ${DEMO.epochs} epoch (seed ${DEMO.seed})`);
      const trained = await trainModel(data, DEMO, undefined, signal, progress.update);
      await saveWeights(trained.model, files.original, { signal });
      const split = makeSplit(train, { type: 'class', classes: [DEMO.forgetClass] }, { seed: DEMO.seed });
      await saveSplit(split, files.split);
      progress.message(`unlearning class ${DEMO.forgetClass} with ${DEMO.method}`);
      const unlearned = await unlearnModel(trained.model, split, train, DEMO.method, {}, {}, signal, progress.update);
      await saveWeights(unlearned.model, files.unlearned, { signal });
      const evaluating = Date.now();
      progress.message('evaluating the original model');
      const before = await evaluateModel(trained.model, data, split, undefined, ZRF_RANDOM_SEED, signal, progress.update);
      progress.message('evaluating the unlearned model');
      const after = await evaluateModel(unlearned.model, data, split, undefined, ZRF_RANDOM_SEED, signal, progress.update);
      const summary: DemoSummary = {
        dataset: train.name,
        split: split.description,
        train: { architecture: data.kind.architecture, epochs: DEMO.epochs, seed: DEMO.seed, steps: trained.steps, seconds: trained.seconds },
        unlearn: { method: unlearned.stats.method, preset: unlearned.stats.preset, seconds: unlearned.stats.seconds },
        evaluate: { seconds: (Date.now() - evaluating) / 1000 },
        metrics: { original: before.metrics, unlearned: after.metrics },
        files,
        seconds: (Date.now() - started) / 1000,
      };
      printResult(io.stdout, summary, values.json === true, demoText);
    });
  },

  async throughput({ io, values }) {
    const v = typed<{ op: 'matmul' | 'conv'; size: number; iterations: number }>(values);
    await withAbort(io, v.op, async (signal, progress) => {
      const result = await measureThroughput({ op: v.op, size: v.size, iterations: v.iterations, signal, onProgress: progress.update });
      printResult(io.stdout, result, values.json === true);
    });
  },

  async launch({ io, values, rest }) {
    const v = typed<{ ranks: number; timeout: number; threadsPerRank?: number; backend: DistributedBackend }>(values);
    if (!rest || rest.length === 0) throw new UsageError('give the camu command to run after --');
    if (rest[0] === 'launch') throw new UsageError('launch cannot launch itself');
    if (!LAUNCHABLE.includes(rest[0])) throw new UsageError(`launch runs ${LAUNCHABLE.join(', ')} across ranks, not '${rest[0]}'`);
    if (!(v.ranks >= 1)) throw new UsageError('--ranks must be at least 1');
    if (!(v.timeout > 0)) throw new UsageError('--timeout must be positive');
    if (v.threadsPerRank !== undefined && !(v.threadsPerRank >= 1)) throw new UsageError('--threads-per-rank must be at least 1');
    const gpus = info().cuda.devices.length;
    return launch({ ranks: v.ranks, timeoutSeconds: v.timeout, threadsPerRank: v.threadsPerRank, backend: v.backend, gpus, command: rest }, io);
  },

  async train({ io, values }) {
    const v = typed<DataValues & { out: string; epochs: number; seed: number; split?: string; checkWeights?: boolean; checkEvery?: number }>(values);
    // Under camu launch (WORLD_SIZE and RANK set) this process is one rank: all ranks train, and
    // rank 0 alone writes the weights, after every rank has finished the last step.
    const distributed = rankWithChecks(v.checkEvery);
    const writes = isWritingRank(distributed);
    if (writes) {
      refuseOverwrite({ out: v.out }, values.force, { split: v.split });
      prepareOutputFile('out', v.out);
    }
    await withAbort(io, 'train', async (signal, progress) => {
      const data = await loadNamedDataset(v, signal);
      const split = v.split === undefined ? undefined : await loadSplit(v.split, data.pair.train);
      const result = await trainModel(data, { ...v, distributed }, split, signal, progress.update);
      if (!writes) return;
      await saveWeights(result.model, v.out, { signal });
      const summary = {
        out: v.out, architecture: data.kind.architecture, epochs: v.epochs, steps: result.steps, seconds: result.seconds, epochLosses: result.epochLosses,
        ...(distributed ? { ranks: distributed.worldSize, allReduceSeconds: result.allReduceSeconds ?? 0 } : {}),
      };
      printResult(io.stdout, summary, values.json === true);
    });
  },

  async unlearn({ io, values, method }) {
    const v = typed<DataValues & TorchScriptValues & UnlearnValues & {
      model: string;
      out: string;
      split?: string;
      scenario?: Scenario;
      seed: number;
      saveSplit?: string;
    }>(values);
    const descriptor = method as MethodDescriptor;
    if ((v.split === undefined) === (v.scenario === undefined)) throw new UsageError('give exactly one of --split and --scenario');
    checkModelFiles({ model: v.model }, v);
    // Under camu launch this process is one rank: all ranks unlearn, rank 0 alone writes.
    const distributed = rankWithChecks(v.checkEvery);
    const writes = isWritingRank(distributed);
    if (writes) refuseOverwrite({ out: v.out, saveSplit: v.saveSplit }, values.force, { model: v.model, split: v.split });
    const methodOptions = Object.fromEntries(Object.keys(descriptor.options).filter((name) => values[name] !== undefined).map((name) => [name, values[name]]));
    if (writes) prepareOutputFile('out', v.out);
    if (writes && v.saveSplit) prepareOutputFile('saveSplit', v.saveSplit);
    await withAbort(io, 'unlearn', async (signal, progress) => {
      const { pair, kind } = await loadNamedDataset(v, signal);
      const model = await loadModelFile(v.model, kind, pair.train.numClasses, v, signal);
      let split: Split;
      if (v.split !== undefined) {
        split = await loadSplit(v.split, pair.train);
      } else {
        split = makeSplit(pair.train, v.scenario as Scenario, { seed: v.seed });
        if (writes && v.saveSplit) await saveSplit(split, v.saveSplit);
      }
      const result = await unlearnModel(model, split, pair.train, descriptor.name, methodOptions, { ...v, distributed }, signal, progress.update);
      if (!writes) return;
      await saveWeights(result.model, v.out, { signal });
      const { epochs, ...stats } = result.stats;
      printResult(io.stdout, { out: v.out, split: split.description, ...stats, epochs: epochs.length }, values.json === true);
    });
  },

  async evaluate({ io, values }) {
    const v = typed<DataValues & TorchScriptValues & { model: string; split: string; retrained?: string; randomSeed: number }>(values);
    checkModelFiles({ model: v.model, retrained: v.retrained }, v);
    await withAbort(io, 'evaluate', async (signal, progress) => {
      const data = await loadNamedDataset(v, signal);
      const { pair, kind } = data;
      const numClasses = pair.train.numClasses;
      const model = await loadModelFile(v.model, kind, numClasses, v, signal);
      const split = await loadSplit(v.split, pair.train);
      const retrained = v.retrained === undefined ? undefined : await loadModelFile(v.retrained, kind, numClasses, v, signal);
      const result = await evaluateModel(model, data, split, retrained, v.randomSeed, signal, progress.update);
      printResult(io.stdout, { split: split.description, ...result }, values.json === true, evaluationTable);
    });
  },

  async audit({ io, values }) {
    const v = typed<DataValues & TorchScriptValues & {
      model: string;
      split: string;
      attack: 'rmia' | 'ulira';
      references: number;
      retrained?: string;
      method: string;
      preset?: string;
      rmiaMode?: 'online' | 'offline';
      rmiaA?: number;
      rmiaGamma?: number;
      epochs: number;
      seed: number;
      jobs: number;
      maxRows?: number;
      out: string;
      cacheDir?: string;
    }>(values);
    if (v.attack === 'ulira' && v.retrained === undefined) throw new UsageError('--attack ulira needs --retrained, the model retrained without D_f');
    checkModelFiles({ model: v.model, retrained: v.retrained }, v);
    const jsonFile = path.join(v.out, 'audit.json');
    const plotFile = path.join(v.out, 'roc.svg');
    for (const file of [jsonFile, plotFile]) refuseOverwrite({ out: file }, values.force, { model: v.model, split: v.split });
    prepareOutputDirectory('out', v.out);
    const cacheDir = v.cacheDir ?? path.join(v.out, 'cache');
    prepareOutputDirectory('cacheDir', cacheDir);
    // Under camu launch the ranks share the references' training; rank 0 alone writes.
    const distributed = distributedFromEnv();
    const writes = isWritingRank(distributed);
    await withAbort(io, 'audit', async (signal, progress) => {
      const { pair, kind } = await loadNamedDataset(v, signal);
      const model = await loadModelFile(v.model, kind, pair.train.numClasses, v, signal);
      const split = await loadSplit(v.split, pair.train);
      const retrained = v.retrained === undefined ? undefined : await loadModelFile(v.retrained, kind, pair.train.numClasses, v, signal);
      const result = await audit({
        model,
        retrained,
        train: pair.train,
        test: pair.test,
        split,
        attack: v.attack,
        method: v.method,
        methodOptions: v.preset === undefined ? {} : { preset: v.preset },
        rmia: { mode: v.rmiaMode, a: v.rmiaA, gamma: v.rmiaGamma },
        references: v.references,
        epochs: v.epochs,
        seed: v.seed,
        jobs: v.jobs,
        maxRows: v.maxRows,
        cacheDir,
        distributed,
        signal,
        onProgress: progress.update,
      });
      if (!writes) return;
      const report = { model: v.model, split: v.split, dataset: v.dataset, ...auditReport(result) };
      await writeFileAtomic(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
      await writeFileAtomic(plotFile, auditPlot(result, path.basename(v.model), v.dataset));
      printResult(io.stdout, auditSummary(result, [jsonFile, plotFile]), values.json === true);
    });
  },

  async reproduce({ io, values }) {
    const v = typed<{
      out: string;
      datasets?: DatasetName[];
      scenarios?: ScenarioKind[];
      seeds?: number[];
      methods?: string[];
      epochs: number;
      camuEpochs?: number;
      device: 'cpu' | 'cuda';
      cacheDir?: string;
      jobs: number;
      trainSubset?: number;
      testSubset?: number;
      relearnSteps: number;
      relearnInterval: number;
      retainFloor?: number;
      audit?: 'rmia' | 'ulira';
      auditReferences: number;
      auditEpochs?: number;
    }>(values);
    const dataDirs: Partial<Record<DatasetName, string>> = {};
    for (const dataset of DATASET_NAMES) {
      const dir = values[`${dataset}Dir`];
      if (typeof dir === 'string') dataDirs[dataset] = dir;
    }
    prepareOutputDirectory('out', v.out);
    if (v.cacheDir !== undefined) prepareOutputDirectory('cacheDir', v.cacheDir);
    const started = Date.now();
    // Under camu launch the ranks share the units; rank 0 alone writes the results and reports.
    const distributed = distributedFromEnv();
    await withAbort(io, 'reproduce', async (signal, progress) => {
      const summary = await reproduce({
        out: v.out,
        datasets: v.datasets,
        scenarios: v.scenarios,
        seeds: v.seeds,
        methods: v.methods,
        epochs: v.epochs,
        camuEpochs: v.camuEpochs,
        device: v.device,
        retainFloor: v.retainFloor,
        jobs: v.jobs,
        cacheDir: v.cacheDir,
        trainSubset: v.trainSubset,
        testSubset: v.testSubset,
        dataDirs,
        relearn: { maxSteps: v.relearnSteps, interval: v.relearnInterval },
        audit: v.audit === undefined ? undefined : { attack: v.audit, references: v.auditReferences, epochs: v.auditEpochs },
        distributed,
        signal,
        progress,
      });
      if (isWritingRank(distributed)) {
        printResult(io.stdout, { ...summary, ...(distributed ? { ranks: distributed.worldSize } : {}), seconds: (Date.now() - started) / 1000 }, values.json === true);
      }
      if (summary.ran.length === 0 && summary.skipped.length === 0) throw new CamuError('no dataset could be loaded', 'ERR_CAMU_IO');
    });
  },

  async report({ io, values, argument }) {
    const directory = argument as string;
    const results = await readResults(path.join(directory, 'results.json'));
    const files = await writeReport(directory, results);
    printResult(io.stdout, { runs: results.runs.length, written: files.length, files: files.map((file) => path.relative(directory, file)) }, values.json === true);
  },
};

/**
 * Runs a command line (without the executable) and returns its exit status: 0, 1 for a failure
 * while working, 2 for a usage error, 130 when Ctrl-C aborted it. It never exits the process.
 */
function usageFailure(io: CliIo, name: string | undefined, message: string): number {
  const hint = name === undefined ? "Run 'camu --help' for the commands." : `Run 'camu ${name} --help' for its options.`;
  io.stderr.write(`camu${name === undefined ? '' : ` ${name}`}: ${message}\n${hint}\n`);
  return 2;
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let invocation;
  try {
    invocation = parseCommandLine(argv, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, argv[0] !== undefined && argv[0] in RUNNERS ? argv[0] : undefined, error.message);
  }
  if (typeof invocation === 'number') return invocation;
  const { name } = invocation.command;
  try {
    const status = await RUNNERS[name]({ io, ...invocation });
    return typeof status === 'number' ? status : 0;
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e instanceof UsageError) return usageFailure(io, name, e.message);
    const code = e instanceof CamuError || e.code ? ` [${e.code}]` : '';
    io.stderr.write(`camu ${name}: ${e.message}${code}\n`);
    return e.name === 'AbortError' ? 130 : 1;
  }
}
