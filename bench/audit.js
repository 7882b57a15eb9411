#!/usr/bin/env node
/**
 * The privacy audit's recorded measurements (docs/audit.md, "Measured"):
 *
 *   node bench/audit.js rmia-k  --out DIR [--dataset fashion] [--epochs 20] [--max-k 8]
 *     RMIA's membership AUC on a CNN trained on a random half of the train set (members) against
 *     the other half and the test set (non-members), with K = 1, 2, 4, ..., max-k reference models,
 *     and the loss attack on the same rows. The references of a larger K include those of the
 *     smaller ones (same seeds and halves), so the sweep trains max-k references once (cached).
 *     Reference training throughput is recorded from their training times.
 *
 *   node bench/audit.js ulira --out DIR [--dataset mnist] [--train-subset 10000] [--epochs 20]
 *                             [--shadows 8] [--methods camu,finetune]
 *     U-LiRA on random removal (10% of the train subset): for each method, the unlearned model
 *     against the model retrained without D_f; and retrain itself as the method (the null case).
 *
 * Writes DIR/<experiment>.json (settings, environment, every number) and DIR/<experiment>.svg; the
 * models are cached in --cache-dir (default DIR/cache), so an interrupted run resumes.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const camu = require('../dist');

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      dataset: { type: 'string' },
      epochs: { type: 'string', default: '20' },
      'max-k': { type: 'string', default: '8' },
      'train-subset': { type: 'string' },
      shadows: { type: 'string', default: '8' },
      methods: { type: 'string', default: 'camu,finetune' },
      jobs: { type: 'string', default: '1' },
      'cache-dir': { type: 'string' },
    },
  });
  const [experiment] = positionals;
  if (!['rmia-k', 'ulira'].includes(experiment) || values.out === undefined) {
    throw new Error('usage: node bench/audit.js rmia-k|ulira --out DIR [options]; see the header of bench/audit.js');
  }
  return { experiment, ...values };
}

async function loadPair(name) {
  return name === 'fashion' ? camu.loadFashionMnist() : camu.loadMnist();
}

function firstSamples(data, count) {
  if (count === undefined || count >= data.size) return data;
  const [, c, h, w] = data.shape;
  return camu.datasetFromArrays({
    name: `${data.name}-first-${count}`,
    images: data.images.toTypedArray().slice(0, count * c * h * w),
    shape: [count, c, h, w],
    labels: data.labels.toTypedArray().slice(0, count),
    numClasses: data.numClasses,
  });
}

/** The numbers of a ROC summary, without its curve. */
function numbers(summary) {
  return { auc: summary.auc, aucInterval: summary.bootstrap.auc, tprAtFpr: summary.tprAtFpr, tprIntervals: summary.bootstrap.tprAtFpr };
}

const progress = (label) => (p) => {
  if (p.phase === 'references' || p.phase === 'shadows' || p.step === p.total) {
    const eta = p.etaSeconds === undefined ? '' : `, eta ${Math.round(p.etaSeconds)} s`;
    process.stderr.write(`${label}: ${p.phase} ${p.step}/${p.total}${eta}\n`);
  }
};

async function rmiaK(options) {
  const dataset = options.dataset ?? 'fashion';
  const epochs = Number(options.epochs);
  const maxK = Number(options['max-k']);
  const { train, test } = await loadPair(dataset);
  const cacheDir = options['cache-dir'] ?? path.join(options.out, 'cache');
  // The members: a seeded random half of the train set (the references' halves are of train + test).
  const inHalf = camu.referenceHalf(train.size, 7, 0);
  const members = [];
  inHalf.forEach((bit, i) => bit === 1 && members.push(i));
  const split = camu.makeSplit(train, { type: 'indices', indices: members }, { seed: 0 });
  const modelOptions = { architecture: 'cnn', numClasses: train.numClasses, seed: 0 };
  const started = Date.now();
  const target = await camu.trainFromScratch(modelOptions, { dataset: train, indices: split.forgetIndices }, { epochs, seed: 0, onProgress: progress('target') });
  const targetSeconds = (Date.now() - started) / 1000;
  const rows = [];
  for (let k = 1; k <= maxK; k *= 2) {
    const result = await camu.audit({ model: target.model, train, test, split, references: k, epochs, cacheDir, jobs: Number(options.jobs), onProgress: progress(`K=${k}`) });
    rows.push({
      references: k,
      rmia: { membersVsTest: numbers(result.forgetVsTest), nonMembersVsTest: numbers(result.retainVsTest) },
      loss: { membersVsTest: numbers(result.lossAttack.forgetVsTest), nonMembersVsTest: numbers(result.lossAttack.retainVsTest) },
      referenceTrainingSeconds: result.references.trainingSeconds,
      auditSeconds: result.seconds,
      rowsAudited: { members: result.groups.forget.rows, nonMembers: result.groups.retain.rows, test: result.groups.test.rows, populationSamples: result.populationSamples },
      curve: result.forgetVsTest.curve,
      lossCurve: result.lossAttack.forgetVsTest.curve,
    });
    process.stderr.write(`K=${k}: RMIA AUC ${result.forgetVsTest.auc.toFixed(4)}, loss AUC ${result.lossAttack.forgetVsTest.auc.toFixed(4)}\n`);
  }
  const last = rows[rows.length - 1];
  const perReference = last.referenceTrainingSeconds / last.references;
  const plot = camu.rocPlotSvg({
    title: `RMIA on a CNN trained on half of ${train.name}: members against test rows`,
    subtitle: `${epochs} epochs; K reference models; the loss attack on the same rows`,
    curves: [...rows.map((row) => ({ label: `RMIA, K = ${row.references}`, curve: row.curve })), { label: 'loss attack', curve: last.lossCurve }],
  });
  fs.writeFileSync(path.join(options.out, 'rmia-k.svg'), plot);
  return {
    dataset: train.name,
    epochs,
    targetTrainingSeconds: targetSeconds,
    referenceThroughput: { secondsPerReference: perReference, modelsPerHour: 3600 / perReference, trainSamples: Math.floor((train.size + test.size) / 2), jobs: Number(options.jobs) },
    rows: rows.map(({ curve: _curve, lossCurve: _lossCurve, ...row }) => row),
  };
}

