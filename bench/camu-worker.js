#!/usr/bin/env node
/**
 * camu's side of the benchmark: one command per process, the counterpart of
 * bench/pytorch/pipeline.py, printing one JSON report on stdout. bench/run.js starts it with
 * CAMU_NUM_THREADS set (read once when the addon loads), so every process has its thread count.
 *
 *   camu-worker.js info
 *   camu-worker.js split --scenario class|random --seed S --out split.json
 *   camu-worker.js train --epochs E --seed S [--limit N] [--save-weights w.safetensors] [--save-torchscript m.ts]
 *   camu-worker.js camu --weights w.safetensors|--torchscript m.ts --split split.json --seed S [--epochs E]
 *   camu-worker.js unlearn --method NAME --weights w.safetensors|--torchscript m.ts --split split.json --seed S [--set option=value ...]
 *                          [--no-evaluate] [--save-weights u.safetensors] [--save-torchscript u.ts]
 *   camu-worker.js throughput
 * split, train and unlearn take --train-limit N: only the first N MNIST training samples (quick
 * runs; bench/pytorch/pipeline.py --train-limit takes the same ones). --torchscript loads the
 * original as a user's TorchScript module (e.g. `pipeline.py script`'s scripted PyTorch CNN)
 * instead of the built-in CNN with --weights; --no-camu-kernels runs it through its own forward
 * (loadTorchScript's camuKernels: false).
 * split, train, camu and unlearn take --dataset cifar10 --data-dir DIR --arch resnet18-cifar: the
 * CIFAR-10 binary batches in DIR (e.g. bench/pytorch/synthetic_cifar.py's) at 32 px, with that
 * architecture (default: MNIST and the paper's CNN); --precision bfloat16 builds the ResNet with
 * that compute type (createModel's precision; the weights stay float32). --device cuda runs the
 * models on a GPU (scripts/gpu-check.js); default the CPU.
 */
'use strict';
const { parseArgs } = require('node:util');
const { performance } = require('node:perf_hooks');
const camu = require('../dist');

const MNIST_CLASSES = 10;
const ATTACK_TRAIN_SIZE = 4000; // docs/algorithm.md §6: first 4000 of D_s and of T train the attacker
/** 4000, or half of a smaller test set (synthetic CIFAR images), as bench/pytorch/evaluation.py's attack_size. */
const attackSize = (testCount) => Math.min(ATTACK_TRAIN_SIZE, Math.floor(testCount / 2));

async function timed(phases, name, fn) {
  const start = performance.now();
  const value = await fn();
  phases[name] = (performance.now() - start) / 1000;
  return value;
}

function indexTensor(values) {
  return camu.tensor(BigInt64Array.from(values, BigInt), [values.length]);
}

/** CIFAR-10 (--dataset cifar10): datasets whose transforms training and evaluation go through. */
const isCifar = (values) => values.dataset === 'cifar10';

/** MNIST, or its first --train-limit training samples as a dataset of their own (splits made on it record that size). */
async function loadData(values) {
  if (isCifar(values)) return camu.loadCifar10({ dir: values['data-dir'], download: false, resolution: 32 });
  if (values.dataset !== undefined && values.dataset !== 'mnist') throw new RangeError(`--dataset must be mnist or cifar10, got '${values.dataset}'`);
  const { train, test } = await camu.loadMnist();
  if (values['train-limit'] === undefined) return { train, test };
  const count = Number(values['train-limit']);
  if (!Number.isInteger(count) || count < 1 || count > train.size) {
    throw new RangeError(`--train-limit must be a whole number in [1, ${train.size}], got '${values['train-limit']}'`);
  }
  const [, c, h, w] = train.shape;
  const head = camu.datasetFromArrays({
    name: train.name,
    images: train.images.toTypedArray().subarray(0, count * c * h * w),
    shape: [count, c, h, w],
    labels: train.labels.toTypedArray().subarray(0, count),
    numClasses: train.numClasses,
  });
  return { train: head, test };
}

/** --set NAME=VALUE pairs -> method options: true / false, numbers, else the text. */
function methodOptions(pairs = []) {
  const options = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new RangeError(`--set: expected NAME=VALUE, got '${pair}'`);
    const name = pair.slice(0, at);
    const text = pair.slice(at + 1);
    options[name] = text === 'true' ? true : text === 'false' ? false : text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  }
  return options;
}

/** The --arch model (default the paper's CNN) with the dataset's normalisation. */
function createModelFor(values, train, seed) {
  const { mean, std } = train.inputSpec;
  const { arch, precision, device } = values;
  return camu.createModel({ architecture: arch ?? 'cnn', numClasses: train.numClasses ?? MNIST_CLASSES, seed, mean, std, precision, device });
}

/** The original model: a built-in with --weights, or a user's module with --torchscript. */
function loadOriginal(values, train) {
  if (values.torchscript !== undefined) {
    const camuKernels = !values['no-camu-kernels'];
    return camu.loadTorchScript(values.torchscript, { trustCode: true, inputShape: [1, 28, 28], camuKernels, device: values.device });
  }
  return camu.loadWeights(createModelFor(values, train, 0), values.weights);
}

