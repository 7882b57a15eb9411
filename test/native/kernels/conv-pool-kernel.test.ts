/** camu's fused conv -> relu -> max-pool kernel (native/kernels/conv_pool.cc) against a hand computation and libtorch. */
import fs from 'node:fs';
import os from 'node:os';
import { binding } from '../../../lib/native';
import { seededRandom } from '../../helpers/models';

const t = (data: number[] | Float32Array, shape: number[]) => binding.Tensor.fromTypedArray(Float32Array.from(data), shape);
const values = (tensor: { toTypedArray(): unknown } | undefined) => Array.from(tensor!.toTypedArray() as Float32Array);

describe('conv -> relu -> max-pool kernel', () => {
  it('is used exactly where the CPU has AVX-512', () => {
    const flags = os.arch() === 'x64' ? (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '') : '';
    expect(binding.info().convPoolKernel).toBe(flags.split(/\s+/).includes('avx512f') ? 'avx512f' : null);
  });

  // A 4x4 image of ones and a kernel with a single 1 at its centre: each of the 16 channels sees the
  // image times (its index - 8) plus bias 0.5, so channels 0-7 pool to relu(negative) = 0 and take no
  // gradient, channel 8 to 0.5 and channels 9-15 to the positive value; every window's first
  // element wins (all four equal), so the weight gradient of the centre tap is the sum of the
  // pooled gradient over the unblocked channels.
  it('computes a hand-worked case and its gradients', () => {
    const channels = 16;
    const weight = new Float32Array(channels * 25);
    for (let c = 0; c < channels; c++) weight[c * 25 + 12] = c - 8;
    const input = t(new Array(16).fill(1), [1, 1, 4, 4]);
    const bias = t(new Array(channels).fill(0.5), [channels]);
    const gradOutput = t(new Array(channels * 4).fill(1), [1, channels, 2, 2]);
    for (const implementation of ['fused', 'reference'] as const) {
      const result = binding.testing.computeConvReluPool({ input, weight: t(weight, [channels, 1, 5, 5]), bias, gradOutput, implementation });
      expect(result.output.shape).toEqual([1, channels, 2, 2]);
      const output = values(result.output);
      for (let c = 0; c < channels; c++) expect(output.slice(c * 4, c * 4 + 4)).toEqual(new Array(4).fill(Math.max(0, c - 8 + 0.5)));
      const gradWeight = values(result.gradWeight);
      const gradBias = values(result.gradBias);
      for (let c = 0; c < channels; c++) {
        expect(gradBias[c]).toBe(c >= 8 ? 4 : 0);
        expect(gradWeight[c * 25 + 12]).toBe(c >= 8 ? 4 : 0);
      }
    }
  });

  // Quarter steps: every product and sum is exact in float32, so the kernel must equal libtorch's
  // convolution + relu + max-pool bit for bit, ties in a window included (both take the first
  // maximum). Shapes: the CNN's first layer at batch 64 (28 x 28, 16 channels), odd sizes (the
  // last row and column are not pooled), widths that leave every remainder block (7k + 1..6
  // pooled columns), and two channel groups.
  it.each([
    [64, 28, 28, 16],
    [3, 9, 7, 16],
    [2, 2, 2, 16],
    [2, 30, 26, 32],
    [1, 5, 12, 16],
  ])('equals libtorch exactly for input [%i, 1, %i, %i] and %i channels', (n, h, w, channels) => {
    const random = seededRandom(n * 1000003 + h * 1009 + w * 31 + channels);
    const quarterSteps = (count: number, scale = 1) =>
      Float32Array.from({ length: count }, () => (Math.floor(random() * 16) / 4 - 2) * scale);
    const input = t(quarterSteps(n * h * w).map((v) => Math.abs(v)), [n, 1, h, w]);
    const weight = t(quarterSteps(channels * 25), [channels, 1, 5, 5]);
    const bias = t(quarterSteps(channels), [channels]);
    const pooled = [n, channels, Math.floor(h / 2), Math.floor(w / 2)];
    const gradOutput = t(quarterSteps(pooled.reduce((a, b) => a * b)), pooled);
    const fused = binding.testing.computeConvReluPool({ input, weight, bias, gradOutput, implementation: 'fused' });
    const reference = binding.testing.computeConvReluPool({ input, weight, bias, gradOutput, implementation: 'reference' });
    expect(fused.output.shape).toEqual(pooled);
    expect(values(fused.output)).toEqual(values(reference.output));
    expect(values(fused.gradWeight)).toEqual(values(reference.gradWeight));
    expect(values(fused.gradBias)).toEqual(values(reference.gradBias));
    // The data must exercise both sides of relu and ties, or equality says little.
    const out = values(reference.output);
    expect(out.some((v) => v === 0)).toBe(true);
    expect(out.some((v) => v > 0)).toBe(true);
  });

  it('takes libtorch\'s path for shapes the kernel does not cover, with the same results', () => {
    const random = seededRandom(7);
    const quarterSteps = (count: number) => Float32Array.from({ length: count }, () => Math.floor(random() * 16) / 4 - 2);
    const input = t(quarterSteps(2 * 8 * 8), [2, 1, 8, 8]);
    const weight = t(quarterSteps(12 * 25), [12, 1, 5, 5]); // 12 channels: not a multiple of 16
    const bias = t(quarterSteps(12), [12]);
    const gradOutput = t(quarterSteps(2 * 12 * 16), [2, 12, 4, 4]);
    const fused = binding.testing.computeConvReluPool({ input, weight, bias, gradOutput });
    const reference = binding.testing.computeConvReluPool({ input, weight, bias, gradOutput, implementation: 'reference' });
    expect(values(fused.output)).toEqual(values(reference.output));
    expect(values(fused.gradWeight)).toEqual(values(reference.gradWeight));
    expect(values(fused.gradBias)).toEqual(values(reference.gradBias));
  });

  it('returns no gradients without gradOutput', () => {
    const result = binding.testing.computeConvReluPool({
      input: t(new Array(4).fill(1), [1, 1, 2, 2]),
      weight: t(new Array(16 * 25).fill(0), [16, 1, 5, 5]),
      bias: t(new Array(16).fill(1), [16]),
    });
    expect(values(result.output)).toEqual(new Array(16).fill(1));
    expect(result.gradWeight).toBeUndefined();
    expect(result.gradBias).toBeUndefined();
  });
});
