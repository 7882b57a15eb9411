/**
 * Reproduces the CaMU paper's table: for each dataset, scenario (class 0 removed, or a random 10%)
 * and seed it trains the original model, retrains from scratch without the forget set (the oracle
 * every method is measured against), runs CaMU (and any other methods you name), and writes
 * results.json, results.md (the tables), index.html (a page of the tables and plots) and plots/.
 * Finished runs are kept: rerun the same command after an interruption and it resumes.
 *
 * Node 20 does not run TypeScript: compile the examples first (needs typescript and @types/node).
 * In a project that depends on camu (in a camu checkout: see examples/tsconfig.json):
 *   npx tsc -p node_modules/camu/examples --outDir camu-examples
 *   node camu-examples/reproduce-paper.js [--out camu-reproduce] [--datasets mnist,fashion,cifar10,cifar100] \
 *     [--scenarios class,random] [--seeds 0,1,2,3,4] [--methods original,retrain,camu] [--epochs 20] \
 *     [--camu-epochs N] [--train-subset N] [--test-subset N] [--data-dir DATASET=DIR ...] [--relearn-steps 200] [--jobs 1]
 * The defaults are the paper's full protocol (hours on a CPU). A quick look: --datasets mnist
 * --seeds 0 --epochs 2 --train-subset 5000 --test-subset 2000 --relearn-steps 40. CIFAR is read
 * from --data-dir cifar10=DIR or camu's cache (camu.downloadCifar('cifar10') fills it); a dataset
 * whose files are missing is reported and skipped.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as camu from 'camu';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'camu-reproduce' },
    datasets: { type: 'string', default: 'mnist,fashion,cifar10,cifar100' },
    scenarios: { type: 'string', default: 'class,random' },
    seeds: { type: 'string', default: '0,1,2,3,4' },
    methods: { type: 'string', default: 'original,retrain,camu' },
    epochs: { type: 'string', default: '20' },
    'camu-epochs': { type: 'string' },
    'train-subset': { type: 'string' },
    'test-subset': { type: 'string' },
    'data-dir': { type: 'string', multiple: true, default: [] },
    'relearn-steps': { type: 'string' },
    jobs: { type: 'string', default: '1' },
  },
});

const list = (text: string) => text.split(',').map((item) => item.trim());
const count = (text: string | undefined) => (text === undefined ? undefined : Number(text));

async function main(): Promise<void> {
  const dataDirs: Partial<Record<camu.reproduce.DatasetName, string>> = {};
  for (const entry of args['data-dir'] as string[]) {
    const [dataset, dir] = entry.split('=');
    dataDirs[dataset as camu.reproduce.DatasetName] = dir;
  }
  const relearnSteps = count(args['relearn-steps']);
  const started = Date.now();
  // Option values are checked by reproduce: a wrong name or number throws before any work.
  const summary = await camu.reproduce.reproduce({
    out: args.out as string,
    datasets: list(args.datasets as string) as camu.reproduce.DatasetName[],
    scenarios: list(args.scenarios as string) as camu.reproduce.ScenarioKind[],
    seeds: list(args.seeds as string).map(Number),
    methods: list(args.methods as string),
    epochs: count(args.epochs),
    camuEpochs: count(args['camu-epochs']),
    trainSubset: count(args['train-subset']),
    testSubset: count(args['test-subset']),
    dataDirs,
    // Relearn time fine-tunes each model on D_f (default 200 steps, measured every 20): fewer make a quick run quicker.
    relearn: relearnSteps === undefined ? undefined : { maxSteps: relearnSteps, interval: Math.min(20, relearnSteps) },
    jobs: count(args.jobs),
    progress: new camu.reproduce.ProgressReporter(),
    onRunFinished: (run) => {
      const accuracy = (value: number | null | undefined) => (typeof value === 'number' ? value.toFixed(2) : 'n/a');
      const { 'acc.forget': forget, 'acc.test': test } = run.metrics;
      console.log(`${run.dataset}/${run.scenario}/seed ${run.seed}/${run.method}: acc(D_f) ${accuracy(forget)}, acc(T) ${accuracy(test)}`);
    },
  });

  for (const { dataset, error } of summary.failed) console.log(`skipped ${dataset}: ${error}`);
  if (summary.ran.length === 0 && summary.skipped.length === 0) process.exitCode = 1; // no dataset could be loaded
  console.log(`${summary.ran.length} runs done, ${summary.skipped.length} already in results.json, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`results: ${summary.resultsFile}`);
  const ofKind = (extension: string) => summary.reportFiles.filter((file) => file.endsWith(extension));
  for (const file of ofKind('.md')) console.log(`tables: ${file}`);
  for (const file of ofKind('.html')) console.log(`results page: ${file}`);
  const plots = ofKind('.svg');
  console.log(`plots: ${plots.length} files${plots.length > 0 ? ` in ${path.dirname(plots[0])}` : ''}`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
