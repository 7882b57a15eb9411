#!/usr/bin/env node
/**
 * The per-job cost of running a TorchScript model's jobs watched (docs/performance.md, "Jobs on
 * TorchScript models"): `evaluate` of 64 images on test/fixtures/cnn14.pt, loaded once with
 * forwardTimeout 600 (watched) and once with 0 (not), 100 jobs per round, 5 rounds alternating
 * which goes first; prints the median milliseconds per job of each and every round's figure.
 *
 *   node bench/watched-jobs.js        (CAMU_NUM_THREADS sets the threads)
 */
'use strict';
const path = require('node:path');
const camu = require('../dist');

const fixture = path.join(__dirname, '..', 'test', 'fixtures', 'cnn14.pt');
const ROUNDS = 5;
const JOBS = 100;

async function main() {
  const watched = await camu.loadTorchScript(fixture, { trustCode: true, forwardTimeout: 600 });
  const plain = await camu.loadTorchScript(fixture, { trustCode: true, forwardTimeout: 0 });
  const n = 64;
  const images = new Uint8Array(n * 196).map((_, i) => (i * 37) % 256);
  const data = camu.datasetFromArrays({ images, shape: [n, 1, 14, 14], labels: Array.from({ length: n }, (_, i) => i % 10), numClasses: 10 });
  const rounds = { watched: [], plain: [] };
  for (let round = 0; round < ROUNDS; ++round) {
    const order = round % 2 === 0 ? [['watched', watched], ['plain', plain]] : [['plain', plain], ['watched', watched]];
    for (const [name, model] of order) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < JOBS; ++i) await camu.evaluate(model, data);
      rounds[name].push(Number(process.hrtime.bigint() - started) / 1e6 / JOBS);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const result = { threads: camu.info().threads.intraOp, msPerJob: { watched: median(rounds.watched), plain: median(rounds.plain) }, rounds };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
