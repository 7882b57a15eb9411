/** camu's fused Adam (native/train/adam.cc) against a hand computation and torch::optim::Adam. */
import { binding } from '../../../lib/native';
import { maxAbsDiff, seededRandom } from '../../helpers/models';

const t = (data: ArrayLike<number>, shape: number[]) => binding.Tensor.fromTypedArray(Float32Array.from(data), shape);
const values = (tensor: { toTypedArray(): unknown }) => Array.from(tensor.toTypedArray() as Float32Array);

describe('fused Adam', () => {
  // With a constant gradient g and no weight decay, Adam's bias-corrected moments are exactly g and
  // g², so every step moves a parameter by lr·g / (|g| + eps): k steps move it k times that.
  it.each(['fused', 'reference'] as const)('takes the known steps of a constant gradient (%s)', (implementation) => {
    const start = [1, -1, 0.25, 3];
    const gradient = [0.5, -2, 1e-3, 0];
    const [after] = binding.testing.computeAdamSteps({
      parameters: [t(start, [2, 2])],
      gradients: [t(gradient, [2, 2])],
      steps: 3,
      learningRate: 0.01,
      implementation,
    });
    const expected = start.map((p, i) => p - (3 * 0.01 * gradient[i]) / (Math.abs(gradient[i]) + 1e-8));
    expect(after.shape).toEqual([2, 2]);
    expect(maxAbsDiff(values(after), expected)).toBeLessThan(1e-6);
  });

  it.each(['fused', 'reference'] as const)('adds the L2 weight decay to the gradient, as torch.optim.Adam does (%s)', (implementation) => {
    // One step: g' = g + wd·p, and the step is lr·g'/(|g'| + eps); a zero gradient still decays.
    const [after] = binding.testing.computeAdamSteps({
      parameters: [t([2, -4], [2])],
      gradients: [t([0, 0], [2])],
      learningRate: 0.1,
      weightDecay: 0.5,
      implementation,
    });
    expect(maxAbsDiff(values(after), [1.9, -3.9])).toBeLessThan(1e-6);
  });

  it('equals torch::optim::Adam over many steps, skips parameters without a gradient, and leaves its inputs alone', () => {
    const random = seededRandom(11);
    const shapes = [[16, 1, 5, 5], [16], [300, 157], [10], [3, 7]];
    const parameters = shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return t(Float32Array.from({ length: n }, () => random() - 0.5), shape);
    });
    const gradients = parameters.map((p, i) =>
      i === 3 ? null : t(Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * 4), p.shape),
    );
    const before = parameters.map(values);
    const args = { parameters, gradients, steps: 20, learningRate: 1e-3, weightDecay: 1e-4 };
    const fused = binding.testing.computeAdamSteps({ ...args, implementation: 'fused' });
    const reference = binding.testing.computeAdamSteps({ ...args, implementation: 'reference' });
    fused.forEach((p, i) => {
      expect(p.shape).toEqual(shapes[i]);
      expect({ i, diff: maxAbsDiff(values(p), values(reference[i])) < 1e-6 }).toEqual({ i, diff: true });
      // 20 steps of about lr each: every parameter with a gradient moved, the one without did not.
      const moved = maxAbsDiff(values(p), before[i]);
      if (i === 3) expect(moved).toBe(0);
      else expect(moved).toBeGreaterThan(0.015);
    });
    expect(parameters.map(values)).toEqual(before);
  });
});
