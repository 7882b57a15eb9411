#!/usr/bin/env node
/**
 * Training with camu's one-pass Adam against libtorch's (`train({ fusedAdam })`): 1-epoch trainings
 * of the paper's CNN on the first N MNIST images (default 12000), the two alternating, after a
 * warm-up. Prints one JSON line with each side's times and medians.
 *   npm run build:ts && CAMU_NUM_THREADS=1 node bench/train-adam.js [N] [REPEATS (4)]
 */
const camu = require('../dist');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const samples = Number(process.argv[2] ?? 12000);
  const repeats = Number(process.argv[3] ?? 4);
  const { train } = await camu.loadMnist();
  const indices = camu.tensor(BigInt64Array.from({ length: samples }, (_, i) => BigInt(i)), [samples]);
  const trainOnce = async (fusedAdam) => {
    const model = camu.createModel({ architecture: 'cnn', numClasses: 10, seed: 1 });
    return (await camu.train(model, { images: train.images, labels: train.labels, indices }, { epochs: 1, fusedAdam })).seconds;
  };
  await trainOnce(true); // warm-up: first-touch memory, lazy thread pools
  const seconds = { fused: [], libtorch: [] };
  for (let r = 0; r < repeats; r++) {
    seconds.fused.push(await trainOnce(true));
    seconds.libtorch.push(await trainOnce(false));
  }
  const info = camu.info();
  console.log(JSON.stringify({
    libtorch: info.libtorchVersion,
    threads: info.threads.intraOp,
    samples,
    seconds,
    medianFused: median(seconds.fused),
    medianLibtorch: median(seconds.libtorch),
    speedup: median(seconds.libtorch) / median(seconds.fused),
  }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