async function ulira(options) {
  const dataset = options.dataset ?? 'mnist';
  const epochs = Number(options.epochs);
  const shadows = Number(options.shadows);
  const pair = await loadPair(dataset);
  const subset = options['train-subset'] === undefined ? undefined : Number(options['train-subset']);
  const train = firstSamples(pair.train, subset);
  const test = pair.test;
  const cacheDir = options['cache-dir'] ?? path.join(options.out, 'cache');
  const split = camu.makeSplit(train, { type: 'random', fraction: 0.1 }, { seed: 0 });
  const modelOptions = { architecture: 'cnn', numClasses: train.numClasses, seed: 0 };
  const original = await camu.trainFromScratch(modelOptions, { dataset: train }, { epochs, seed: 0, onProgress: progress('original') });
  const retrained = await camu.trainFromScratch({ ...modelOptions, seed: 1 }, { dataset: train, indices: split.retainIndices }, { epochs, seed: 1, onProgress: progress('retrained') });
  const methods = [...options.methods.split(',').filter(Boolean), 'retrain'];
  const rows = [];
  const curves = [];
  for (const method of methods) {
    const methodOptions = method === 'retrain' ? { epochs } : {};
    const started = Date.now();
    const unlearned = await camu.unlearn(original.model, split, { method, train, ...methodOptions, onProgress: progress(method) });
    const result = await camu.audit({ attack: 'ulira', model: unlearned.model, retrained: retrained.model, train, test, split, references: shadows, method, methodOptions, epochs, cacheDir, jobs: Number(options.jobs), onProgress: progress(`U-LiRA ${method}`) });
    rows.push({
      method,
      unlearnedVsRetrained: numbers(result.unlearnedVsRetrained),
      heldOutShadows: result.heldOutShadows && { ...numbers(result.heldOutShadows), aucByExperiments: result.heldOutShadows.aucByExperiments },
      rows: result.rows,
      observationsPerRow: result.observationsPerRow,
      variance: result.variance,
      shadows: result.shadows,
      wallSeconds: (Date.now() - started) / 1000,
    });
    curves.push({ label: method, curve: result.unlearnedVsRetrained.curve });
    process.stderr.write(`${method}: U-LiRA AUC ${result.unlearnedVsRetrained.auc.toFixed(4)}, held-out shadows ${result.heldOutShadows?.auc.toFixed(4)} [${result.heldOutShadows?.aucByExperiments.low.toFixed(4)}, ${result.heldOutShadows?.aucByExperiments.high.toFixed(4)}]\n`);
  }
  fs.writeFileSync(
    path.join(options.out, 'ulira.svg'),
    camu.rocPlotSvg({ title: `U-LiRA on ${train.name}, random removal of 10%: unlearned against retrained`, subtitle: `${shadows} shadow experiments per method; ${epochs} epochs`, curves }),
  );
  return { dataset: train.name, trainSamples: train.size, reduced: subset !== undefined, epochs, shadows, forgetRows: split.forgetIndices.numel, rows };
}

async function main() {
  const options = parse();
  fs.mkdirSync(options.out, { recursive: true });
  const started = Date.now();
  const measured = options.experiment === 'rmia-k' ? await rmiaK(options) : await ulira(options);
  const about = camu.info();
  const record = {
    command: `node bench/audit.js ${process.argv.slice(2).join(' ')}`,
    date: new Date().toISOString(),
    environment: { camuVersion: about.camuVersion, libtorchVersion: about.libtorchVersion, threads: about.threads },
    wallSeconds: (Date.now() - started) / 1000,
    ...measured,
  };
  fs.writeFileSync(path.join(options.out, `${options.experiment}.json`), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
