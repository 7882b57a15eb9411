#!/usr/bin/env node
/**
 * bfloat16 against float32 for ResNet-18-cifar (createModel's precision) on CIFAR-10 binary batches
 * at 32 px: for each seed, a model trained in each precision and its test accuracy, also evaluated
 * in the other precision; then CaMU (its preset for the split) on class 0 from the first seed's
 * float32 original, run in each precision, with the unlearning metrics of both. One JSON line per
 * result on stdout.
 *
 *   node bench/precision-check.js --data-dir DIR [--seeds 0,1,2] [--epochs 3]
 *
 * DIR holds data_batch_1.bin ... data_batch_5.bin and test_batch.bin: CIFAR-10's, or
 * bench/pytorch/synthetic_cifar.py's (docs/performance.md, "bfloat16 ResNets", has a run).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const camu = require('../dist');

const METRICS = ['acc.retain', 'acc.forget', 'acc.test', 'mia.camu', 'mia.loss'];

async function main() {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, seeds: { type: 'string', default: '0,1,2' }, epochs: { type: 'string', default: '3' } },
  });
  if (!values['data-dir']) throw new RangeError('--data-dir is required (CIFAR-10 binary batches)');
  const seeds = values.seeds.split(',').map(Number);
  const epochs = Number(values.epochs);
  if (!seeds.every(Number.isInteger) || !Number.isInteger(epochs) || epochs < 1) throw new RangeError('--seeds takes whole numbers, --epochs a whole number >= 1');
  const { train, test } = await camu.loadCifar10({ dir: values['data-dir'], download: false, resolution: 32 });
  const { mean, std } = train.inputSpec;
  const create = (precision, seed = 0) => camu.createModel({ architecture: 'resnet18-cifar', numClasses: 10, seed, mean, std, precision });
  const other = { float32: 'bfloat16', bfloat16: 'float32' };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-precision-'));
  try {
    const weights = (seed, precision) => path.join(work, `${seed}-${precision}.safetensors`);
    for (const seed of seeds) {
      for (const precision of ['float32', 'bfloat16']) {
        const trained = await camu.train(create(precision, seed), { dataset: train }, { epochs, seed });
        await camu.saveWeights(trained.model, weights(seed, precision));
        const accuracy = (await camu.evaluate(trained.model, { dataset: test })).accuracy;
        const reloaded = await camu.loadWeights(create(other[precision]), weights(seed, precision));
        const otherAccuracy = (await camu.evaluate(reloaded, { dataset: test })).accuracy;
        const report = { seed, train: precision, epochs, seconds: trained.seconds, testAccuracy: 100 * accuracy, testAccuracyInOtherPrecision: 100 * otherAccuracy };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      }
    }
    const split = camu.makeSplit(train, { type: 'class', classes: [0] }, { seed: 0 });
    for (const precision of ['float32', 'bfloat16']) {
      const original = await camu.loadWeights(create(precision), weights(seeds[0], 'float32'));
      const { model, stats } = await camu.unlearn(original, split, { train, seed: 0 });
      const { metrics } = await camu.evaluateUnlearning({ model, train, test, split });
      const picked = Object.fromEntries(METRICS.map((name) => [name, metrics[name]]));
      process.stdout.write(`${JSON.stringify({ unlearn: precision, original: `seed ${seeds[0]}, float32`, preset: stats.preset, seconds: stats.seconds, metrics: picked })}\n`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
