/** The camu command line's commands (index.ts is the executable). `camu help` lists them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { nearestFlag, parseCommandArgs, UsageError } from './usage';
import {
  CamuError,
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
import type { Architecture, DatasetPair, Model, Scenario, Split } from '../index';
import { loadCifar10, loadCifar100, loadFashionMnist, loadMnist } from '../datasets';
import { DATASET_NAMES, DatasetName, SCENARIO_KINDS, ScenarioKind } from '../reproduce/schema';
import { ProgressReporter } from '../reproduce/progress';
import { DEFAULT_REPRODUCE_METHODS, REPRODUCE_METHODS, reproduce } from '../reproduce/run';
import { readResults } from '../reproduce/store';
import { writeReport } from '../reproduce/report';
import { MethodDescriptor, optionFlag, OptionSpec } from '../unlearn/descriptor';
import { METHOD_NAMES, methodDescriptor, methodDescriptors } from '../unlearn/methods';

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<void>;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs `body` with an AbortSignal that SIGINT (Ctrl-C) aborts, and a progress reporter on stderr. */
async function withAbort<T>(label: string, body: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = new ProgressReporter({ label });
  try {
    return await body(controller.signal, progress);
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.close();
  }
}

function parseList<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new UsageError(`${flag} must list some of ${allowed.join(', ')}, got '${item}'`);
  }
  return items as T[];
}

/** `--methods`: a list of REPRODUCE_METHODS, or 'all' for every one of them. */
export function parseMethods(text: string): string[] {
  return text.trim() === 'all' ? [...REPRODUCE_METHODS] : parseList(text, REPRODUCE_METHODS, '--methods');
}

/** '0-4', '0,2,3' or '1'. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) throw new UsageError(`--seeds: empty range '${part}'`);
      for (let seed = from; seed <= to; ++seed) seeds.push(seed);
    } else {
      const seed = parseInteger(part.trim(), '--seeds');
      if (seed < 0) throw new UsageError(`--seeds must be non-negative, got ${seed}`);
      seeds.push(seed);
    }
  }
  return [...new Set(seeds)];
}

function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got '${text}'`);
  return value;
}

/** 'class:0', 'class:0,3', 'random:0.1' (a fraction) or 'random:500' (a count). */
export function parseScenario(text: string): Scenario {
  const [type, rest = ''] = text.split(':', 2);
  if (type === 'class') {
    const classes = rest.split(',').map((item) => parseInteger(item.trim(), '--scenario class'));
    return { type: 'class', classes };
  }
  if (type === 'random') {
    const value = parseNumber(rest, '--scenario random');
    return value < 1 ? { type: 'random', fraction: value } : { type: 'random', count: parseInteger(rest, '--scenario random') };
  }
  throw new UsageError(`--scenario must be class:C[,C...] or random:FRACTION|COUNT, got '${text}'`);
}

const DATASET_CHOICES = 'mnist|fashion|cifar10|cifar100';

/** Creates the folder an output file goes to, before the long work, so a bad path fails at once. */
function createParentDirectory(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
}

/** A dataset by its CLI name; CIFAR at 32 px (resnet18-cifar) unless --resolution 224 (resnet18). */
async function loadNamedDataset(
  name: string | undefined,
  dir: string | undefined,
  resolution: string | undefined,
  signal: AbortSignal,
): Promise<{ pair: DatasetPair; architecture: Architecture }> {
  if (name === 'mnist') return { pair: await loadMnist({ dir, signal }), architecture: 'cnn' };
  if (name === 'fashion') return { pair: await loadFashionMnist({ dir, signal }), architecture: 'cnn' };
  if (name === 'cifar10' || name === 'cifar100') {
    const size = resolution === undefined ? 32 : parseInteger(resolution, '--resolution');
    if (size !== 32 && size !== 224) throw new UsageError(`--resolution must be 32 or 224, got ${size}`);
    const options = { dir, resolution: size as 32 | 224, download: dir === undefined, signal };
    const pair = name === 'cifar10' ? await loadCifar10(options) : await loadCifar100(options);
    return { pair, architecture: size === 32 ? 'resnet18-cifar' : 'resnet18' };
  }
  throw new UsageError(`--dataset must be one of ${DATASET_CHOICES}, got '${String(name)}'`);
}