const commands = {
  async info() {
    const { threads, libtorchVersion, camuVersion, variant, xgboost, openblasCore, linearKernel, convPoolKernel, cpuBfloat16 } = camu.info();
    return { threads, libtorchVersion, camuVersion, variant, xgboost, openblasCore, linearKernel, convPoolKernel, cpuBfloat16 };
  },

  async split(values, phases) {
    const { train } = await timed(phases, 'loadData', () => loadData(values));
    const scenario =
      values.scenario === 'class'
        ? { type: 'class', classes: [0] }
        : { type: 'random', fraction: Number(values.fraction ?? 0.1) };
    const seed = Number(values.seed);
    const split = await timed(phases, 'split', () => camu.makeSplit(train, scenario, { seed }));
    const counterfactual = await timed(phases, 'counterfactual', () =>
      camu.buildCounterfactualSet(train, split, { seed }),
    );
    await timed(phases, 'writeJson', () => camu.saveSplit(split, values.out));
    return {
      split: {
        scenario: split.scenario,
        forget: split.forgetSize,
        retain: split.retainSize,
        sample: split.sampleSize,
        counterfactual: counterfactual.size,
        out: values.out,
      },
    };
  },

  async train(values, phases) {
    const { train } = await timed(phases, 'loadData', () => loadData(values));
    const seed = Number(values.seed);
    const epochs = Number(values.epochs);
    const model = createModelFor(values, train, seed);
    const limit = values.limit === undefined ? train.size : Math.min(Number(values.limit), train.size);
    const data = isCifar(values) ? { dataset: train } : { images: train.images, labels: train.labels };
    if (limit < train.size) data.indices = indexTensor(Array.from({ length: limit }, (_, i) => i));
    const result = await camu.train(model, data, { epochs, seed, inPlace: true });
    phases.train = result.seconds;
    if (values['save-weights']) await camu.saveWeights(model, values['save-weights']);
    if (values['save-torchscript']) await camu.exportTorchScript(model, values['save-torchscript']);
    return {
      training: {
        // one job runs every epoch; its epochs are equal work, so the mean is the per-epoch time
        epochSeconds: Array(epochs).fill(result.seconds / epochs),
        epochMeanLoss: result.epochLosses,
        stepsPerEpoch: Math.ceil(limit / 32),
        samples: limit,
      },
    };
  },

  async camu(values, phases) {
    const { train, test } = await timed(phases, 'loadData', () => loadData(values));
    const split = await timed(phases, 'loadSplit', () => camu.loadSplit(values.split, train));
    const original = await timed(phases, 'loadModel', () => loadOriginal(values, train));
    const seed = Number(values.seed);
    // retainFloor 0: the PyTorch side has no retained-accuracy guard, so both time the same work.
    const options = { train, seed, retainFloor: 0, device: values.device };
    if (values.epochs !== undefined) options.epochs = Number(values.epochs);
    const { model, stats } = await camu.unlearn(original, split, options);
    phases.counterfactual = stats.setupSeconds;
    phases.removal = stats.removalSeconds;
    phases.unlearning = stats.setupSeconds + stats.removalSeconds;
    const removal = {
      epochSeconds: stats.epochs.map((e) => e.seconds),
      stepsPerEpoch: stats.epochs.length ? stats.epochs[0].steps : 0,
      stepMeanSeconds: stats.epochs.map((e) => e.seconds / e.steps),
      settings: stats.settings,
      teacherSampleCached: stats.teacherSampleCached,
      studentPassesBatched: stats.studentPassesBatched,
    };
    const evaluationPhases = {};
    const metrics = await evaluateAll(model, train, test, split, seed, evaluationPhases);
    phases.evaluate = Object.values(evaluationPhases).reduce((a, b) => a + b, 0);
    return { architecture: original.architecture, settings: stats.settings, removal, metrics, evaluationPhases };
  },

  /**
   * A baseline method (docs/methods.md) through camu.unlearn. The unlearning time is the native
   * run's own (stats.seconds: the method's setup, cloning and every epoch; native/unlearn/removal.cc);
   * unlearnCall is the wall time of the whole camu.unlearn call around it.
   */
  async unlearn(values, phases) {
    if (!values.method) throw new RangeError('unlearn: --method is required');
    const { train, test } = await timed(phases, 'loadData', () => loadData(values));
    const split = await timed(phases, 'loadSplit', () => camu.loadSplit(values.split, train));
    const original = await timed(phases, 'loadModel', () => loadOriginal(values, train));
    const seed = Number(values.seed);
    // retainFloor 0, as in the camu command: the PyTorch side has no retained-accuracy guard, so
    // both time the same work (--set retainFloor=N switches it back on).
    const options = { retainFloor: 0, ...methodOptions(values.set), method: values.method, train, seed, device: values.device };
    const { model, stats } = await timed(phases, 'unlearnCall', () => camu.unlearn(original, split, options));
    phases.unlearning = stats.seconds;
    phases.setup = stats.setupSeconds;
    phases.removal = stats.removalSeconds;
    const { method, seconds, setupSeconds, removalSeconds, epochs, preset, settings, ...details } = stats;
    const removal = {
      epochSeconds: epochs.map((e) => e.seconds),
      stepsPerEpoch: epochs.length ? epochs[0].steps : 0,
      epochMeans: epochs.map(({ seconds: _s, steps: _n, ...means }) => means),
      ...details,
    };
    const report = { method, preset, settings, removal };
    if (values['save-weights']) await camu.saveWeights(model, values['save-weights']);
    if (values['save-torchscript']) await camu.exportTorchScript(model, values['save-torchscript']);
    if (!values['no-evaluate']) {
      report.evaluationPhases = {};
      report.metrics = await evaluateAll(model, train, test, split, seed, report.evaluationPhases);
      phases.evaluate = Object.values(report.evaluationPhases).reduce((a, b) => a + b, 0);
    }
    return report;
  },

  async throughput() {
    const matmul = await camu.measureThroughput({ op: 'matmul', size: 2048, iterations: 10 });
    const conv = await camu.measureThroughput({ op: 'conv', size: 14, iterations: 10 });
    return { matmul, conv };
  },
};

