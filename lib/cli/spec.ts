/**
 * The camu command line, declared once as data: each command's summary, example and options.
 * The parser (program.ts, on commander), the --config validation (options.ts), `--help` and
 * docs/cli.md (reference.ts) are all built from these declarations; `unlearn`'s method options
 * come from the chosen method's descriptor (lib/unlearn/descriptor.ts).
 */
import { BACKENDS } from '../distributed';
import { PRECISIONS } from '../native/types';
import { DATASET_NAMES, DEFAULT_REPRODUCE_METHODS, SCENARIO_KINDS } from '../reproduce/schema';
import { MethodDescriptor, optionFlag } from '../unlearn/descriptor';
import { METHOD_NAMES, methodDescriptors } from '../unlearn/methods';
import { parseList, parseMethods, parseNames, parseResolution, parseScenario, parseSeeds } from './formats';

/**
 * How an option's value is written: 'switch' takes no value (present: true), 'boolean' takes
 * true or false, 'format' text that `parse` reads ('0-4', 'class:0').
 */
export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'switch' | 'choice' | 'format';

export interface CliOption {
  /** As in the TypeScript API (camelCase): the --config key; the flag is optionFlag(name). */
  name: string;
  type: OptionType;
  /** One line for --help and docs/cli.md. */
  doc: string;
  /** The value's name after the flag in --help (switches take none; a choice shows its choices). */
  placeholder?: string;
  /** The value when neither a flag nor the config file gives one. */
  default?: string | number | boolean;
  /**
   * `default` is only shown: the library applies it when the option is absent (a method's
   * defaults, which its preset may replace; the native guard's).
   */
  defaultFromLibrary?: boolean;
  /** How --help describes a default that is not one value (where `default` is absent). */
  defaultText?: string;
  required?: boolean;
  /** The values a 'choice' takes. */
  choices?: readonly string[];
  /** A 'format' value from its text; `name` names it in errors (the flag, or the file's key). */
  parse?: (text: string, name: string) => unknown;
  /** The --help heading it is listed under; the command's own options otherwise. */
  group?: string;
  /** A one-letter alias of the flag ('n' for -n). */
  short?: string;
}

export interface CliCommand {
  name: string;
  /** One line for `camu --help`. */
  summary: string;
  /** More for `camu <command> --help` and docs/cli.md. */
  details?: string;
  /** One command line that works as written (after the demo's train for unlearn and evaluate). */
  example: string;
  /** A positional argument (`camu report DIR`); `rest`: every word after the options (`camu launch -n 2 -- train ...`). */
  argument?: { name: string; doc: string; rest?: boolean };
  options: readonly CliOption[];
  /** `unlearn`: the chosen method's options are accepted too (methodOptions). */
  methodOptions?: boolean;
}

const JSON_OPTION: CliOption = {
  name: 'json',
  type: 'switch',
  doc: 'print the result as JSON even in a terminal (it is JSON whenever stdout is not a terminal)',
};
const CONFIG_OPTION: CliOption = {
  name: 'config',
  type: 'string',
  placeholder: 'FILE',
  doc: 'read options from a JSON or YAML (.yaml, .yml) file, keys as option names; flags override it',
};
const FORCE_OPTION: CliOption = { name: 'force', type: 'switch', doc: 'overwrite output files that exist' };
const CHECK_WEIGHTS_OPTION: CliOption = {
  name: 'checkWeights',
  type: 'switch',
  doc: 'after every step, stop (ERR_CAMU_NON_FINITE) when a weight holds NaN or infinity (every step\'s loss is always checked)',
};
const CHECK_EVERY_OPTION: CliOption = {
  name: 'checkEvery',
  type: 'integer',
  placeholder: 'N',
  defaultText: 'only at the end',
  doc: "under camu launch: every N steps, check that all ranks hold the same weights (ERR_CAMU_DISTRIBUTED when not; docs/distributed.md)",
};

