#!/usr/bin/env node
// The node half of scripts/gpu-check.sh: runs the CUDA checks against the freshly built addon and
// writes RESULTS_DIR/gpu-check.json. Each check records its own failure and the rest still run.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const camu = require('../dist');

const out = process.argv[2];
const root = path.resolve(__dirname, '..');
// Where the models run: CUDA. CAMU_GPU_CHECK_DEVICE=cpu runs the same script on the CPU, a dry run of
// its own logic (the PyTorch commands, the files they share) on a machine without a GPU.
const device = process.env.CAMU_GPU_CHECK_DEVICE || 'cuda';
const python = process.env.CAMU_PYTHON || 'python3';
const mnistDir = path.join(root, '.gpu', 'mnist');
const report = { checks: {} };
const save = () => fs.writeFileSync(path.join(out, 'gpu-check.json'), `${JSON.stringify(report, null, 2)}\n`);

// CAMU_GPU_CHECK_ONLY=name,name runs those checks alone (with variant and trainOnCuda, which the
// others need): a rerun of what failed, inside a short device lease.
const only = process.env.CAMU_GPU_CHECK_ONLY ? process.env.CAMU_GPU_CHECK_ONLY.split(',') : null;

async function check(name, body) {
  if (only && !['variant', 'trainOnCuda', ...only].includes(name)) return;
  const start = Date.now();
  try {
    report.checks[name] = { ok: true, ...(await body()) };
  } catch (error) {
    report.checks[name] = { ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  report.checks[name].seconds = (Date.now() - start) / 1000;
  console.log(name, JSON.stringify(report.checks[name]));
  save();
}

function seeded(seed) {
  let state = seed >>> 0;
  return () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function maxAbsDiff(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Runs bench/pytorch/pipeline.py with `args` on `device`; its JSON report (the log goes next to it). */
function pipeline(name, args) {
  const json = path.join(out, `${name}.json`);
  const run = spawnSync(python, [path.join(root, 'bench/pytorch/pipeline.py'), ...args, '--device', device, '--json', json], { encoding: 'utf8' });
  fs.writeFileSync(path.join(out, `${name}.log`), `${run.stdout}\n${run.stderr}`);
  if (run.status !== 0) throw new Error(`pipeline.py ${args[0]} exited ${run.status}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(fs.readFileSync(json, 'utf8'));
}

const ratio = (torch, camuSeconds) => ({ pytorchSeconds: torch, camuSeconds, speedup: torch / camuSeconds });

/** Runs bench/camu-worker.js with `args` on `device`; its JSON report. */
function worker(args) {
  const run = spawnSync(process.execPath, [path.join(root, 'bench/camu-worker.js'), ...args, '--device', device], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`camu-worker.js ${args[0]} exited ${run.status}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout);
}

/**
 * ResNet-18-cifar on synthetic CIFAR-10-shaped images (bench/pytorch/synthetic_cifar.py: timings,
 * not CIFAR accuracy), through the benchmark's own commands: an original trained by camu for one
 * epoch, then one CaMU removal epoch on class 0 and the evaluation with attacks, by camu in
 * float32 and in bfloat16 (createModel's precision) and by PyTorch in float32, on the same device;
 * then finetune and scrub on the same original and split, camu against PyTorch.
 */
function resnetCheck() {
  const dir = path.join(out, 'resnet');
  fs.mkdirSync(dir, { recursive: true });
  const images = device === 'cpu' ? 100 : 1000;  // per training batch file (5 files); the CPU dry run stays short
  const data = path.join(dir, 'synthetic-cifar10');
  const made = spawnSync(python, [path.join(root, 'bench/pytorch/synthetic_cifar.py'), '--out', data, '--per-batch', String(images), '--test', String(2 * images)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`synthetic_cifar.py exited ${made.status}: ${made.stderr.slice(-2000)}`);
  const cifar = ['--dataset', 'cifar10', '--data-dir', data, '--arch', 'resnet18-cifar'];
  const file = (name) => path.join(dir, name);
  worker(['split', ...cifar, '--scenario', 'class', '--seed', '0', '--out', file('split.json')]);
  const trained = worker(['train', ...cifar, '--epochs', '1', '--seed', '0', '--save-weights', file('resnet.safetensors'), '--save-torchscript', file('resnet.ts')]);
  const removal = ['--split', file('split.json'), '--seed', '0', '--epochs', '1'];
  const sides = {
    camu: worker(['camu', ...cifar, '--weights', file('resnet.safetensors'), ...removal]),
    camuBfloat16: worker(['camu', ...cifar, '--precision', 'bfloat16', '--weights', file('resnet.safetensors'), ...removal]),
    pytorch: pipeline('pytorch-resnet-camu', ['camu', ...cifar, '--model', file('resnet.ts'), ...removal]),
  };
  const summary = (report) => ({
    removalSeconds: report.removal.epochSeconds[0],
    evaluateSeconds: report.phases.evaluate,
    accRetain: report.metrics.accRetain,
    accForget: report.metrics.accForget,
    accTest: report.metrics.accTest,
  });
  const result = { trainImages: 5 * images, trainEpochSeconds: trained.training.epochSeconds[0] };
  for (const [side, report] of Object.entries(sides)) result[side] = summary(report);
  for (const side of ['camu', 'camuBfloat16']) {
    result[`${side}RemovalSpeedup`] = result.pytorch.removalSeconds / result[side].removalSeconds;
    result[`${side}EvaluateSpeedup`] = result.pytorch.evaluateSeconds / result[side].evaluateSeconds;
  }
  // The two baselines of baselinesCheck on the same ResNet original and split, 2 epochs each side
  // (their class defaults otherwise): each side's unlearning phase.
  result.baselines = {};
  for (const method of ['finetune', 'scrub']) {
    const args = ['--method', method, '--split', file('split.json'), '--seed', '0', '--set', 'epochs=2'];
    const camuSide = worker(['unlearn', ...cifar, '--weights', file('resnet.safetensors'), ...args]);
    const torchSide = pipeline(`pytorch-resnet-${method}`, ['unlearn', ...cifar, '--model', file('resnet.ts'), ...args]);
    const accuracies = (report) => ({ retain: report.metrics.accRetain, forget: report.metrics.accForget, test: report.metrics.accTest });
    result.baselines[method] = {
      ...ratio(torchSide.phases.unlearning, camuSide.phases.unlearning),
      camu: accuracies(camuSide),
      pytorch: accuracies(torchSide),
    };
  }
  return result;
}

/**
 * Two baselines on the CNN against their PyTorch implementations (bench/pytorch/baselines.py) on
 * the same device, original and split, at their defaults for the split: the unlearning time of
 * each side (camu's stats.seconds, PyTorch's unlearning phase) and both sides' accuracies.
 */
async function baselinesCheck(original, split, train, test) {
  const results = {};
  for (const method of ['finetune', 'scrub']) {
    const { model, stats } = await camu.unlearn(original, split, { method, train, device, retainFloor: 0 });
    const metrics = (await camu.evaluateUnlearning({ model, train, test, split })).metrics;
    const torch = pipeline(`pytorch-${method}`, ['unlearn', '--dataset', 'mnist', '--data-dir', mnistDir, '--method', method,
      '--model', path.join(out, 'original.pt'), '--split', path.join(out, 'split.json'), '--seed', '0']);
    results[method] = {
      ...ratio(torch.phases.unlearning, stats.seconds),
      camu: { retain: metrics['acc.retain'], forget: metrics['acc.forget'], test: metrics['acc.test'] },
      pytorch: { retain: torch.metrics.accRetain, forget: torch.metrics.accForget, test: torch.metrics.accTest },
    };
  }
  return results;
}

/** The largest absolute difference between two models' state tensors. */
function largestDifference(a, b) {
  const x = a.stateTensors();
  const y = b.stateTensors();
  return Math.max(...Object.keys(x).map((key) => maxAbsDiff(x[key].toTypedArray(), y[key].toTypedArray())));
}

/**
 * Ranks of this process against one process, on `device`, over `backend`: the largest difference of
 * their weights. Gloo: two ranks on the one device. NCCL needs a GPU per rank, and ranks of one
 * process share a device: one rank, whose all-reduces, broadcast and hash checks still run on NCCL
 * (two GPUs: `camu launch`, one process and one GPU per rank; docs/distributed.md).
 */
async function distributedCheck(device, train, original, backend) {
  const available = camu.info().distributed;
  if (!available.available) return { skipped: available.reason };
  if (!available.backends.includes(backend)) return { skipped: available.ncclReason };
  const { freePort } = require('../dist/cli/launch');
  const worldSize = backend === 'nccl' ? 1 : 2;
  const rankList = Array.from({ length: worldSize }, (_, rank) => rank);
  const rows = { dataset: train, indices: camu.tensor(BigInt64Array.from({ length: 2000 }, (_, i) => BigInt(i)), [2000]) };
  const start = () => camu.createModel({ architecture: 'cnn', numClasses: 10, seed: 3, device });
  let masterPort = freePort();
  const group = async (rank) => ({ masterPort: await masterPort, worldSize, rank, timeoutSeconds: 120, backend });
  // cuDNN's backward kernels are not deterministic by default: two single-process runs on CUDA
  // differ too. That difference (the floor) bounds what the ranks may differ by.
  const single = (await camu.train(start(), rows, { epochs: 1, seed: 3 })).model;
  const trainFloor = largestDifference(single, (await camu.train(start(), rows, { epochs: 1, seed: 3 })).model);
  const ranks = await Promise.all(rankList.map(async (rank) => camu.train(start(), rows, { epochs: 1, seed: 3, distributed: await group(rank) })));
  const trainDiff = Math.max(...ranks.map((r) => largestDifference(single, r.model)));
  // A short CaMU run (0.5% of the rows forgotten): over hundreds of Adam steps the rounding of the
  // sums grows as it does between two thread counts of one process (docs/distributed.md).
  const small = camu.makeSplit(train, { type: 'random', fraction: 0.005 }, { seed: 0 });
  const unlearnOptions = { train, device, epochs: 1, retainFloor: 0 };
  const alone = (await camu.unlearn(original, small, unlearnOptions)).model;
  const unlearnFloor = largestDifference(alone, (await camu.unlearn(original, small, unlearnOptions)).model);
  masterPort = freePort();
  const unlearned = await Promise.all(
    rankList.map(async (rank) => camu.unlearn(original.clone(), small, { ...unlearnOptions, distributed: await group(rank) })),
  );
  const unlearnDiff = Math.max(...unlearned.map((r) => largestDifference(alone, r.model)));
  const bound = (floor) => Math.max(1e-4, 3 * floor);
  if (!(trainDiff <= bound(trainFloor) && unlearnDiff <= bound(unlearnFloor))) {
    throw new Error(`${worldSize} ${backend} ranks differ from one process by ${trainDiff} (train; two single runs: ${trainFloor}), ${unlearnDiff} (CaMU; ${unlearnFloor})`);
  }
  return { backend, worldSize, trainDiff, trainFloor, unlearnDiff, unlearnFloor, allReduceSeconds: ranks[0].allReduceSeconds };
}

/**
 * Two GPUs, one process each, as a user runs them: `camu launch -n 2 --backend nccl` (rank r sees GPU
 * r alone) against one process of the same CLI command, for `camu train` and a CaMU `camu unlearn`
 * on MNIST. As in distributedCheck, two single runs differ on CUDA; 3 times that (or 1e-4) bounds
 * the ranks. Needs two CUDA devices; the dry run (CAMU_GPU_CHECK_DEVICE=cpu) launches over Gloo.
 */
async function launchCheck() {
  const gpus = camu.info().cuda.devices.length;
  if (device === 'cuda' && gpus < 2) return { skipped: `${gpus} CUDA device(s): NCCL needs one GPU per rank, so 2 ranks need 2` };
  const backend = device === 'cuda' ? 'nccl' : 'gloo';
  if (!camu.info().distributed.backends.includes(backend)) return { skipped: camu.info().distributed.ncclReason ?? camu.info().distributed.reason };
  const dir = path.join(out, 'launch');
  // MNIST's first 2,000 training and 1,000 test images: over a whole epoch's 1,875 Adam steps the
  // ranks' rounding grows past any bound, as between two thread counts of one process.
  const subset = path.join(dir, 'mnist');
  fs.mkdirSync(subset, { recursive: true });
  for (const [name, count, header, itemBytes] of [
    ['train-images-idx3-ubyte', 2000, 16, 784], ['train-labels-idx1-ubyte', 2000, 8, 1],
    ['t10k-images-idx3-ubyte', 1000, 16, 784], ['t10k-labels-idx1-ubyte', 1000, 8, 1],
  ]) {
    const bytes = zlib.gunzipSync(fs.readFileSync(path.join(mnistDir, `${name}.gz`))).subarray(0, header + count * itemBytes);
    bytes.writeUInt32BE(count, 4);
    fs.writeFileSync(path.join(subset, name), bytes);
  }
  // One thread in every process, so that the single runs and each rank sum in the same order.
  const cli = (args) => {
    const env = { ...process.env, CAMU_NUM_THREADS: '1' };
    const result = spawnSync(process.execPath, [path.join(root, 'dist', 'cli', 'index.js'), ...args], { cwd: root, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`camu ${args.join(' ')} exited with ${result.status}: ${result.stderr.slice(-2000)}`);
    return result.stdout;
  };
  const cnn = (file) => camu.loadWeightsSync(camu.createModel({ architecture: 'cnn' }), file);
  const largest = (a, b) => largestDifference(cnn(a), cnn(b));
  const compare = (command, args) => {
    const file = (name) => path.join(dir, `${command}-${name}.safetensors`);
    const start = Date.now();
    cli([command, ...args, '--out', file('one'), '--force']);
    const oneSeconds = (Date.now() - start) / 1000;
    cli([command, ...args, '--out', file('again'), '--force']);
    const launched = Date.now();
    cli(['launch', '-n', '2', '--threads-per-rank', '1', '--backend', backend, '--', command, ...args, '--out', file('ranks'), '--force']);
    const floor = largest(file('one'), file('again'));
    const diff = largest(file('one'), file('ranks'));
    if (!(diff <= Math.max(1e-4, 3 * floor))) throw new Error(`camu ${command} on 2 ${backend} ranks differs from one process by ${diff} (two single runs: ${floor})`);
    return { diff, floor, oneProcessSeconds: oneSeconds, twoRanksSeconds: (Date.now() - launched) / 1000 };
  };
  const data = ['--dataset', 'mnist', '--dir', subset, '--device', device];
  const train = compare('train', [...data, '--epochs', '1', '--seed', '3']);
  const unlearn = compare('unlearn', [...data, '--model', path.join(dir, 'train-one.safetensors'), '--scenario', 'random:0.005', '--seed', '0', '--epochs', '1', '--retain-floor', '0']);
  return { backend, gpus, train, unlearn };
}

(async () => {
  const info = camu.info();
  report.info = info;
  await check('variant', async () => {
    if (info.variant !== 'cuda' || !info.cuda.available) throw new Error(`variant ${info.variant}, cuda ${info.cuda.available}`);
    return { devices: info.cuda.devices, libtorch: info.libtorchVersion };
  });

  await check('fusedLossVsCpu', async () => {
    const results = [];
    for (const [term, rows, dims] of [['kl', 64, 256], ['kl', 64, 512], ['ce', 64, 10], ['ce', 40, 100]]) {
      const random = seeded(rows * 1000 + dims);
      const values = () => camu.tensor(Float32Array.from({ length: rows * dims }, () => (random() - 0.5) * 12), [rows, dims]);
      const rowWeights = camu.tensor(Float32Array.from({ length: rows }, (_, r) => (r < rows / 2 ? 0.5 : 0.01)), [rows]);
      const args = term === 'kl'
        ? { term, teacher: values(), student: values(), rowWeights, split: rows / 2 }
        : { term, logits: values(), labels: camu.tensor(BigInt64Array.from({ length: rows }, () => BigInt(Math.floor(random() * dims))), [rows]), rowWeights, split: rows / 2 };
      const { binding } = require('../dist/native');
      const gpu = binding.testing.computeInterventionLoss({ ...args, device: 'cuda', implementation: 'fused' });
      const cpu = binding.testing.computeInterventionLoss({ ...args, device: 'cpu', implementation: 'reference' });
      const gradDiff = maxAbsDiff(gpu.gradient.toTypedArray(), cpu.gradient.toTypedArray());
      const lossDiff = Math.max(...gpu.blockLosses.map((v, i) => Math.abs(v - cpu.blockLosses[i]) / Math.max(1, Math.abs(cpu.blockLosses[i]))));
      results.push({ term, rows, dims, lossDiff, gradDiff, pass: lossDiff <= 1e-5 && gradDiff <= 1e-5 });
    }
    if (!results.every((r) => r.pass)) throw new Error(JSON.stringify(results));
    return { results };
  });

  // camu's Adam on CUDA (libtorch's multi-tensor kernel) against torch::optim::Adam on the CPU: the CNN's
  // parameter shapes, one of them without a gradient, 20 steps.
  await check('fusedAdamVsCpu', async () => {
    const { binding } = require('../dist/native');
    const random = seeded(7);
    const shapes = [[16, 1, 5, 5], [16], [32, 16, 5, 5], [32], [256, 1568], [256], [128, 256], [128], [10, 128], [10]];
    const tensor = (shape, scale) => camu.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * scale), shape);
    const parameters = shapes.map((shape) => tensor(shape, 1));
    const gradients = shapes.map((shape, i) => (i === 7 ? null : tensor(shape, 4)));
    const args = { parameters, gradients, steps: 20, learningRate: 1e-3, weightDecay: 1e-4 };
    const gpu = binding.testing.computeAdamSteps({ ...args, device: 'cuda', implementation: 'fused' });
    const cpu = binding.testing.computeAdamSteps({ ...args, device: 'cpu', implementation: 'reference' });
    const maxDiff = Math.max(...gpu.map((p, i) => maxAbsDiff(p.toTypedArray(), cpu[i].toTypedArray())));
    if (!(maxDiff <= 1e-5)) throw new Error(`max |fused CUDA - libtorch CPU| = ${maxDiff}`);
    return { maxDiff };
  });

  let original, split, train, test;
  await check('trainOnCuda', async () => {
    ({ train, test } = await camu.loadMnist({ dir: mnistDir }));
    const model = camu.createModel({ architecture: 'cnn', numClasses: 10, seed: 0, device });
    const result = await camu.train(model, { images: train.images, labels: train.labels }, { epochs: 1, seed: 0 });
    original = result.model;
    const accuracy = (await camu.evaluate(original, { images: test.images, labels: test.labels })).accuracy;
    split = camu.makeSplit(train, { type: 'class', classes: [0] }, { seed: 0 });
    await camu.saveSplit(split, path.join(out, 'split.json'));
    camu.exportTorchScriptSync(original.clone().to('cpu'), path.join(out, 'original.pt'));
    return { epochSeconds: result.seconds, stepMs: (1000 * result.seconds) / result.steps, testAccuracy: accuracy };
  });

  const camuRuns = {};
  for (const [name, shortcuts] of [['camuCuda', {}], ['camuCudaPlain', { cacheTeacherEmbeddings: false, batchStudentPasses: false, backwardPerPass: false, fusedLoss: false, fusedAdam: false }]]) {
    await check(name, async () => {
      const result = await camu.unlearn(original, split, { train, device: 'cuda', ...shortcuts });
      const acc = async (images, labels, indices) => (await camu.evaluate(result.model, { images, labels, indices })).accuracy;
      const stats = result.stats;
      camuRuns[name] = stats;
      return {
        seconds: stats.seconds,
        setupSeconds: stats.setupSeconds,
        epochSeconds: stats.epochs.map((e) => e.seconds),
        stepMs: (1000 * stats.epochs.reduce((s, e) => s + e.seconds, 0)) / stats.epochs.reduce((s, e) => s + e.steps, 0),
        accRetain: await acc(train.images, train.labels, split.retainIndices),
        accForget: await acc(train.images, train.labels, split.forgetIndices),
        accTest: await acc(test.images, test.labels),
      };
    });
  }

  // Data-parallel training and CaMU unlearning on CUDA (docs/distributed.md): ranks in this process
  // against one process, on the first 2,000 training images, over Gloo and over NCCL. Skipped where
  // the build has no distributed support or no NCCL (info().distributed says why).
  await check('distributedCuda', () => distributedCheck('cuda', train, original, 'gloo'));
  await check('distributedNccl', () => distributedCheck('cuda', train, original, 'nccl'));
  // The same through the CLI on two GPUs, one process each (skipped with fewer GPUs).
  await check('launchNccl', () => launchCheck());

  await check('pytorchCuda', async () => {
    const torch = pipeline('pytorch-camu', ['camu', '--dataset', 'mnist', '--data-dir', mnistDir,
      '--model', path.join(out, 'original.pt'), '--split', path.join(out, 'split.json'), '--seed', '0',
      '--epochs', '2', '--kl-lr', '4e-4', '--impair-lr', '1e-3']);
    const torchRemoval = torch.removal.epochSeconds.reduce((a, b) => a + b, 0);
    const camuRemoval = camuRuns.camuCuda ? camuRuns.camuCuda.epochs.reduce((s, e) => s + e.seconds, 0) : null;
    return {
      pytorchRemovalSeconds: torchRemoval,
      pytorchStepMedianMs: 1000 * torch.removal.stepMedianSeconds,
      camuRemovalSeconds: camuRemoval,
      removalSpeedup: camuRemoval ? torchRemoval / camuRemoval : null,
      pytorchMetrics: torch.metrics ?? torch.evaluation ?? null,
    };
  });
  // Two baselines on the CNN, each against PyTorch on the same device.
  await check('baselinesCuda', () => baselinesCheck(original, split, train, test));
  // ResNet-18-cifar: CaMU removal and evaluation, float32 and bfloat16, against PyTorch.
  await check('resnetCuda', async () => resnetCheck());
  save();
})();
