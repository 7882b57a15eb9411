#!/usr/bin/env node
/**
 * What `camu reproduce --jobs 2` rests on: two 1-epoch MNIST trainings (the paper's recipe) one
 * after the other, then both at once in the same process. Run it once per thread setting, e.g.
 *   npm run build:ts && CAMU_NUM_THREADS=1 node bench/jobs-throughput.js && CAMU_NUM_THREADS=2 node bench/jobs-throughput.js
 * and compare "concurrent" at 1 thread with "serial" at 2 threads. Prints one JSON line.
 */
const camu = require('../dist');

async function main() {
  const { train } = await camu.loadMnist();
  const recipe = { epochs: 1, learningRate: 1e-3, weightDecay: 1e-4, batchSize: 32 };
  const trainOne = (seed) => camu.trainFromScratch({ architecture: 'cnn', numClasses: 10, seed }, train, { ...recipe, seed });
  await trainOne(9); // warm-up: first-touch memory, lazy thread pools
  let started = Date.now();
  await trainOne(0);
  await trainOne(1);
  const serial = (Date.now() - started) / 1000;
  started = Date.now();
  await Promise.all([trainOne(0), trainOne(1)]);
  const concurrent = (Date.now() - started) / 1000;
  console.log(JSON.stringify({ libtorch: camu.info().libtorchVersion, threads: camu.info().threads.intraOp, serial, concurrent }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