const DATA_OPTIONS: readonly CliOption[] = [
  { name: 'dataset', type: 'choice', choices: DATASET_NAMES, placeholder: 'NAME', required: true, doc: 'the dataset (the paper CNN for the MNISTs, a ResNet-18 for CIFAR)' },
  { name: 'dir', type: 'string', placeholder: 'DIR', defaultText: "the dataset's default source", doc: "a folder holding the dataset's files (CIFAR is downloaded only without it)" },
  { name: 'resolution', type: 'format', placeholder: '32|224', default: 32, parse: parseResolution, doc: 'CIFAR image side: 32 (resnet18-cifar) or 224 (resnet18)' },
  {
    name: 'precision',
    type: 'choice',
    choices: PRECISIONS,
    placeholder: 'TYPE',
    default: 'float32',
    defaultFromLibrary: true,
    doc: "the ResNet's compute type (CIFAR): bfloat16 runs its convolutions in bfloat16 with float32 weights, faster on CPUs with AVX-512 BF16 (camu info: cpuBfloat16)",
  },
];

/** train, unlearn, evaluate and reproduce: where the models run. */
const DEVICE_OPTION: CliOption = {
  name: 'device',
  type: 'choice',
  choices: ['cpu', 'cuda'],
  default: 'cpu',
  doc: "where the models run: cuda needs camu's CUDA build (camu info lists the devices); under camu launch each rank takes its own GPU (docs/distributed.md)",
};

const MODEL_OPTION: CliOption = {
  name: 'model',
  type: 'string',
  placeholder: 'FILE',
  required: true,
  doc: "the model: safetensors weights of the dataset's architecture, or TorchScript (.pt, .pth, .ts)",
};

/** How a TorchScript --model (or --retrained) is allowed to run its code. */
const TORCHSCRIPT_OPTIONS: readonly CliOption[] = [
  { name: 'trustTorchscript', type: 'switch', doc: 'allow a TorchScript model file: its code runs when it is loaded and used; give this only for files you trust' },
  { name: 'forwardTimeout', type: 'number', placeholder: 'SECONDS', default: 600, defaultFromLibrary: true, doc: "give up (ERR_CAMU_STUCK) when one call into a TorchScript model's code runs longer (0 = no limit)" },
];

/** Seed of the untrained model that ZRF compares with: evaluate's default, and the demo's. */
export const ZRF_RANDOM_SEED = 1_000_003;

/** What `camu demo` runs: the README's example, as `camu train`, `unlearn` and `evaluate` would. */
export const DEMO = { epochs: 1, seed: 0, forgetClass: 0, method: 'camu' } as const;

const RETAIN_FLOOR_OPTION: CliOption = {
  name: 'retainFloor',
  type: 'number',
  placeholder: 'PERCENT',
  defaultText: "half the original's accuracy on the probe",
  doc: "retained-accuracy guard: stop an unlearning run whose accuracy on a probe of D_r falls below this (0 = off)",
};

