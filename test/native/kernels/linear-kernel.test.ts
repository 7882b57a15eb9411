/** camu's fully-connected-layer kernels (native/kernels/linear.cc) against a hand computation and at::linear. */
import fs from 'node:fs';
import os from 'node:os';
import { binding } from '../../../lib/native';
import { seededRandom } from '../../helpers/models';

const t = (data: number[] | Float32Array, shape: number[]) => binding.Tensor.fromTypedArray(Float32Array.from(data), shape);
const values = (tensor: { toTypedArray(): unknown } | undefined) => Array.from(tensor!.toTypedArray() as Float32Array);

describe('linear kernel', () => {
  it('is used exactly where the CPU has AVX-512', () => {
    const flags = os.arch() === 'x64' ? (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '') : '';
    const avx512 = flags.split(/\s+/).includes('avx512f');
    expect(binding.info().linearKernel).toBe(avx512 ? 'avx512f' : null);
  });

  it('computes x·Wᵀ + b and the three gradients of a hand-worked case', () => {
    const input = t([1, 2, 3, 4], [2, 2]);
    const weight = t([1, 0, 0, 1, 1, 1], [3, 2]);
    const bias = t([0.5, 0, -1], [3]);
    const gradOutput = t([1, 1, 1, 1, 1, 1], [2, 3]);
    for (const implementation of ['fused', 'reference'] as const) {
      const result = binding.testing.computeLinear({ input, weight, bias, gradOutput, implementation });
      expect(result.output.shape).toEqual([2, 3]);
      expect(values(result.output)).toEqual([1.5, 2, 2, 3.5, 4, 6]);
      expect(values(result.gradInput)).toEqual([2, 2, 2, 2]); // gradOutput · W
      expect(values(result.gradWeight)).toEqual([4, 6, 4, 6, 4, 6]); // gradOutputᵀ · x
      expect(values(result.gradBias)).toEqual([2, 2, 2]);
    }
  });

  // Quarter steps in [-2, 2): every product and partial sum is exact in float32 at these sizes, so
  // any summation order gives the same bits and the kernels must equal at::linear exactly. The
  // shapes cover full register tiles (6 or 8 rows x 48 or 64 columns), row and column remainders
  // on each side of them, and the CNN's fc1 at batch 64.
  it.each([
    [1, 1, 1],
    [7, 5, 3],
    [13, 33, 17],
    [9, 300, 130],
    [65, 100, 49],
    [64, 1568, 256],
    [64, 256, 10],
  ])('equals at::linear exactly for x [%i, %i] and W [N = %i]', (m, k, n) => {
    const random = seededRandom(m * 1000003 + k * 101 + n);
    const quarterSteps = (count: number) => Float32Array.from({ length: count }, () => Math.floor(random() * 16) / 4 - 2);
    const input = t(quarterSteps(m * k), [m, k]);
    const weight = t(quarterSteps(n * k), [n, k]);
    const bias = t(quarterSteps(n), [n]);
    const gradOutput = t(quarterSteps(m * n), [m, n]);
    for (const withBias of [true, false]) {
      const args = { input, weight, gradOutput, ...(withBias ? { bias } : {}) };
      const fused = binding.testing.computeLinear({ ...args, implementation: 'fused' });
      const reference = binding.testing.computeLinear({ ...args, implementation: 'reference' });
      expect(fused.output.shape).toEqual([m, n]);
      expect(values(fused.output)).toEqual(values(reference.output));
      expect(values(fused.gradInput)).toEqual(values(reference.gradInput));
      expect(values(fused.gradWeight)).toEqual(values(reference.gradWeight));
      if (withBias) expect(values(fused.gradBias)).toEqual(values(reference.gradBias));
      else expect(fused.gradBias).toBeUndefined();
    }
  });

  it('returns no gradients without gradOutput', () => {
    const result = binding.testing.computeLinear({ input: t([1, 2], [1, 2]), weight: t([3, 4], [1, 2]) });
    expect(values(result.output)).toEqual([11]);
    expect(result.gradInput).toBeUndefined();
    expect(result.gradWeight).toBeUndefined();
  });
});
