#!/usr/bin/env node
/**
 * ResNet-18 with the 224-px ImageNet stem: one training epoch over 64 random images (batches of
 * 32) and one forward pass over them, after a warm-up epoch, timed. Run it with CAMU_WINOGRAD=on
 * and =off in turn to time the Winograd convolutions (docs/performance.md, "Winograd
 * convolutions"). One JSON line on stdout.
 *
 *   CAMU_NUM_THREADS=1 node bench/resnet224.js
 */
'use strict';
const camu = require('../dist');

async function main() {
  const count = 64;
  const side = 224;
  const pixels = new Uint8Array(count * 3 * side * side).map((_, i) => (i * 2654435761) % 251);
  const labels = BigInt64Array.from({ length: count }, (_, i) => BigInt(i % 10));
  const data = { images: camu.tensor(pixels, [count, 3, side, side]), labels: camu.tensor(labels, [count]) };
  const model = camu.createModel({ architecture: 'resnet18', numClasses: 10, seed: 0 });
  await camu.train(model, data, { epochs: 1, batchSize: 32, seed: 0 }); // warm-up: oneDNN compiles its kernels
  const start = process.hrtime.bigint();
  await camu.train(model, data, { epochs: 1, batchSize: 32, seed: 1 });
  const trained = process.hrtime.bigint();
  model.forward(data.images);
  const done = process.hrtime.bigint();
  console.log(JSON.stringify({
    winogradConv: camu.info().winogradConv.available,
    threads: camu.info().threads.intraOp,
    trainEpochSeconds: Number(trained - start) / 1e9,
    forwardSeconds: Number(done - trained) / 1e9,
  }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
