#!/usr/bin/env node
/**
 * A seeded fuzz run over camu's readers and its API. The readers: every file format camu reads,
 * mutated (truncated, bits flipped, bytes overwritten, a range zeroed or repeated), handed to its
 * loader. The API (target `api`): every exported function called with 0 to 4 arguments drawn from
 * a pool of wrong types, NaN and infinities, huge, zero and negative numbers, empty and odd
 * strings, arrays, plain objects, disposed and forged handles, and real models, tensors, datasets
 * and splits. Each call must either succeed or throw (or reject with) an error with a stable `code`
 * (CamuError, TypeError, RangeError); a thrown error without one is a failure, and a crash ends the
 * run (its last line on stderr names the call). Prints the calls made per target and every failure
 * as JSON. The run works in a temporary folder, so a call that writes a file writes it there.
 *
 *   npm run build && node scripts/fuzz.js [--seed S] [--iterations N] [--targets a,b] [--json]
 *
 * test/integration/fuzz.test.ts runs it bounded (fixed seed) in CI; docs/reliability.md has a long run.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { parseArgs } = require('node:util');
const camu = require('../dist');
const { readResults } = require('../dist/reproduce/store');

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** xorshift32: the same mutations for the same seed on every machine. */
function generator(seed) {
  let state = (seed >>> 0) || 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** One mutation of `bytes`: its name and the mutated copy. */
function mutate(bytes, random) {
  const out = Buffer.from(bytes);
  const at = random.int(Math.max(1, out.length));
  switch (random.int(6)) {
    case 0:
      return { mutation: `truncate at ${at}`, bytes: out.subarray(0, at) };
    case 1: {
      const flips = 1 + random.int(8);
      for (let i = 0; i < flips; i++) out[random.int(out.length)] ^= 1 << random.int(8);
      return { mutation: `${flips} bit flips`, bytes: out };
    }
    case 2: {
      // Early bytes hold the headers, lengths and offsets: overwrite there most often.
      const where = random.next() < 0.7 ? random.int(Math.min(out.length, 512)) : at;
      const value = [0x00, 0xff, 0x7f, 0x80][random.int(4)];
      const length = 1 + random.int(8);
      out.fill(value, where, Math.min(out.length, where + length));
      return { mutation: `${length} bytes at ${where} set to ${value}`, bytes: out };
    }
    case 3: {
      const length = 1 + random.int(Math.max(1, out.length - at));
      out.fill(0, at, at + length);
      return { mutation: `${length} bytes at ${at} zeroed`, bytes: out };
    }
    case 4: {
      const length = 1 + random.int(256);
      const chunk = out.subarray(at, at + length);
      return { mutation: `${chunk.length} bytes at ${at} repeated`, bytes: Buffer.concat([out.subarray(0, at + chunk.length), chunk, out.subarray(at + chunk.length)]) };
    }
    default: {
      const extra = Buffer.alloc(1 + random.int(64), random.int(256));
      return { mutation: `${extra.length} bytes appended`, bytes: Buffer.concat([out, extra]) };
    }
  }
}

function idxFile(dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** 20 MNIST-shaped images of 10 classes and the split that forgets class 0. */
function smallProblem() {
  const train = camu.datasetFromArrays({
    images: Uint8Array.from({ length: 20 * 28 * 28 }, (_, i) => (i * 37) % 256),
    shape: [20, 1, 28, 28],
    labels: Uint8Array.from({ length: 20 }, (_, i) => i % 10),
    numClasses: 10,
    name: 'fuzz',
  });
  return { train, split: camu.makeSplit(train, { type: 'class', classes: [0] }, { seed: 1 }) };
}

/** Each target: a file to start from, and how camu reads it (the file's path in, anything out). */
function targets(work) {
  const { train, split } = smallProblem();
  const splitFile = path.join(work, 'split.json');
  fs.writeFileSync(splitFile, JSON.stringify(camu.splitToJson(split)));
  const idxDir = path.join(work, 'idx');
  fs.mkdirSync(idxDir);
  const images = idxFile([20, 28, 28], Uint8Array.from({ length: 20 * 784 }, (_, i) => i % 251));
  const labels = idxFile([20], Uint8Array.from({ length: 20 }, (_, i) => i % 10));
  // The mutated bytes are the train images file as stored (gzip compressed for .gz); the others intact.
  const writeIdx = (trainImages, gzip) => {
    for (const name of fs.readdirSync(idxDir)) fs.rmSync(path.join(idxDir, name));
    const put = (name, bytes) => fs.writeFileSync(path.join(idxDir, gzip ? `${name}.gz` : name), gzip ? zlib.gzipSync(bytes) : bytes);
    fs.writeFileSync(path.join(idxDir, gzip ? 'train-images-idx3-ubyte.gz' : 'train-images-idx3-ubyte'), trainImages);
    put('train-labels-idx1-ubyte', labels);
    put('t10k-images-idx3-ubyte', images);
    put('t10k-labels-idx1-ubyte', labels);
  };
  const resultsFile = path.join(work, 'results.json');
  fs.copyFileSync(path.join(FIXTURES, 'results-page.json'), resultsFile);
  const cnn14 = () => camu.createModel({ architecture: 'cnn', numClasses: 10, inputSize: 14, seed: 0 });
  return {
    safetensors: { source: path.join(FIXTURES, 'cnn14.safetensors'), read: (file) => camu.readSafetensorsSync(file) },
    weights: { source: path.join(FIXTURES, 'cnn14.safetensors'), read: (file) => camu.loadWeightsSync(cnn14(), file).dispose() },
    torchscript: {
      source: path.join(FIXTURES, 'cnn14.pt'),
      read: (file) => camu.loadTorchScriptSync(file, { trustCode: true, inputShape: [1, 14, 14] }).dispose(),
    },
    split: { source: splitFile, read: (file) => camu.loadSplit(file, train) },
    idx: { source: null, bytes: images, read: (bytes) => (writeIdx(bytes, false), camu.loadMnistSync({ dir: idxDir })) },
    'idx.gz': { source: null, bytes: zlib.gzipSync(images), read: (bytes) => (writeIdx(bytes, true), camu.loadMnistSync({ dir: idxDir })) },
    results: { source: resultsFile, read: (file) => readResults(file) },
  };
}

// Functions the API target does not call: they reach the network, or start a whole protocol run
// or benchmark whose cost no fuzz call should pay (their argument checks are tested in test/native
// and test/integration), or they are the error classes, whose message handling is Error's own.
const API_SKIPPED = new Set([
  'downloadCifar', 'downloadFile', 'loadCifar10', 'loadCifar100', 'reproduce', 'measureThroughput', 'measureThroughputSync',
  'CamuError', 'AbortError',
]);

/** The argument pool of the API target: mostly wrong, some right. */
function argumentPool(train, split) {
  const model = () => camu.createModel({ architecture: 'mlp', numClasses: 10, inFeatures: 784, hiddenSize: 4, seed: 1 });
  const disposed = model();
  disposed.dispose();
  const values = [
    undefined, null, true, 0, -1, 1, 0.5, NaN, Infinity, -Infinity, 2 ** 53, 1e308, '', 'x', 'mnist', 'cnn', '/', '\u0000',
    [], [1, 2], [-1], {}, { epochs: -1 }, { epochs: NaN }, { seed: -5 }, { method: 'no-such' }, () => 0, 10n, Symbol('s'),
    new Uint8Array(3), new Float32Array([NaN, 1]), new BigInt64Array(2),
    Object.create(camu.Dataset.prototype), Object.create(camu.Split.prototype), Object.create(Object.getPrototypeOf(disposed)),
    disposed,
  ];
  const real = [() => model(), () => camu.tensor(new Float32Array(4), [2, 2]), () => train, () => split, () => ({ dataset: train }), () => ({ train, method: 'finetune', epochs: 1 })];
  return (random) => (random.next() < 0.25 ? real[random.int(real.length)]() : values[random.int(values.length)]);
}

function describeArg(value) {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  if (value !== null && typeof value === 'object') return value.constructor?.name ?? 'object';
  return JSON.stringify(value) ?? String(value);
}

function options() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      iterations: { type: 'string', default: '200' },
      targets: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed);
  const iterations = Number(values.iterations);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`--seed must be a non-negative integer, got ${values.seed}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`--iterations must be a positive integer, got ${values.iterations}`);
  return { seed, iterations, only: values.targets?.split(','), json: values.json };
}

async function fuzzApi(seed, iterations, work, report) {
  const { train, split } = smallProblem();
  const draw = argumentPool(train, split);
  const functions = Object.keys(camu).filter((key) => typeof camu[key] === 'function' && !API_SKIPPED.has(key)).sort();
  const random = generator(seed * 7919 + 31337);
  const cwd = process.cwd();
  process.chdir(work);
  report.calls.api = 0;
  report.accepted.api = 0;
  try {
    for (let i = 0; i < iterations; i++) {
      const fn = functions[random.int(functions.length)];
      const args = Array.from({ length: random.int(5) }, () => draw(random));
      const call = `${fn}(${args.map(describeArg).join(', ')})`;
      process.stderr.write(`api #${i}: ${call}\n`);
      try {
        // Classes are constructed, functions called; a promise is awaited.
        const isClass = /^[A-Z]/.test(fn);
        await (isClass ? new camu[fn](...args) : camu[fn](...args));
        report.accepted.api += 1;
      } catch (error) {
        const coded = error instanceof Error && typeof error.code === 'string' && error.code.length > 0;
        if (!coded) report.failures.push({ target: 'api', iteration: i, call, error: String(error?.stack ?? error).split('\n')[0] });
      }
      report.calls.api += 1;
    }
  } finally {
    process.chdir(cwd);
  }
}

