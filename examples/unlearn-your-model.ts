/**
 * Unlearns a forget set from your own model: a TorchScript module (.pt) or safetensors weights of
 * one of camu's architectures, a split file that says which train samples to forget, and one
 * unlearning method. Saves the unlearned model and prints its key metrics beside the original's.
 *
 * Node 20 does not run TypeScript: compile the examples first (needs typescript and @types/node).
 * In a project that depends on camu (in a camu checkout: see examples/tsconfig.json):
 *   npx tsc -p node_modules/camu/examples --outDir camu-examples
 *   node camu-examples/unlearn-your-model.js --model original.pt --split split.json \
 *     [--dataset mnist|fashion|cifar10|cifar100 (mnist)] [--data-dir DIR] [--resolution 32|224 (32, CIFAR)] \
 *     [--architecture cnn|mlp|resnet18|resnet18-cifar (safetensors)] [--features NAME --head NAME (TorchScript)] \
 *     [--method camu (camu.METHOD_NAMES)] [--out unlearned.safetensors (or .pt: TorchScript)]
 * The split comes from camu.saveSplit (or `camu unlearn --save-split`) on the same train set.
 */
import { parseArgs } from 'node:util';
import * as camu from 'camu';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    split: { type: 'string' },
    dataset: { type: 'string', default: 'mnist' },
    'data-dir': { type: 'string' },
    resolution: { type: 'string', default: '32' },
    architecture: { type: 'string' },
    features: { type: 'string' },
    head: { type: 'string' },
    method: { type: 'string', default: 'camu' },
    out: { type: 'string', default: 'unlearned.safetensors' },
  },
});

/** The train and test sets by name: from `dir`, else camu's sources (CIFAR is downloaded into its cache). */
async function loadData(name: string, dir: string | undefined, resolution: 32 | 224): Promise<camu.DatasetPair> {
  if (name === 'mnist') return camu.loadMnist({ dir });
  if (name === 'fashion') return camu.loadFashionMnist({ dir });
  if (name === 'cifar10') return camu.loadCifar10({ dir, resolution, download: dir === undefined });
  if (name === 'cifar100') return camu.loadCifar100({ dir, resolution, download: dir === undefined });
  throw new Error(`--dataset must be mnist, fashion, cifar10 or cifar100, got '${name}'`);
}

/**
 * A TorchScript module returns (logits, embedding), or only logits when `features` and `head`
 * name its feature extractor and classifier. Safetensors weights need the architecture they
 * were saved from (PyTorch state_dict key names). TorchScript runs code from the file, so camu
 * loads it only with trustCode: here the file is the one you named on the command line.
 */
async function loadModel(file: string, train: camu.Dataset, resolution: number): Promise<camu.Model> {
  if (/\.(pt|pth)$/i.test(file)) return camu.loadTorchScript(file, { trustCode: true, features: args.features, head: args.head });
  const cifar = train.shape[1] === 3;
  const architecture = (args.architecture ?? (cifar ? (resolution === 32 ? 'resnet18-cifar' : 'resnet18') : 'cnn')) as camu.Architecture;
  const model = camu.createModel({ architecture, numClasses: train.numClasses, inChannels: train.shape[1] });
  return camu.loadWeights(model, file);
}

/** acc(D_r), acc(D_f), acc(T) and the paper's membership inference attack, as one table row. */
function row(label: string, metrics: camu.MetricsRecord): string {
  const show = (key: string, decimals: number) => (typeof metrics[key] === 'number' ? (metrics[key] as number).toFixed(decimals) : 'n/a');
  return [label.padEnd(24), show('acc.retain', 2).padStart(9), show('acc.forget', 2).padStart(9), show('acc.test', 2).padStart(9), show('mia.camu', 3).padStart(7)].join(' ');
}

async function main(): Promise<void> {
  if (!args.model || !args.split) throw new Error('--model and --split are required');
  const resolution = Number(args.resolution) as 32 | 224;
  const { train, test } = await loadData(args.dataset as string, args['data-dir'], resolution);
  const original = await loadModel(args.model, train, resolution);
  // The split is checked against the train set it was made from (its name and size).
  const split = await camu.loadSplit(args.split, train);
  console.log(split.description);

  // Progress goes to stderr: a bar on a terminal, JSON lines otherwise.
  const progress = new camu.reproduce.ProgressReporter({ label: args.method });
  let result: camu.UnlearnResult;
  try {
    // Runs on a clone in a native worker: `original` is not modified. The method's preset
    // (e.g. CaMU's mnist-class) is chosen from the split unless you pass `preset` or options.
    result = await camu.unlearn(original, split, { method: args.method, train, onProgress: progress.update });
  } finally {
    progress.close();
  }
  const { model: unlearned, stats } = result;
  if (/\.(pt|pth)$/i.test(args.out as string)) await camu.exportTorchScript(unlearned, args.out as string);
  else await camu.saveWeights(unlearned, args.out as string); // PyTorch: model.load_state_dict(load_file(path))

  const before = await camu.evaluateUnlearning({ model: original, train, test, split });
  const after = await camu.evaluateUnlearning({ model: unlearned, train, test, split });
  console.log(['model'.padEnd(24), 'acc(D_r)'.padStart(9), 'acc(D_f)'.padStart(9), 'acc(T)'.padStart(9), 'MIA'.padStart(7)].join(' '));
  console.log(row('original', before.metrics));
  console.log(row(`unlearned (${stats.method})`, after.metrics));
  console.log(`unlearning took ${stats.seconds.toFixed(2)} s${stats.preset ? ` (preset ${stats.preset})` : ''}; saved ${args.out}`);
  original.dispose();
  unlearned.dispose();
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
