/** The CNN's fused relu + 2x2 max-pool kernel against a hand computation and the module's own order. */
import { binding } from '../../../lib/native';
import { seededRandom } from '../../helpers/models';

const t = (data: number[] | Float32Array, shape: number[]) => binding.Tensor.fromTypedArray(Float32Array.from(data), shape);
const values = (tensor: { toTypedArray(): unknown }) => Array.from(tensor.toTypedArray() as Float32Array);

describe('max-pool + relu kernel', () => {
  it('takes the first maximum of each window, zeroes non-positive maxima, routes the gradient to the winner', () => {
    // windows: [1 3 / 3 -1] -> 3 (first 3 wins), [-2 -1 / -3 -4] -> 0 (relu), [0 0 / 0 0] -> 0, [2 5 / 5 5] -> 5
    const input = t([1, 3, -2, -1, 0, 0, 2, 5, 3, -1, -3, -4, 0, 0, 5, 5], [1, 1, 2, 8]);
    const gradOutput = t([10, 20, 30, 40], [1, 1, 1, 4]);
    for (const implementation of ['fused', 'reference'] as const) {
      const result = binding.testing.computeMaxPoolRelu({ input, gradOutput, implementation });
      expect(result.output.shape).toEqual([1, 1, 1, 4]);
      expect(values(result.output)).toEqual([3, 0, 0, 5]);
      expect(values(result.gradient!)).toEqual([0, 10, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
  });

  it('equals max_pool2d(relu(x), 2) bitwise, values and gradients, with ties and odd sizes', () => {
    const random = seededRandom(7);
    for (const shape of [[3, 4, 28, 28], [2, 3, 5, 7], [1, 2, 2, 3]]) {
      const count = shape.reduce((a, b) => a * b, 1);
      // quarter steps in [-2, 2): many exact ties, zeros and negatives
      const input = t(Float32Array.from({ length: count }, () => Math.floor(random() * 16) / 4 - 2), shape);
      const outShape = [shape[0], shape[1], Math.floor(shape[2] / 2), Math.floor(shape[3] / 2)];
      const gradOutput = t(Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => random() - 0.5), outShape);
      const reference = binding.testing.computeMaxPoolRelu({ input, gradOutput, implementation: 'reference' });
      // The kernel reads channels-first input as it is and converts other layouts: both paths.
      for (const channelsLast of [false, true]) {
        const fused = binding.testing.computeMaxPoolRelu({ input, gradOutput, implementation: 'fused', channelsLast });
        expect(fused.output.shape).toEqual(outShape);
        expect(values(fused.output)).toEqual(values(reference.output));
        expect(values(fused.gradient!)).toEqual(values(reference.gradient!));
      }
    }
  });

  it('returns no gradient without gradOutput', () => {
    const result = binding.testing.computeMaxPoolRelu({ input: t([1, 2, 3, 4], [1, 1, 2, 2]) });
    expect(values(result.output)).toEqual([4]);
    expect(result.gradient).toBeUndefined();
  });
});
