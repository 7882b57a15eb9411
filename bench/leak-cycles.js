#!/usr/bin/env node
/**
 * Native memory across repeated create / train / unlearn / evaluate / save / load cycles: the
 * resident set size after each cycle (after a full garbage collection), its growth after a
 * warm-up, and the least-squares slope of that growth per cycle. A model that a cycle leaks costs
 * its weights every cycle (the paper's CNN: 1.7 MB), so a leak shows as a slope of that size.
 *
 *   node --expose-gc bench/leak-cycles.js [--cycles 200] [--warmup N] [--json] [--retain-models]
 *
 * --retain-models keeps every cycle's models referenced instead of disposing of them: what a leak
 * of a cycle's models looks like to this measurement (the test checks that it sees one).
 *
 * Each cycle: the paper's CNN created, trained one epoch on 256 synthetic 28x28 images of 10
 * classes, unlearned (fine-tuning, one epoch) for its class 0, evaluated with every unlearning
 * metric that needs no retrained model, saved as safetensors and loaded back, then every model
 * disposed. test/integration/leak-cycles.test.ts runs a short version in CI.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const camu = require('../dist');

const SAMPLES = 256;

function options() {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string', default: '200' },
      warmup: { type: 'string' },
      json: { type: 'boolean', default: false },
      'retain-models': { type: 'boolean', default: false },
    },
  });
  const cycles = Number(values.cycles);
  const warmup = values.warmup === undefined ? Math.max(2, Math.round(cycles / 5)) : Number(values.warmup);
  if (!Number.isInteger(cycles) || cycles < 3) throw new RangeError(`--cycles must be an integer >= 3, got ${values.cycles}`);
  if (!Number.isInteger(warmup) || warmup < 1 || warmup > cycles - 2) throw new RangeError(`--warmup must be an integer in [1, cycles - 2], got ${values.warmup}`);
  return { cycles, warmup, json: values.json, retainModels: values['retain-models'] };
}

function syntheticSet(name) {
  let state = 12345;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const images = Uint8Array.from({ length: SAMPLES * 28 * 28 }, () => Math.floor(random() * 256));
  const labels = Uint8Array.from({ length: SAMPLES }, (_, i) => i % 10);
  return camu.datasetFromArrays({ images, shape: [SAMPLES, 1, 28, 28], labels, numClasses: 10, name });
}

/** Least-squares slope of ys over 0..n-1. */
function slope(ys) {
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

async function cycle(train, test, split, file, seed, retained) {
  const start = camu.createModel({ architecture: 'cnn', numClasses: 10, seed });
  const { model: original } = await camu.train(start, { images: train.images, labels: train.labels }, { epochs: 1, seed });
  const { model: unlearned } = await camu.unlearn(original, split, { method: 'finetune', train, epochs: 1, retainFloor: 0 });
  await camu.evaluateUnlearning({ model: unlearned, train, test, split });
  await camu.saveWeights(unlearned, file);
  const loaded = await camu.loadWeights(camu.createModel({ architecture: 'cnn', numClasses: 10, seed: 0 }), file);
  await camu.evaluate(loaded, { dataset: test });
  if (retained) retained.push(start, original, unlearned, loaded);
  else for (const model of [start, original, unlearned, loaded]) model.dispose();
}

async function main() {
  const { cycles, warmup, json, retainModels } = options();
  const retained = retainModels ? [] : null;
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const train = syntheticSet('synthetic-train');
  const test = syntheticSet('synthetic-test');
  const split = camu.makeSplit(train, { type: 'class', classes: [0] }, { seed: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-leak-'));
  const rss = [];
  const started = Date.now();
  try {
    for (let c = 0; c < cycles; c++) {
      await cycle(train, test, split, path.join(dir, 'model.safetensors'), c, retained);
      global.gc();
      rss.push(process.memoryUsage().rss);
      if (!json && (c + 1) % 10 === 0) process.stderr.write(`cycle ${c + 1}/${cycles}: rss ${(rss[c] / 2 ** 20).toFixed(1)} MiB\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const after = rss.slice(warmup);
  const result = {
    cycles,
    warmup,
    retainModels,
    seconds: (Date.now() - started) / 1000,
    rssAfterWarmupMiB: after[0] / 2 ** 20,
    rssEndMiB: after[after.length - 1] / 2 ** 20,
    growthAfterWarmupMiB: (after[after.length - 1] - after[0]) / 2 ** 20,
    slopeKiBPerCycle: slope(after) / 1024,
    libtorch: camu.info().libtorchVersion,
  };
  process.stdout.write(`${JSON.stringify(result, null, json ? 0 : 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