/** A .pt / .ts file is TorchScript; anything else safetensors weights of the dataset's architecture. */
async function loadModelFile(file: string, architecture: Architecture, numClasses: number, signal: AbortSignal): Promise<Model> {
  if (/\.(pt|pth|ts)$/i.test(file)) return loadTorchScript(file, { signal });
  return loadWeights(createModel({ architecture, numClasses }), file, { signal });
}

const DATA_OPTIONS = {
  dataset: { type: 'string' },
  dir: { type: 'string' },
  resolution: { type: 'string' },
} as const;

const commands: Record<string, Command> = {
  info: {
    summary: 'versions, build variant, CUDA devices, threads, XGBoost support',
    usage: 'camu info',
    async run(args) {
      parseCommandArgs({ args, options: {} });
      const { parallelism, ...about } = info();
      printJson(about);
      void parallelism;
    },
  },
  throughput: {
    summary: "this machine's dense GFLOP/s through the linked libtorch",
    usage: 'camu throughput [--op matmul|conv] [--size N] [--iterations N]',
    async run(args) {
      const { values } = parseCommandArgs({
        args,
        options: { op: { type: 'string', default: 'matmul' }, size: { type: 'string' }, iterations: { type: 'string' } },
      });
      if (values.op !== 'matmul' && values.op !== 'conv') throw new UsageError(`--op must be matmul or conv, got ${values.op}`);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const progress = new ProgressReporter({ label: values.op });
      try {
        const result = await measureThroughput({
          op: values.op,
          size: values.size === undefined ? undefined : parseInteger(values.size, '--size'),
          iterations: values.iterations === undefined ? undefined : parseInteger(values.iterations, '--iterations'),
          signal: controller.signal,
          onProgress: progress.update,
        });
        printJson(result);
      } finally {
        progress.close();
      }
    },
  },
  train: {
    summary: "train a model with the paper's recipe (Adam 1e-3, weight decay 1e-4, batch 32)",
    usage:
      `camu train --dataset ${DATASET_CHOICES} --out MODEL.safetensors [--epochs 20] [--seed 0]\n` +
      '           [--split SPLIT.json]  (train on its retain set D_r: the retrained-from-scratch reference)\n' +
      '           [--dir DATA_DIR] [--resolution 32|224]',
    async run(args) {
      const { values } = parseCommandArgs({
        args,
        options: { ...DATA_OPTIONS, out: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' }, split: { type: 'string' } },
      });
      if (!values.out) throw new UsageError('--out is required');
      const out = values.out;
      createParentDirectory(out);
      await withAbort('train', async (signal, progress) => {
        const { pair, architecture } = await loadNamedDataset(values.dataset, values.dir, values.resolution, signal);
        const seed = values.seed === undefined ? 0 : parseInteger(values.seed, '--seed');
        const epochs = values.epochs === undefined ? 20 : parseInteger(values.epochs, '--epochs');
        const split = values.split === undefined ? undefined : await loadSplit(values.split, pair.train);
        const result = await trainFromScratch(
          { architecture, numClasses: pair.train.numClasses, seed },
          { dataset: pair.train, indices: split?.retainIndices },
          { epochs, seed, signal, onProgress: progress.update },
        );
        await saveWeights(result.model, out, { signal });
        printJson({ out, architecture, epochs, steps: result.steps, seconds: result.seconds, epochLosses: result.epochLosses });
      });
    },
  },
  unlearn: {
    summary: 'unlearn a forget set from a model with one of the methods (CaMU with the paper\'s presets by default)',
    get usage() {
      return [
        `camu unlearn --model MODEL.safetensors|MODEL.pt --dataset ${DATASET_CHOICES} --out UNLEARNED.safetensors`,
        '             (--split SPLIT.json | --scenario class:C[,C...]|random:FRACTION|random:COUNT [--seed 0] [--save-split FILE])',
        `             [--method ${METHOD_NAMES.join('|')} (camu)] [--preset NAME] [--ablate NAME[,NAME...]]`,
        '             [--dir DATA_DIR] [--resolution 32|224] [METHOD OPTIONS]',
        '             [--retain-floor PERCENT] [--retain-probe 512] [--retain-checks 10]   (the run stops when its',
        '             accuracy on a probe of D_r falls below the floor; default half the original\'s, 0 = off)',
        '',
        methodOptionsHelp(),
      ].join('\n');
    },
    async run(args) {
      const method = asUsageError(() =>
        methodDescriptor(
          (parseArgs({ args, options: { method: { type: 'string' } }, strict: false }).values.method as string | undefined) ?? 'camu',
          '--method',
        ),
      );
      const methodFlags = Object.fromEntries(Object.keys(method.options).map((name) => [optionFlag(name).slice(2), { type: 'string' as const }]));
      const { values } = parseCommandArgs({
        args,
        options: {
          ...DATA_OPTIONS,
          model: { type: 'string' },
          out: { type: 'string' },
          split: { type: 'string' },
          scenario: { type: 'string' },
          seed: { type: 'string' },
          'save-split': { type: 'string' },
          method: { type: 'string' },
          preset: { type: 'string' },
          ablate: { type: 'string' },
          'retain-floor': { type: 'string' },
          'retain-probe': { type: 'string' },
          'retain-checks': { type: 'string' },
          ...methodFlags,
        },
      });
      if (!values.model) throw new UsageError('--model is required');
      if (!values.out) throw new UsageError('--out is required');
      if ((values.split === undefined) === (values.scenario === undefined)) throw new UsageError('give exactly one of --split and --scenario');
      const methodOptions = parseMethodOptions(method, values as Record<string, string | undefined>);
      const { model: modelFile, out } = values;
      createParentDirectory(out);
      if (values['save-split']) createParentDirectory(values['save-split']);
      await withAbort('unlearn', async (signal, progress) => {
        const { pair, architecture } = await loadNamedDataset(values.dataset, values.dir, values.resolution, signal);
        const model = await loadModelFile(modelFile, architecture, pair.train.numClasses, signal);
        let split: Split;
        if (values.split !== undefined) {
          split = await loadSplit(values.split, pair.train);
        } else {
          const seed = values.seed === undefined ? 0 : parseInteger(values.seed, '--seed');
          split = makeSplit(pair.train, parseScenario(values.scenario as string), { seed });
          if (values['save-split']) await saveSplit(split, values['save-split']);
        }
        const result = await unlearn(model, split, {
          ...methodOptions,
          method: method.name,
          train: pair.train,
          preset: values.preset,
          ablate: values.ablate === undefined ? undefined : values.ablate.split(',').map((name) => name.trim()),
          retainFloor: values['retain-floor'] === undefined ? undefined : parseNumber(values['retain-floor'], '--retain-floor'),
          retainProbe: values['retain-probe'] === undefined ? undefined : parseInteger(values['retain-probe'], '--retain-probe'),
          retainChecks: values['retain-checks'] === undefined ? undefined : parseInteger(values['retain-checks'], '--retain-checks'),
          signal,
          onProgress: progress.update,
        });
        await saveWeights(result.model, out, { signal });
        const { epochs, ...stats } = result.stats;
        printJson({ out, split: split.description, ...stats, epochs: epochs.length });
      });
    },
  },
  evaluate: {
    summary: 'every metric of a model on a split (accuracies, attacks, distances to a retrained model, ZRF)',
    usage:
      `camu evaluate --model MODEL.safetensors|MODEL.pt --dataset ${DATASET_CHOICES} --split SPLIT.json\n` +
      '              [--retrained RETRAINED.safetensors] [--random-seed N] [--dir DATA_DIR] [--resolution 32|224]',
    async run(args) {
      const { values } = parseCommandArgs({
        args,
        options: { ...DATA_OPTIONS, model: { type: 'string' }, split: { type: 'string' }, retrained: { type: 'string' }, 'random-seed': { type: 'string' } },
      });
      if (!values.model) throw new UsageError('--model is required');
      if (!values.split) throw new UsageError('--split is required');
      const { model: modelFile, split: splitFile } = values;
      await withAbort('evaluate', async (signal, progress) => {
        const { pair, architecture } = await loadNamedDataset(values.dataset, values.dir, values.resolution, signal);
        const numClasses = pair.train.numClasses;
        const model = await loadModelFile(modelFile, architecture, numClasses, signal);
        const split = await loadSplit(splitFile, pair.train);
        const retrained = values.retrained === undefined ? undefined : await loadModelFile(values.retrained, architecture, numClasses, signal);
        const randomSeed = values['random-seed'] === undefined ? 1_000_003 : parseInteger(values['random-seed'], '--random-seed');
        // ZRF compares with an untrained model of the same architecture (built-in architectures only).
        const random = model.architecture === 'torchscript' ? undefined : createModel({ architecture, numClasses, seed: randomSeed });
        const result = await evaluateUnlearning(
          { model, train: pair.train, test: pair.test, split, retrained, random },
          { signal, onProgress: progress.update },
        );
        printJson({ split: split.description, ...result });
      });
    },
  },
  reproduce: {
    summary: "the paper's protocol: datasets x scenarios x seeds x methods, results.json/.md and plots",
    usage: [
      'camu reproduce [--out DIR (camu-reproduce)] [--datasets mnist,fashion,cifar10,cifar100]',
      `               [--scenarios class,random] [--seeds 0-4] [--methods ${DEFAULT_REPRODUCE_METHODS.join(',')}]`,
      `               (methods: ${REPRODUCE_METHODS.join(', ')}, or all)`,
      '               [--epochs 20] [--camu-epochs N] [--device cpu|cuda] [--cache-dir DIR (<out>/cache)]',
      '               [--jobs 1]   (dataset x seed units at once; each gets cores/jobs threads unless',
      '                             CAMU_NUM_THREADS is set)',
      '               [--train-subset N] [--test-subset N]   (first N samples; runs are labelled reduced)',
      '               [--mnist-dir D] [--fashion-dir D] [--cifar10-dir D] [--cifar100-dir D]',
      '               [--relearn-steps 200] [--relearn-interval 20]',
      '               [--retain-floor PERCENT]   (the methods\' retained-accuracy guard: default half the',
      '                             original\'s accuracy on its probe of D_r, 0 = off; a stopped run is reported)',
      'Finished runs in DIR/results.json are kept (an interrupted run resumes); Ctrl-C stops after',
      'writing them. On CPU, CIFAR runs the reduced setting (first 10000 train images, 32 px,',
      'resnet18-cifar); a dataset whose files are missing is reported and skipped.',
    ].join('\n'),
    async run(args) {
      const { values } = parseCommandArgs({
        args,
        options: {
          out: { type: 'string', default: 'camu-reproduce' },
          datasets: { type: 'string' },
          scenarios: { type: 'string' },
          seeds: { type: 'string' },
          methods: { type: 'string' },
          epochs: { type: 'string' },
          'camu-epochs': { type: 'string' },
          device: { type: 'string' },
          'cache-dir': { type: 'string' },
          'train-subset': { type: 'string' },
          'test-subset': { type: 'string' },
          'mnist-dir': { type: 'string' },
          'fashion-dir': { type: 'string' },
          'cifar10-dir': { type: 'string' },
          'cifar100-dir': { type: 'string' },
          'relearn-steps': { type: 'string' },
          'relearn-interval': { type: 'string' },
          'retain-floor': { type: 'string' },
          jobs: { type: 'string' },
        },
      });
      const integer = (flag: keyof typeof values) => {
        const text = values[flag];
        return typeof text === 'string' ? parseInteger(text, `--${flag}`) : undefined;
      };
      if (values.device !== undefined && values.device !== 'cpu' && values.device !== 'cuda') {
        throw new UsageError(`--device must be cpu or cuda, got '${values.device}'`);
      }
      const dataDirs: Partial<Record<DatasetName, string>> = {};
      for (const dataset of DATASET_NAMES) {
        const dir = values[`${dataset}-dir` as keyof typeof values];
        if (typeof dir === 'string') dataDirs[dataset] = dir;
      }
      const relearn: { maxSteps?: number; interval?: number } = {};
      if (values['relearn-steps'] !== undefined) relearn.maxSteps = integer('relearn-steps');
      if (values['relearn-interval'] !== undefined) relearn.interval = integer('relearn-interval');
      const started = Date.now();
      await withAbort('reproduce', async (signal, progress) => {
        const summary = await reproduce({
          out: values.out as string,
          datasets: values.datasets === undefined ? undefined : parseList(values.datasets, DATASET_NAMES, '--datasets'),
          scenarios: values.scenarios === undefined ? undefined : parseList<ScenarioKind>(values.scenarios, SCENARIO_KINDS, '--scenarios'),
          seeds: values.seeds === undefined ? undefined : parseSeeds(values.seeds),
          methods: values.methods === undefined ? undefined : parseMethods(values.methods),
          epochs: integer('epochs'),
          camuEpochs: integer('camu-epochs'),
          device: values.device as 'cpu' | 'cuda' | undefined,
          retainFloor: values['retain-floor'] === undefined ? undefined : parseNumber(values['retain-floor'], '--retain-floor'),
          jobs: integer('jobs'),
          cacheDir: values['cache-dir'],
          trainSubset: integer('train-subset'),
          testSubset: integer('test-subset'),
          dataDirs,
          relearn,
          signal,
          progress,
        });
        printJson({ ...summary, seconds: (Date.now() - started) / 1000 });
        if (summary.ran.length === 0 && summary.skipped.length === 0) throw new CamuError('no dataset could be loaded', 'ERR_CAMU_IO');
      });
    },
  },
  report: {
    summary: "rewrites results.md, plots/ and index.html of a `camu reproduce` folder from its results.json",
    usage: [
      'camu report DIR   (DIR holds results.json; results.md, plots/*.svg and index.html are written there)',
      'The tables and plots of this version of camu, for results written by any version.',
    ].join('\n'),
    async run(args) {
      const { positionals } = parseCommandArgs({ args, options: {}, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError('give exactly one folder holding a results.json');
      const [directory] = positionals;
      const results = await readResults(path.join(directory, 'results.json'));
      const files = await writeReport(directory, results);
      printJson({ runs: results.runs.length, written: files.length, files: files.map((file) => path.relative(directory, file)) });
    },
  },
};

/** A flag's text as the value its option spec takes. */
function parseOptionValue(spec: OptionSpec, text: string, flag: string): number | boolean | string {
  switch (spec.type) {
    case 'number':
      return parseNumber(text, flag);
    case 'integer':
      return parseInteger(text, flag);
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new UsageError(`${flag} must be true or false, got '${text}'`);
      return text === 'true';
    case 'choice':
      return text;
  }
}

/** The method's options given as flags (`--kl-lr 1e-3` for klLr); unlearn() validates them. */
function parseMethodOptions(method: MethodDescriptor, values: Record<string, string | undefined>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(method.options)) {
    const flag = optionFlag(name);
    const text = values[flag.slice(2)];
    if (text !== undefined) options[name] = parseOptionValue(spec, text, flag);
  }
  return options;
}

function describeDefault(spec: OptionSpec): string {
  return spec.type === 'choice' ? `${spec.choices.join('|')}, default ${spec.default}` : `default ${String(spec.default)}`;
}

/** Every method with its option flags, defaults and documentation (from the descriptors). */
function methodOptionsHelp(): string {
  const lines = ['Methods and their options (each flag takes a value; booleans take true or false):'];
  for (const method of methodDescriptors()) {
    lines.push(`  --method ${method.name}: ${method.summary}`);
    if (method.presets) lines.push(`      presets (--preset): ${Object.keys(method.presets).join(', ')}`);
    if (method.ablations) lines.push(`      ablations (--ablate): ${Object.keys(method.ablations).join(', ')}`);
    for (const [name, spec] of Object.entries(method.options)) {
      lines.push(`      ${optionFlag(name).padEnd(28)} ${spec.doc} (${describeDefault(spec)})`);
    }
  }
  return lines.join('\n');
}

export function parseInteger(text: string, flag: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(value)) throw new UsageError(`${flag} must be an integer, got '${text}'`);
  return value;
}

/** `body`'s RangeError (a library check of a flag's value) as a UsageError. */
function asUsageError<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof RangeError && !(error instanceof UsageError)) throw new UsageError(error.message);
    throw error;
  }
}

function version(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

function help(): string {
  const lines = ['Usage: camu <command> [options]', '', 'Commands:'];
  for (const [name, command] of Object.entries(commands)) lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  lines.push('', 'camu <command> --help shows a command\'s options; camu --version prints the version.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    const nearest = nearestFlag(name, Object.keys(commands))?.slice(2);
    process.stderr.write(`camu: unknown command '${name}'${nearest ? `; did you mean '${nearest}'?` : ''}\n\n${help()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(args);
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string };
    const code = e instanceof CamuError || e.code ? ` [${e.code}]` : '';
    if (e instanceof UsageError) {
      process.stderr.write(`camu ${name}: ${e.message}\nRun 'camu ${name} --help' for its options.\n`);
      return 2;
    }
    process.stderr.write(`camu ${name}: ${e.message}${code}\n`);
    return e.name === 'AbortError' ? 130 : 1;
  }
}