export const COMMANDS: readonly CliCommand[] = [
  {
    name: 'info',
    summary: 'versions, build variant, CUDA devices, threads, XGBoost support',
    example: 'camu info --json',
    options: [JSON_OPTION],
  },
  {
    name: 'demo',
    summary: "the README's example in one command: train on MNIST, unlearn a class with CaMU, evaluate",
    details:
      `Trains the paper CNN on MNIST for ${DEMO.epochs} epoch (seed ${DEMO.seed}), forgets class ${DEMO.forgetClass} with ` +
      `${DEMO.method} (its preset for a class removal) and evaluates the model before and after, as camu train, ` +
      `camu unlearn --scenario class:${DEMO.forgetClass} and camu evaluate do with their defaults. Writes original.safetensors, ` +
      'split.json and unlearned.safetensors into --out, and prints the accuracies on D_f, D_r and T before and after.',
    example: 'camu demo',
    options: [
      { name: 'out', type: 'string', placeholder: 'DIR', default: 'camu-demo', doc: 'folder of original.safetensors, split.json and unlearned.safetensors; it is created' },
      FORCE_OPTION,
      CONFIG_OPTION,
      JSON_OPTION,
    ],
  },
  {
    name: 'throughput',
    summary: "this machine's dense GFLOP/s through the linked libtorch",
    example: 'camu throughput --op conv --size 28',
    options: [
      { name: 'op', type: 'choice', choices: ['matmul', 'conv'], default: 'matmul', doc: "matmul: size x size float32 GEMM; conv: the paper CNN's second convolution at size x size" },
      { name: 'size', type: 'integer', placeholder: 'N', default: 1024, doc: 'matrix side (matmul) or spatial side of the input (conv)' },
      { name: 'iterations', type: 'integer', placeholder: 'N', default: 10, doc: 'timed iterations after one warm-up (the median is reported)' },
      CONFIG_OPTION,
      JSON_OPTION,
    ],
  },
  {
    name: 'launch',
    summary: 'run a camu command as N ranks on this machine (docs/distributed.md)',
    details:
      'Starts N camu processes with MASTER_ADDR=127.0.0.1, a free MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK and ' +
      "CAMU_NUM_THREADS (this machine's cores split between them), and with at least N GPUs and no CUDA_VISIBLE_DEVICES " +
      'one GPU each (CUDA_VISIBLE_DEVICES=RANK); their output is forwarded line by line, prefixed ' +
      'with the rank. When one rank fails, the others are stopped and launch exits with its status. ' +
      'train and unlearn run data-parallel (each step all-reduced); reproduce and audit share out their independent ' +
      'work (reproduce units, reference models) through a queue. Rank 0 writes the outputs.',
    example: 'camu launch -n 2 -- train --dataset mnist --epochs 1 --out camu-output/original.safetensors',
    argument: { name: 'command', doc: 'the camu command and its options, after --', rest: true },
    options: [
      { name: 'ranks', short: 'n', type: 'integer', placeholder: 'N', default: 2, doc: 'how many ranks (processes) to start' },
      { name: 'timeout', type: 'number', placeholder: 'SECONDS', default: 300, doc: 'how long a rank waits for the others (rendezvous, each all-reduce, a silent rank) before failing' },
      { name: 'threadsPerRank', type: 'integer', placeholder: 'N', defaultText: 'the available cores / N, at least 1', doc: "each rank's CAMU_NUM_THREADS" },
      {
        name: 'backend',
        type: 'choice',
        choices: BACKENDS,
        default: 'auto',
        doc: "the ranks' collectives (CAMU_DISTRIBUTED_BACKEND): auto is NCCL for CUDA models where the build has it, else Gloo",
      },
    ],
  },
  {
    name: 'train',
    summary: "train a model with the paper's recipe (Adam 1e-3, weight decay 1e-4, batch 32)",
    example: 'camu train --dataset mnist --epochs 1 --out camu-output/original.safetensors',
    options: [
      ...DATA_OPTIONS,
      DEVICE_OPTION,
      { name: 'out', type: 'string', placeholder: 'FILE', required: true, doc: 'where the weights go (safetensors); its folder is created' },
      { name: 'epochs', type: 'integer', placeholder: 'N', default: 20, doc: 'training epochs' },
      { name: 'seed', type: 'integer', placeholder: 'N', default: 0, doc: 'seed of the initialisation and the shuffling' },
      { name: 'split', type: 'string', placeholder: 'FILE', defaultText: 'the whole train set', doc: "train on this split's retain set D_r only: the retrained-from-scratch reference" },
      CHECK_WEIGHTS_OPTION,
      CHECK_EVERY_OPTION,
      FORCE_OPTION,
      CONFIG_OPTION,
      JSON_OPTION,
    ],
  },
  {
    name: 'unlearn',
    summary: "unlearn a forget set from a model with one of the methods (CaMU with the paper's presets by default)",
    details:
      'The forget set comes from --split, or is drawn by --scenario (and saved with --save-split). ' +
      "Each method's options are flags too (--kl-lr for klLr); a method's preset, named or the one " +
      'that fits the split, replaces some of their defaults, and flags replace the preset.',
    example:
      'camu unlearn --model camu-output/original.safetensors --dataset mnist --scenario class:0 ' +
      '--save-split camu-output/split.json --out camu-output/unlearned.safetensors',
    options: [
      MODEL_OPTION,
      ...DATA_OPTIONS,
      DEVICE_OPTION,
      ...TORCHSCRIPT_OPTIONS,
      { name: 'out', type: 'string', placeholder: 'FILE', required: true, doc: 'where the unlearned weights go (safetensors); its folder is created' },
      { name: 'split', type: 'string', placeholder: 'FILE', doc: 'the split to unlearn: its forget set D_f and retain set D_r (give this or --scenario)' },
      { name: 'scenario', type: 'format', placeholder: 'SCENARIO', parse: parseScenario, doc: 'draw the split: class:C[,C...] (whole classes), random:FRACTION or random:COUNT' },
      { name: 'seed', type: 'integer', placeholder: 'N', default: 0, doc: "seed of --scenario's draw" },
      { name: 'saveSplit', type: 'string', placeholder: 'FILE', doc: "save --scenario's split there (for camu evaluate and camu train --split)" },
      { name: 'method', type: 'choice', choices: METHOD_NAMES, placeholder: 'NAME', default: 'camu', doc: 'the unlearning method (listed below; docs/methods.md)' },
      { name: 'preset', type: 'string', placeholder: 'NAME', defaultText: 'the one that fits the split', doc: "one of the method's named settings (listed below)" },
      { name: 'ablate', type: 'format', placeholder: 'NAME[,NAME...]', parse: parseNames, doc: "switch off components of the method (its ablations, listed below)" },
      RETAIN_FLOOR_OPTION,
      { name: 'retainProbe', type: 'integer', placeholder: 'N', default: 512, defaultFromLibrary: true, doc: "D_r samples in the guard's probe" },
      { name: 'retainChecks', type: 'integer', placeholder: 'N', default: 10, defaultFromLibrary: true, doc: "the guard's checks, spread over the run's steps" },
      CHECK_WEIGHTS_OPTION,
      CHECK_EVERY_OPTION,
      FORCE_OPTION,
      CONFIG_OPTION,
      JSON_OPTION,
    ],
    methodOptions: true,
  },
  {
    name: 'evaluate',
    summary: 'every metric of a model on a split (accuracies, attacks, distances to a retrained model, ZRF)',
    example: 'camu evaluate --model camu-output/unlearned.safetensors --dataset mnist --split camu-output/split.json',
    options: [
      MODEL_OPTION,
      ...DATA_OPTIONS,
      DEVICE_OPTION,
      ...TORCHSCRIPT_OPTIONS,
      { name: 'split', type: 'string', placeholder: 'FILE', required: true, doc: 'the split the model was unlearned on' },
      { name: 'retrained', type: 'string', placeholder: 'FILE', defaultText: 'none (no distances)', doc: 'the model retrained on D_r (camu train --split): adds the distances to it' },
      { name: 'randomSeed', type: 'integer', placeholder: 'N', default: ZRF_RANDOM_SEED, doc: 'seed of the untrained model that ZRF compares with' },
      CONFIG_OPTION,
      JSON_OPTION,
    ],
  },
  {
    name: 'audit',
    summary: "privacy audit of a model's forget set: RMIA (D_f against test rows) or U-LiRA (unlearned against retrained)",
    details:
      'rmia trains --references models on random halves of the train and test sets and scores D_f, D_r and test rows, ' +
      'with the loss attack for comparison; ulira runs --references shadow experiments (an original on a random half of ' +
      'the train set, --method unlearning its D_f rows, a retraining without them) and tells --model from --retrained. ' +
      'Models are cached in --cache-dir (resumable). Writes audit.json (ROC summaries with bootstrap intervals and curves) ' +
      'and roc.svg (log-log ROC curves) into --out (docs/audit.md).',
    example: 'camu audit --model camu-output/unlearned.safetensors --dataset mnist --split camu-output/split.json --references 4 --epochs 2',
    options: [
      MODEL_OPTION,
      ...DATA_OPTIONS,
      ...TORCHSCRIPT_OPTIONS,
      { name: 'split', type: 'string', placeholder: 'FILE', required: true, doc: 'the split the model was unlearned on' },
      { name: 'attack', type: 'choice', choices: ['rmia', 'ulira'], default: 'rmia', doc: 'rmia (Zarifzadeh et al., ICML 2024) or ulira (Hayes et al. 2024)' },
      { name: 'references', type: 'integer', placeholder: 'K', default: 8, doc: 'rmia: reference models (each on a random half of train + test); ulira: shadow experiments' },
      { name: 'rmiaMode', type: 'choice', choices: ['online', 'offline'], default: 'online', defaultFromLibrary: true, doc: "rmia: Pr(x) from every reference (online) or only those that did not train on x (offline)" },
      { name: 'rmiaA', type: 'number', placeholder: 'A', default: 0.33, defaultFromLibrary: true, doc: "rmia offline: the approximation's a in [0, 1] (docs/audit.md)" },
      { name: 'rmiaGamma', type: 'number', placeholder: 'G', default: 1, defaultFromLibrary: true, doc: 'rmia: z counts when LR(x)/LR(z) >= gamma' },
      { name: 'retrained', type: 'string', placeholder: 'FILE', defaultText: 'none (required by ulira)', doc: 'ulira: the model retrained without D_f (camu train --split)' },
      { name: 'method', type: 'choice', choices: METHOD_NAMES, placeholder: 'NAME', default: 'camu', doc: "ulira: the unlearning method the shadows apply (the audited model's)" },
      { name: 'preset', type: 'string', placeholder: 'NAME', defaultText: 'the one that fits the split', doc: "ulira: the method's preset for the shadows" },
      { name: 'epochs', type: 'integer', placeholder: 'N', default: 20, doc: "the references' training epochs (camu train's recipe otherwise)" },
      { name: 'seed', type: 'integer', placeholder: 'N', default: 0, doc: "seed of the references' halves and training, and of the rows' draw" },
      { name: 'jobs', type: 'integer', placeholder: 'N', default: 1, doc: 'references trained at once' },
      { name: 'maxRows', type: 'integer', placeholder: 'N', default: 2000, defaultFromLibrary: true, doc: 'rows audited per group (D_f, D_r, test)' },
      { name: 'out', type: 'string', placeholder: 'DIR', default: 'camu-audit', doc: 'folder of audit.json and roc.svg' },
      { name: 'cacheDir', type: 'string', placeholder: 'DIR', defaultText: 'cache/ in the --out folder', doc: 'where reference models are cached, by content key' },
      FORCE_OPTION,
      CONFIG_OPTION,
      JSON_OPTION,
    ],
  },
  {
    name: 'reproduce',
    summary: "the paper's protocol: datasets x scenarios x seeds x methods, results.json/.md and plots",
    details:
      'Finished runs in the --out folder are kept (an interrupted run resumes); Ctrl-C stops after writing them. ' +
      'On CPU, CIFAR runs the reduced setting (first 10000 train images, 32 px, resnet18-cifar); ' +
      'a dataset whose files are missing is reported and skipped.',
    example: 'camu reproduce --datasets mnist,fashion --seeds 0-4 --jobs 2 --out camu-reproduce',
    options: [
      { name: 'out', type: 'string', placeholder: 'DIR', default: 'camu-reproduce', doc: 'folder of results.json, results.md, plots/ and splits/' },
      { name: 'datasets', type: 'format', placeholder: 'LIST', parse: (text, name) => parseList(text, DATASET_NAMES, name), default: DATASET_NAMES.join(','), defaultFromLibrary: true, doc: `datasets to run, some of ${DATASET_NAMES.join(', ')}` },
      { name: 'scenarios', type: 'format', placeholder: 'LIST', parse: (text, name) => parseList(text, SCENARIO_KINDS, name), default: SCENARIO_KINDS.join(','), defaultFromLibrary: true, doc: 'removal scenarios: class (class 0) and random (10% at random)' },
      { name: 'seeds', type: 'format', placeholder: 'SEEDS', parse: parseSeeds, default: '0-4', defaultFromLibrary: true, doc: "seeds, as 0-4 or 0,2,3" },
      { name: 'methods', type: 'format', placeholder: 'LIST', parse: parseMethods, default: DEFAULT_REPRODUCE_METHODS.join(','), defaultFromLibrary: true, doc: 'original, retrain and unlearning methods to measure, or all' },
      { name: 'epochs', type: 'integer', placeholder: 'N', default: 20, doc: 'epochs of the original and retrained models' },
      { name: 'camuEpochs', type: 'integer', placeholder: 'N', defaultText: "CaMU's preset (2 class, 10 random, 7 Fashion-MNIST random)", doc: 'CaMU epochs' },
      DEVICE_OPTION,
      { name: 'cacheDir', type: 'string', placeholder: 'DIR', defaultText: 'cache/ in the --out folder', doc: 'where original and retrained models are cached, by content hash' },
      { name: 'jobs', type: 'integer', placeholder: 'N', default: 1, doc: '(dataset, seed) units at once; each gets cores/jobs threads unless CAMU_NUM_THREADS is set' },
      { name: 'trainSubset', type: 'integer', placeholder: 'N', defaultText: 'all', doc: 'use the first N train samples (the runs are labelled reduced)' },
      { name: 'testSubset', type: 'integer', placeholder: 'N', defaultText: 'all', doc: 'use the first N test samples (the runs are labelled reduced)' },
      ...DATASET_NAMES.map((dataset): CliOption => ({
        name: `${dataset}Dir`,
        type: 'string',
        placeholder: 'DIR',
        defaultText: "the dataset's default source",
        doc: `a folder holding ${dataset}'s files`,
      })),
      { name: 'relearnSteps', type: 'integer', placeholder: 'N', default: 200, doc: 'most Adam steps of the relearn-time measurement' },
      { name: 'audit', type: 'choice', choices: ['rmia', 'ulira'], placeholder: 'ATTACK', defaultText: 'none', doc: 'also audit every run: rmia (D_f against test rows) or ulira (each method against retraining; docs/audit.md)' },
      { name: 'auditReferences', type: 'integer', placeholder: 'K', default: 8, doc: "--audit's reference models (rmia) or shadow experiments (ulira, at least 4)" },
      { name: 'auditEpochs', type: 'integer', placeholder: 'N', defaultText: '--epochs', doc: "training epochs of --audit's models" },
      { name: 'relearnInterval', type: 'integer', placeholder: 'N', default: 20, doc: 'steps between two accuracy checks of the relearn-time measurement' },
      RETAIN_FLOOR_OPTION,
      CONFIG_OPTION,
      JSON_OPTION,
    ],
  },
  {
    name: 'report',
    summary: 'rewrite results.md, plots/ and index.html of a `camu reproduce` folder from its results.json',
    details: 'The tables and plots of this version of camu, for results written by any version.',
    example: 'camu report camu-reproduce',
    argument: { name: 'DIR', doc: 'the folder holding results.json; results.md, plots/*.svg and index.html are written there' },
    options: [JSON_OPTION],
  },
];

