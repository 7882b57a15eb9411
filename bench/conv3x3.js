#!/usr/bin/env node
/**
 * The 3x3 stride-1 convolutions of ResNet-18-cifar, one forward and both gradients per call, by
 * the Winograd paths (oneDNN's kernels from 8 px, camu's single-tile path at 4 px:
 * native/kernels/winograd_conv.cc) against libtorch's convolution, their reference twin, on random
 * data: interleaved rounds, medians in milliseconds per call.
 *
 *   CAMU_NUM_THREADS=1 node bench/conv3x3.js [--batch 32] [--rounds 7]
 *
 * Prints info().winogradConv first; where a path is off both columns of its rows time libtorch.
 */
'use strict';
const { parseArgs } = require('node:util');
const camu = require('../dist');
const { binding } = require('../dist/native');

// [channels, image side]: the four stages of ResNet-18-cifar.
const STAGES = [
  [64, 32],
  [128, 16],
  [256, 8],
  [512, 4],
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main() {
  const { values } = parseArgs({ options: { batch: { type: 'string', default: '32' }, rounds: { type: 'string', default: '7' } } });
  const batch = Number(values.batch);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError('--batch and --rounds take whole numbers >= 1');
  }
  const info = camu.info();
  console.log(JSON.stringify({ winogradConv: binding.info().winogradConv, threads: info.threads.intraOp, batch }));
  const random = (count) => Float32Array.from({ length: count }, () => Math.random() * 2 - 1);
  for (const [channels, side] of STAGES) {
    const input = binding.Tensor.fromTypedArray(random(batch * channels * side * side), [batch, channels, side, side]);
    const weight = binding.Tensor.fromTypedArray(random(channels * channels * 9).map((v) => v / Math.sqrt(channels * 9)), [channels, channels, 3, 3]);
    const gradOutput = binding.Tensor.fromTypedArray(random(batch * channels * side * side), [batch, channels, side, side]);
    const times = { fused: [], reference: [] };
    for (let round = 0; round <= rounds; round += 1) {
      for (const implementation of ['fused', 'reference']) {
        const start = process.hrtime.bigint();
        binding.testing.computeConv3x3({ input, weight, gradOutput, implementation });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (round > 0) times[implementation].push(ms); // round 0 warms up (oneDNN compiles its kernels)
      }
    }
    const fused = median(times.fused);
    const reference = median(times.reference);
    console.log(JSON.stringify({ channels, side, winogradMs: +fused.toFixed(2), libtorchMs: +reference.toFixed(2), speedup: +(reference / fused).toFixed(2) }));
  }
}

main();
