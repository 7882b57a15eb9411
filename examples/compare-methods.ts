/**
 * Compares unlearning methods on one split and one original model: each method unlearns the same
 * forget set from the same model, and one table shows acc(D_r), acc(D_f), acc(T), the paper's
 * membership inference attack (MIA: near 0.5 = the attacker cannot tell D_f from unseen data)
 * and the unlearning time. The original model is the first row.
 *
 * Node 20 does not run TypeScript: compile the examples first (needs typescript and @types/node).
 * In a project that depends on camu (in a camu checkout: see examples/tsconfig.json):
 *   npx tsc -p node_modules/camu/examples --outDir camu-examples
 *   node camu-examples/compare-methods.js --model original.safetensors --split split.json \
 *     [--methods camu,finetune,neggrad,scrub] [--dataset mnist|fashion|cifar10|cifar100 (mnist)] \
 *     [--data-dir DIR] [--architecture cnn|mlp|resnet18|resnet18-cifar] [--device cpu|cuda (cpu)]
 * A .pt model is TorchScript; anything else safetensors weights of --architecture (default: cnn
 * for MNIST and Fashion-MNIST, resnet18-cifar for CIFAR at 32 px). `camu train --dataset mnist
 * --out original.safetensors` and `camu unlearn ... --save-split split.json` make the inputs.
 */
import { parseArgs } from 'node:util';
import * as camu from 'camu';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    split: { type: 'string' },
    methods: { type: 'string', default: 'camu,finetune,neggrad,scrub' },
    dataset: { type: 'string', default: 'mnist' },
    'data-dir': { type: 'string' },
    architecture: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
  },
});

/** The train and test sets by name: from `dir`, else camu's sources (CIFAR at 32 px, downloaded into its cache). */
async function loadData(name: string, dir: string | undefined): Promise<camu.DatasetPair> {
  if (name === 'mnist') return camu.loadMnist({ dir });
  if (name === 'fashion') return camu.loadFashionMnist({ dir });
  if (name === 'cifar10') return camu.loadCifar10({ dir, resolution: 32, download: dir === undefined });
  if (name === 'cifar100') return camu.loadCifar100({ dir, resolution: 32, download: dir === undefined });
  throw new Error(`--dataset must be mnist, fashion, cifar10 or cifar100, got '${name}'`);
}

/** TorchScript runs code from the file: it is loaded (trustCode) because you named it yourself. */
async function loadModel(file: string, train: camu.Dataset): Promise<camu.Model> {
  if (/\.(pt|pth)$/i.test(file)) return camu.loadTorchScript(file, { trustCode: true });
  const architecture = (args.architecture ?? (train.shape[1] === 3 ? 'resnet18-cifar' : 'cnn')) as camu.Architecture;
  return camu.loadWeights(camu.createModel({ architecture, numClasses: train.numClasses, inChannels: train.shape[1] }), file);
}

const COLUMNS: [string, string, number][] = [
  ['acc(D_r)', 'acc.retain', 2],
  ['acc(D_f)', 'acc.forget', 2],
  ['acc(T)', 'acc.test', 2],
  ['MIA', 'mia.camu', 3],
  ['time (s)', 'time.seconds', 2],
];

function line(label: string, cells: string[]): string {
  return [label.padEnd(14), ...cells.map((cell) => cell.padStart(9))].join(' ');
}

function row(label: string, metrics: camu.MetricsRecord): string {
  return line(label, COLUMNS.map(([, key, decimals]) => (typeof metrics[key] === 'number' ? (metrics[key] as number).toFixed(decimals) : '-')));
}

async function main(): Promise<void> {
  if (!args.model || !args.split) throw new Error('--model and --split are required');
  const methods = (args.methods as string).split(',').map((name) => name.trim());
  for (const method of methods) camu.methodDescriptor(method); // an unknown name fails now, not after the first runs
  const device = args.device as 'cpu' | 'cuda';
  const { train, test } = await loadData(args.dataset as string, args['data-dir']);
  const original = await loadModel(args.model, train);
  const split = await camu.loadSplit(args.split, train);
  console.log(split.description);

  const rows = [row('original', (await camu.evaluateUnlearning({ model: original, train, test, split })).metrics)];
  const notes: string[] = [];
  for (const method of methods) {
    console.error(`unlearning with ${method} ...`);
    try {
      // Each method's defaults (and the preset that fits the split); every run starts from `original`.
      const { model, stats } = await camu.unlearn(original, split, { method, train, device });
      const { metrics } = await camu.evaluateUnlearning({ model, train, test, split });
      rows.push(row(method, { ...metrics, 'time.seconds': stats.seconds }));
      model.dispose();
    } catch (error) {
      // The retained-accuracy guard stops a run whose accuracy on D_r collapses: a result too.
      if ((error as camu.CamuError).code !== camu.ErrorCode.RetainFloor) throw error;
      rows.push(line(method, COLUMNS.map(() => 'stopped')));
      notes.push(`${method}: ${(error as Error).message}`);
    }
  }
  console.log(line('method', COLUMNS.map(([label]) => label)));
  for (const text of rows) console.log(text);
  for (const note of notes) console.log(note);
  original.dispose();
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