/** The metrics bench/pytorch/evaluation.py computes, with the same sets and timing phases. */
async function evaluateAll(model, train, test, split, seed, phases) {
  const outputs = ['probabilities', 'loss'];
  const forgottenClasses = split.scenario.type === 'class' ? split.scenario.classes : undefined;
  const start = performance.now();
  // CIFAR through its dataset (normalisation, evaluation geometry); MNIST's raw tensors need neither.
  const on = (data, indices) =>
    camu.evaluate(model, data.geometry && data.geometry !== 'none' ? { dataset: data, indices } : { images: data.images, labels: data.labels, indices }, { outputs });
  const retain = await on(train, split.retainIndices);
  const forget = await on(train, split.forgetIndices);
  const testOut = await on(test, undefined);
  const members = Array.from(split.sampleIndices.toTypedArray(), Number).slice(0, attackSize(test.size));
  const sample = await on(train, indexTensor(members));
  phases.forward = (performance.now() - start) / 1000;
  const testAccuracy = camu.accuracy({
    predictions: { data: testOut.probabilities, shape: [testOut.count, testOut.numClasses] },
    labels: test.labels,
    forgottenClasses,
  });
  const metrics = {
    accRetain: 100 * retain.accuracy,
    accForget: 100 * forget.accuracy,
    accTest: 100 * testOut.accuracy,
    accTestRemainingClasses: testAccuracy.remainingClasses ? testAccuracy.remainingClasses.percent : null,
    accTestForgottenClasses: testAccuracy.forgottenClasses ? testAccuracy.forgottenClasses.percent : null,
  };
  const matrix = (r) => ({ data: r.probabilities, shape: [r.count, r.numClasses] });
  let t = performance.now();
  const mia = await camu.miaCamu({
    sampleProbabilities: matrix(sample),
    testProbabilities: matrix(testOut),
    forgetProbabilities: matrix(forget),
    trainSize: members.length,
    seed,
  });
  phases.miaCamu = (performance.now() - t) / 1000;
  metrics.miaCamu = mia.available ? { accuracy: mia.accuracy } : { skipped: mia.reason };
  t = performance.now();
  const lossMia = camu.miaLoss({ forgetLosses: forget.loss, testLosses: testOut.loss, seed });
  phases.miaLossLogistic = (performance.now() - t) / 1000;
  metrics.miaLossLogistic = { accuracy: lossMia.accuracy };
  return metrics;
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!commands[command]) {
    process.stderr.write(`camu-worker: unknown command '${command}' (${Object.keys(commands).join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      fraction: { type: 'string' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      limit: { type: 'string' },
      weights: { type: 'string' },
      torchscript: { type: 'string' },
      dataset: { type: 'string' },
      'data-dir': { type: 'string' },
      arch: { type: 'string' },
      precision: { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      split: { type: 'string' },
      'save-weights': { type: 'string' },
      'save-torchscript': { type: 'string' },
      'train-limit': { type: 'string' },
      method: { type: 'string' },
      set: { type: 'string', multiple: true },
      'no-evaluate': { type: 'boolean', default: false },
      'no-camu-kernels': { type: 'boolean', default: false },
    },
  });
  const phases = {};
  const start = performance.now();
  const report = { command, threads: camu.info().threads.intraOp, ...(await commands[command](values, phases)) };
  phases.total = (performance.now() - start) / 1000;
  report.phases = phases;
  report.peakRssMiB = process.resourceUsage().maxRSS / 1024; // KiB on Linux
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error) => {
  process.stderr.write(`camu-worker: ${error.stack || error.message}\n`);
  process.exitCode = 1;
});