export function findCommand(name: string | undefined): CliCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** The --help heading of a method's options. */
export function methodGroup(method: MethodDescriptor): string {
  return `Options of --method ${method.name}:`;
}

/**
 * A method's options as command-line options. unlearn() applies their defaults, under the
 * method's preset, so only the options given are passed.
 */
export function methodOptions(method: MethodDescriptor): CliOption[] {
  return Object.entries(method.options).map(([name, spec]) => ({
    name,
    type: spec.type,
    doc: spec.doc,
    placeholder: spec.type === 'number' ? 'X' : spec.type === 'integer' ? 'N' : spec.type === 'boolean' ? 'true|false' : undefined,
    default: spec.default,
    defaultFromLibrary: true,
    choices: spec.type === 'choice' ? spec.choices : undefined,
    group: methodGroup(method),
  }));
}

/** The options `command` takes; for unlearn, with those of `method`. */
export function commandOptions(command: CliCommand, method?: MethodDescriptor): CliOption[] {
  return command.methodOptions && method ? [...command.options, ...methodOptions(method)] : [...command.options];
}

/** The methods (other than `method`) that have an option of this name. */
export function methodsWithOption(name: string, method: MethodDescriptor): string[] {
  return methodDescriptors()
    .filter((other) => other.name !== method.name && Object.hasOwn(other.options, name))
    .map((other) => other.name);
}

/** What --help and docs/cli.md show after the flag: `--epochs <N>`, `--json`. */
export function flagWithValue(option: CliOption): string {
  const flag = option.short ? `-${option.short}, ${optionFlag(option.name)}` : optionFlag(option.name);
  if (option.type === 'switch') return flag;
  return `${flag} <${option.placeholder ?? option.choices?.join('|') ?? 'VALUE'}>`;
}

/** The default as --help and docs/cli.md show it, or undefined where there is none. */
export function defaultText(option: CliOption): string | undefined {
  return option.defaultText ?? (option.default === undefined ? undefined : String(option.default));
}

/** An option's doc for --help and docs/cli.md, with its choices where the placeholder hides them. */
export function describeOption(option: CliOption): string {
  const choices = option.choices && option.placeholder !== undefined ? `; one of ${option.choices.join(', ')}` : '';
  return `${option.doc}${choices}`;
}
