/** oneDNN's Winograd 3x3 convolutions (native/kernels/winograd_conv.cc) against at::conv2d, their reference twin. */
import { binding } from '../../../lib/native';
import { seededRandom } from '../../helpers/models';

type RawTensor = ReturnType<typeof binding.Tensor.fromTypedArray>;
const t = (data: Float32Array, shape: number[]) => binding.Tensor.fromTypedArray(data, shape);
const values = (tensor: RawTensor | undefined) => tensor!.toTypedArray() as Float32Array;
const status = binding.info().winogradConv;

function normals(count: number, random: () => number): Float32Array {
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

// Winograd sums in another order, through transforms with fractions (1/4, 1/6, 1/24) that float32
// rounds: the two agree to a small fraction of the largest value, never exactly.
function expectClose(actual: Float32Array, expected: Float32Array, relative: number): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i += 1) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  expect(error).toBeLessThanOrEqual(relative * scale);
  return error / scale;
}

describe('Winograd 3x3 convolution', () => {
  it('reports an implementation where available and a reason where not', () => {
    if (status.available) {
      expect(status.implementation).toMatch(/wino/);
      expect(status.reason).toBeUndefined();
    } else {
      expect(status.reason).toEqual(expect.any(String));
      expect(status.reason!.length).toBeGreaterThan(10);
    }
    // .ci/run's Debian-libtorch pass builds with libdnnl-dev on AVX-512 CPUs: losing the path there is a failure.
    if (process.env.CAMU_EXPECT_WINOGRAD === '1') expect(status).toMatchObject({ available: true });
  });

  // [N, C, O, H, W]: channel counts the kernels take (multiples of 16), odd and non-square images,
  // one image, more images than one oneDNN call takes (32: the chunked path, whose weight gradients
  // add up over the calls), ResNet-18-cifar's first stage.
  it.each([
    [1, 16, 16, 9, 11],
    [3, 16, 32, 8, 8],
    [70, 16, 16, 10, 8],
    [4, 32, 16, 9, 9],
    [32, 64, 64, 32, 32],
  ])('agrees with at::conv2d, output and both gradients, for N %i, C %i, O %i, %i x %i', (n, c, o, h, w) => {
    const random = seededRandom(n * 7919 + c * 104729 + o * 13 + h * 31 + w);
    const input = t(normals(n * c * h * w, random), [n, c, h, w]);
    const weight = t(normals(o * c * 9, random).map((v) => v / Math.sqrt(c * 9)), [o, c, 3, 3]);
    const gradOutput = t(normals(n * o * h * w, random), [n, o, h, w]);
    const fused = binding.testing.computeConv3x3({ input, weight, gradOutput, implementation: 'fused' });
    const reference = binding.testing.computeConv3x3({ input, weight, gradOutput, implementation: 'reference' });
    expect(fused.output.shape).toEqual([n, o, h, w]);
    expect(fused.gradInput!.shape).toEqual([n, c, h, w]);
    expect(fused.gradWeight!.shape).toEqual([o, c, 3, 3]);
    const errors = [
      expectClose(values(fused.output), values(reference.output), 1e-4),
      expectClose(values(fused.gradInput), values(reference.gradInput), 1e-4),
      expectClose(values(fused.gradWeight), values(reference.gradWeight), 1e-4),
    ];
    // Where the path runs, it is a different computation (not at::conv2d under another name).
    if (status.available) expect(Math.max(...errors)).toBeGreaterThan(0);
    else expect(Math.max(...errors)).toBe(0);
    // Deterministic: the same call gives the same bits.
    const again = binding.testing.computeConv3x3({ input, weight, gradOutput, implementation: 'fused' });
    expect(values(again.output)).toEqual(values(fused.output));
    expect(values(again.gradWeight)).toEqual(values(fused.gradWeight));
  });

  // 3 input channels (a stem), and images under 8 px (ResNet-18-cifar's last stage is 4 x 4: one
  // 6 x 6 Winograd tile per image, mostly padding, for a weight transform of 38 MB at 512 channels).
  it.each([
    [2, 3, 16, 8, 8],
    [2, 16, 16, 4, 4],
    [2, 32, 32, 7, 12],
  ])('leaves N %i, C %i, O %i, %i x %i to at::conv2d, exactly', (n, c, o, h, w) => {
    const random = seededRandom(3);
    const input = t(normals(n * c * h * w, random), [n, c, h, w]);
    const weight = t(normals(o * c * 9, random), [o, c, 3, 3]);
    const gradOutput = t(normals(n * o * h * w, random), [n, o, h, w]);
    const fused = binding.testing.computeConv3x3({ input, weight, gradOutput });
    const reference = binding.testing.computeConv3x3({ input, weight, gradOutput, implementation: 'reference' });
    expect(values(fused.output)).toEqual(values(reference.output));
    expect(values(fused.gradInput)).toEqual(values(reference.gradInput));
    expect(values(fused.gradWeight)).toEqual(values(reference.gradWeight));
  });

  it('returns no gradients without gradOutput', () => {
    const random = seededRandom(5);
    const result = binding.testing.computeConv3x3({ input: t(normals(16 * 64, random), [1, 16, 8, 8]), weight: t(normals(16 * 16 * 9, random), [16, 16, 3, 3]) });
    expect(result.output.shape).toEqual([1, 16, 8, 8]);
    expect(result.gradInput).toBeUndefined();
    expect(result.gradWeight).toBeUndefined();
  });
});
