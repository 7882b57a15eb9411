/** The fused intervention-loss kernels against a hand computation and the plain-libtorch reference. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binding } from '../../../lib/native';
import { seededRandom } from '../../helpers/models';
import { packageRoot as root } from '../../helpers/paths';

const t = (data: number[] | Float32Array, shape: number[]) => binding.Tensor.fromTypedArray(Float32Array.from(data), shape);
const labels = (data: number[]) => binding.Tensor.fromTypedArray(BigInt64Array.from(data.map(BigInt)), [data.length]);

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('intervention loss kernels', () => {
  it('KL term: matches a hand computation of Σ w·KL(softmax(t) ‖ softmax(s)) and its gradient', () => {
    const teacher = [[1, 2, 3], [0, 0, 0]];
    const student = [[3, 2, 1], [1, 0, -1]];
    const weights = [0.5, 2];
    let expected = 0;
    const expectedGrad: number[] = [];
    teacher.forEach((row, r) => {
      const p = softmax(row), q = softmax(student[r]);
      expected += weights[r] * p.reduce((acc, pi, i) => acc + pi * (Math.log(pi) - Math.log(q[i])), 0);
      expectedGrad.push(...q.map((qi, i) => weights[r] * (qi - p[i])));
    });
    const result = binding.testing.computeInterventionLoss({
      term: 'kl', teacher: t(teacher.flat(), [2, 3]), student: t(student.flat(), [2, 3]), rowWeights: t(weights, [2]), split: 1,
    });
    expect(result.loss).toBeCloseTo(expected, 6);
    const firstRow = softmax(teacher[0]).reduce((acc, pi, i) => acc + pi * (Math.log(pi) - Math.log(softmax(student[0])[i])), 0);
    expect(result.blockLosses[0]).toBeCloseTo(0.5 * firstRow, 6);
    Array.from(result.gradient.toTypedArray() as Float32Array).forEach((g, i) => expect(g).toBeCloseTo(expectedGrad[i], 6));
  });

  it('CE term: matches a hand computation of Σ w·CE and its gradient', () => {
    const logits = [[2, 1, 0], [0, 3, 1], [1, 1, 1]];
    const y = [0, 2, 1];
    const weights = [0.3, 0.3, 0.01];
    let expected = 0;
    const expectedGrad: number[] = [];
    logits.forEach((row, r) => {
      const p = softmax(row);
      expected += -weights[r] * Math.log(p[y[r]]);
      expectedGrad.push(...p.map((pi, c) => weights[r] * (pi - (c === y[r] ? 1 : 0))));
    });
    const result = binding.testing.computeInterventionLoss({
      term: 'ce', logits: t(logits.flat(), [3, 3]), labels: labels(y), rowWeights: t(weights, [3]),
    });
    expect(result.loss).toBeCloseTo(expected, 6);
    Array.from(result.gradient.toTypedArray() as Float32Array).forEach((g, i) => expect(g).toBeCloseTo(expectedGrad[i], 6));
  });

  it.each([
    ['kl', 64, 256],
    ['kl', 3, 1],
    ['ce', 64, 10],
    ['ce', 40, 100],
  ] as const)('fused %s equals the libtorch reference on %i x %i random rows', (term, rows, dims) => {
    const random = seededRandom(rows * 1000 + dims);
    const values = () => Float32Array.from({ length: rows * dims }, () => (random() - 0.5) * 12);
    const weights = t(Array.from({ length: rows }, (_, r) => (r < rows / 2 ? 0.5 : 0.01)), [rows]);
    const args =
      term === 'kl'
        ? { term, teacher: t(values(), [rows, dims]), student: t(values(), [rows, dims]), rowWeights: weights }
        : { term, logits: t(values(), [rows, dims]), labels: labels(Array.from({ length: rows }, () => Math.floor(random() * dims))), rowWeights: weights };
    const split = Math.floor(rows / 2);
    const fused = binding.testing.computeInterventionLoss({ ...args, split, implementation: 'fused' });
    const reference = binding.testing.computeInterventionLoss({ ...args, split, implementation: 'reference' });
    expect(Math.abs(fused.loss - reference.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(reference.loss)));
    fused.blockLosses.forEach((value, block) => {
      const expected = reference.blockLosses[block];
      expect(Math.abs(value - expected)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));
    });
    expect(fused.blockLosses[0] + fused.blockLosses[1]).toBeCloseTo(fused.loss, 4);
    const a = fused.gradient.toTypedArray() as Float32Array;
    const b = reference.gradient.toTypedArray() as Float32Array;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-6);
  });

  it('rejects mismatched shapes, dtypes and labels out of range', () => {
    const rowWeights = t([1, 1], [2]);
    expect(() => binding.testing.computeInterventionLoss({ term: 'kl', teacher: t([1, 2, 3, 4], [2, 2]), student: t([1, 2, 3, 4, 5, 6], [2, 3]), rowWeights })).toThrow(/same shape/);
    expect(() => binding.testing.computeInterventionLoss({ term: 'kl', teacher: t([1, 2], [2, 1]), student: t([1, 2], [2, 1]), rowWeights: t([1], [1]) })).toThrow(/row weights/);
    expect(() => binding.testing.computeInterventionLoss({ term: 'ce', logits: t([1, 2, 3, 4], [2, 2]), labels: labels([0, 2]), rowWeights })).toThrow(/labels must be in \[0, 2\)/);
    expect(() => binding.testing.computeInterventionLoss({ term: 'ce', logits: t([1, 2, 3, 4], [2, 2]), labels: t([0, 1], [2]), rowWeights })).toThrow(/int64/);
    expect(() => binding.testing.computeInterventionLoss({ term: 'kl', rowWeights } as any)).toThrow(/teacher must be a Tensor/);
    expect(() => binding.testing.computeInterventionLoss({ term: 'kl', teacher: t([1, 2], [2, 1]), student: t([1, 2], [2, 1]), rowWeights, split: 3 })).toThrow(/split must be in \[0, 2\]/);
    expect(() => binding.testing.computeInterventionLoss({ term: 'kl', teacher: t([1], [1, 1]), student: t([1], [1, 1]), rowWeights: t([1], [1]), device: 'tpu' as any })).toThrow(/device must be 'cpu', 'cuda' or 'cuda:N'/);
  });

  it('rejects CUDA on a build or machine without it', () => {
    if (binding.info().cuda.available) return;
    const args = { term: 'kl' as const, teacher: t([1], [1, 1]), student: t([1], [1, 1]), rowWeights: t([1], [1]) };
    expect(() => binding.testing.computeInterventionLoss({ ...args, device: 'cuda' })).toThrow(/no CUDA device is available/);
  });
});

describe('CUDA kernel source', () => {
  const nvcc = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).stdout.trim();
  const maybe = nvcc ? it : it.skip;
  maybe('compiles with nvcc', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'camu-nvcc-')), 'intervention_loss.o');
    const result = spawnSync(nvcc, ['-std=c++17', '-O3', '-I', path.join(root, 'native'), '-c',
      path.join(root, 'native/kernels/intervention_loss.cu'), '-o', out], { encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/error/);
    expect(result.status).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(1000);
  });
});
