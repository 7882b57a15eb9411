/**
 * Audits an unlearned model for its forget set, with both attacks of docs/audit.md:
 *  - RMIA: can an attacker tell the forget set's rows from test rows? (AUC near 0.5: no)
 *  - U-LiRA: can it tell the unlearned model from the model retrained without the forget set?
 * Each prints its AUC and TPR at 1% false positives with 95% bootstrap intervals, and the ROC
 * curves go to an SVG file (log-log axes).
 *
 * Node 20 does not run TypeScript: compile the examples first (see compare-methods.ts), then:
 *   node camu-examples/audit-unlearning.js --model original.safetensors --split split.json \
 *     [--method camu] [--references 8] [--epochs 20] [--dataset mnist|fashion (mnist)] \
 *     [--data-dir DIR] [--plot audit.svg] [--cache-dir audit-cache]
 * The example unlearns the split from the original with --method, retrains without the forget set
 * (the U-LiRA comparison), trains the reference models and shadow experiments (cached in
 * --cache-dir, so a rerun is quick), and audits.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as camu from 'camu';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    split: { type: 'string' },
    method: { type: 'string', default: 'camu' },
    references: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '20' },
    dataset: { type: 'string', default: 'mnist' },
    'data-dir': { type: 'string' },
    plot: { type: 'string', default: 'audit.svg' },
    'cache-dir': { type: 'string', default: 'audit-cache' },
  },
});

function interval(summary: camu.RocSummary): string {
  const { auc, tprAtFpr, bootstrap } = summary;
  const range = ({ low, high }: { low: number; high: number }) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;
  return `AUC ${auc.toFixed(3)} ${range(bootstrap.auc)}, TPR at 1% FPR ${tprAtFpr[0].tpr.toFixed(3)} ${range(bootstrap.tprAtFpr[0])}`;
}

async function main(): Promise<void> {
  if (args.model === undefined || args.split === undefined) throw new Error('give --model and --split');
  const { train, test } = args.dataset === 'fashion' ? await camu.loadFashionMnist({ dir: args['data-dir'] }) : await camu.loadMnist({ dir: args['data-dir'] });
  const original = await camu.loadWeights(camu.createModel({ architecture: 'cnn', numClasses: train.numClasses }), args.model);
  const split = await camu.loadSplit(args.split, train);
  const epochs = Number(args.epochs);
  const references = Number(args.references);
  const cacheDir = args['cache-dir'];
  const onProgress = (p: camu.Progress) => {
    if (p.phase === 'references' || p.phase === 'shadows') process.stderr.write(`${p.phase} ${p.step}/${p.total}\n`);
  };

  const unlearned = (await camu.unlearn(original, split, { method: args.method, train })).model;
  const retrained = (await camu.trainFromScratch({ architecture: 'cnn', numClasses: train.numClasses, seed: 1 }, { dataset: train, indices: split.retainIndices }, { epochs, seed: 1 })).model;

  const rmia = await camu.audit({ model: unlearned, train, test, split, references, epochs, cacheDir, onProgress });
  console.log(`RMIA, D_f rows against test rows: ${interval(rmia.forgetVsTest)}`);
  console.log(`loss attack, the same rows:       ${interval(rmia.lossAttack.forgetVsTest)}`);
  const ulira = await camu.audit({ attack: 'ulira', model: unlearned, retrained, train, test, split, references: Math.max(4, references), method: args.method, epochs, cacheDir, onProgress });
  console.log(`U-LiRA, ${args.method} against retraining: ${interval(ulira.unlearnedVsRetrained)}`);

  fs.writeFileSync(
    args.plot,
    camu.rocPlotSvg({
      title: `Audit of ${args.method} on ${train.name}`,
      curves: [
        { label: 'RMIA: D_f against test', curve: rmia.forgetVsTest.curve },
        { label: 'loss attack: D_f against test', curve: rmia.lossAttack.forgetVsTest.curve },
        { label: `U-LiRA: ${args.method} against retraining`, curve: ulira.unlearnedVsRetrained.curve },
      ],
    }),
  );
  console.log(`ROC curves: ${args.plot}`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
