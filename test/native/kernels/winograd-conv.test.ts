/**
 * Winograd 3x3 convolutions against at::conv2d, their reference twin: oneDNN's kernels for images of
 * 8 px and more (native/kernels/winograd_conv.cc), camu's single-tile path for 4 x 4 images
 * (native/kernels/winograd_single_tile.cc).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { binding } from '../../../lib/native';
import { seededRandom } from '../../helpers/models';
import { packageRoot } from '../../helpers/paths';

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

  it('has the single-tile path on every build where the CPU has AVX-512, unless CAMU_WINOGRAD turns it off', () => {
    const avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
    const off = ['off', '0'].includes(process.env.CAMU_WINOGRAD ?? '');
    expect(status.singleTile).toBe(avx512 && !off);
  });

  it('CAMU_WINOGRAD=off turns both paths off (a fresh process over dist/: the setting is read once)', () => {
    const script = "console.log(JSON.stringify(require('./dist').info().winogradConv))";
    const child = spawnSync(process.execPath, ['-e', script], { cwd: packageRoot, env: { ...process.env, CAMU_WINOGRAD: 'off' }, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toMatchObject({ available: false, singleTile: false, reason: expect.any(String) });
  });

  // [N, C, O, H, W]: channel counts the kernels take (multiples of 16), odd and non-square images,
  // one image, more images than one oneDNN call takes (32: the chunked path, whose weight gradients
  // add up over the calls), ResNet-18-cifar's first stage.
  // 4 x 4 images (the single-tile path): more output than input channels and the reverse (its
  // blocks of 8 channels run over O in the forward pass and the weight gradient, over C in the input
  // gradient), one image, an evaluation-sized batch, wider channels like ResNet-18-cifar's last stage.
  it.each([
    [1, 16, 16, 9, 11],
    [3, 16, 32, 8, 8],
    [70, 16, 16, 10, 8],
    [4, 32, 16, 9, 9],
    [32, 64, 64, 32, 32],
    [3, 64, 128, 4, 4],
    [1, 96, 64, 4, 4],
    [240, 64, 64, 4, 4],
    [8, 256, 128, 4, 4],
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
    if (h === 4 ? status.singleTile : status.available) expect(Math.max(...errors)).toBeGreaterThan(0);
    else expect(Math.max(...errors)).toBe(0);
    // Deterministic: the same call gives the same bits.
    const again = binding.testing.computeConv3x3({ input, weight, gradOutput, implementation: 'fused' });
    expect(values(again.output)).toEqual(values(fused.output));
    expect(values(again.gradWeight)).toEqual(values(fused.gradWeight));
  });

  // 3 input channels (a stem); images under 8 px other than 4 x 4; 4 x 4 images with fewer than 64
  // channels, or channel counts not in multiples of 16.
  it.each([
    [2, 3, 16, 8, 8],
    [2, 16, 16, 4, 4],
    [2, 32, 32, 7, 12],
    [2, 64, 64, 3, 3],
    [2, 72, 64, 4, 4],
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