async function main() {
  const { seed, iterations, only, json } = options();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-fuzz-'));
  const report = { seed, iterations, calls: {}, accepted: {}, failures: [] };
  const started = Date.now();
  try {
    const all = targets(work);
    for (const name of only ?? [...Object.keys(all), 'api']) {
      if (name === 'api') {
        await fuzzApi(seed, iterations, work, report);
        continue;
      }
      const target = all[name];
      if (target === undefined) throw new RangeError(`--targets: unknown target '${name}' (one of ${Object.keys(all).join(', ')})`);
      const original = target.source === null ? target.bytes : fs.readFileSync(target.source);
      const random = generator(seed * 7919 + name.length * 104729 + name.charCodeAt(0));
      report.calls[name] = 0;
      report.accepted[name] = 0;
      for (let i = 0; i < iterations; i++) {
        const { mutation, bytes } = mutate(original, random);
        const file = path.join(work, `input-${name}`);
        process.stderr.write(`${name} #${i}: ${mutation}\n`);
        try {
          if (target.source === null) await target.read(bytes);
          else {
            fs.writeFileSync(file, bytes);
            await target.read(file);
          }
          report.accepted[name] += 1;
        } catch (error) {
          const coded = error instanceof Error && typeof error.code === 'string' && error.code.length > 0;
          if (!coded) report.failures.push({ target: name, iteration: i, mutation, error: String(error?.stack ?? error).split('\n')[0] });
        }
        report.calls[name] += 1;
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  report.seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify(report, null, json ? 0 : 2)}\n`);
  if (report.failures.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(2);
});
