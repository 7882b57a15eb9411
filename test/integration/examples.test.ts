/**
 * The TypeScript examples in examples/, as a user runs them: type-checked against the published
 * types (dist/, built here from lib/), compiled, and run as separate processes that resolve
 * `camu` from a node_modules, on a small learnable data set in MNIST's IDX format.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { exportTorchScript, loadMnist, makeSplit, saveSplit, saveWeights, trainFromScratch } from '../../lib';
import { IdxSplitData, pseudoRandomBytes, removeTempDirs, tempDir, writeIdxDir } from '../helpers/data-fixtures';
import { packageRoot as root } from '../helpers/paths';

const run = promisify(execFile);
const tsc = require.resolve('typescript/bin/tsc');

/** 28x28 images on dim noise, class k a bright block at a position of its own: learnable in a few epochs. */
function blocks(count: number, seed: number): IdxSplitData {
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const images = pseudoRandomBytes(count * 28 * 28, seed).map((value) => value >> 2);
  labels.forEach((label, n) => {
    const top = 2 + Math.floor(label / 5) * 14;
    const left = 1 + (label % 5) * 5;
    for (let r = 0; r < 8; r++) for (let c = 0; c < 5; c++) images[n * 784 + (top + r) * 28 + left + c] = 255;
  });
  return { images, labels };
}

let work: string;
let data: string;
let compiled: string;

/** Runs a compiled example; resolves with its output, rejects (with the output) on a non-zero exit. */
async function example(name: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(compiled, `${name}.js`), ...args], { cwd: work });
  return stdout;
}

beforeAll(async () => {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
  work = tempDir('examples');
  // A project with camu installed: the compiled examples' require('camu') finds it here.
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(root, path.join(work, 'node_modules', 'camu'));
  compiled = path.join(work, 'compiled');

  data = path.join(work, 'data');
  fs.mkdirSync(data);
  writeIdxDir(data, blocks(400, 1), blocks(200, 2));
  const { train } = await loadMnist({ dir: data });
  const { model } = await trainFromScratch({ architecture: 'cnn', numClasses: 10, seed: 0 }, train, { epochs: 3 });
  await saveWeights(model, path.join(work, 'original.safetensors'));
  await exportTorchScript(model, path.join(work, 'original.pt'));
  await saveSplit(makeSplit(train, { type: 'class', classes: [0] }, { seed: 0 }), path.join(work, 'split.json'));
}, 120000);
afterAll(removeTempDirs);

test('every example type-checks against the published types and compiles', () => {
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'examples'), '--outDir', compiled], { encoding: 'utf8' });
  expect(fs.readdirSync(compiled).sort()).toEqual(['audit-unlearning.js', 'compare-methods.js', 'reproduce-paper.js', 'unlearn-your-model.js']);
});

test("the examples' type check fails on an API the published types do not have", () => {
  const check = path.join(work, 'check');
  fs.mkdirSync(check);
  fs.writeFileSync(path.join(check, 'uses-missing.ts'), "import * as camu from 'camu';\nvoid camu.unlearnEverything();\n");
  const config = {
    extends: path.join(root, 'examples', 'tsconfig.json'),
    compilerOptions: { noEmit: true, rootDir: check, typeRoots: [path.join(root, 'node_modules', '@types')] },
    include: ['uses-missing.ts'],
  };
  fs.writeFileSync(path.join(check, 'tsconfig.json'), JSON.stringify(config));
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', check], { encoding: 'utf8' });
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  expect(output).toMatch(/Property 'unlearnEverything' does not exist/);
});

test('unlearn-your-model: a TorchScript model and a split in, the unlearned model out, its metrics printed', async () => {
  const out = path.join(work, 'unlearned.safetensors');
  const stdout = await example('unlearn-your-model', ['--model', 'original.pt', '--split', 'split.json', '--data-dir', data, '--out', out]);
  expect(stdout).toMatch(/^mnist class removal \(classes 0\)/);
  expect(stdout).toMatch(/model\s+acc\(D_r\)\s+acc\(D_f\)\s+acc\(T\)\s+MIA/);
  expect(stdout).toMatch(/\noriginal(\s+\d+\.\d+){3}\s+\d\.\d{3}\n/);
  expect(stdout).toMatch(/\nunlearned \(camu\)(\s+\d+\.\d+){3}\s+\d\.\d{3}\n/);
  expect(stdout).toMatch(/unlearning took \d+\.\d+ s \(preset mnist-class\); saved /);
  expect(fs.statSync(out).size).toBeGreaterThan(0);
});

test('compare-methods: one table of the methods on one split', async () => {
  const stdout = await example('compare-methods', ['--model', 'original.safetensors', '--split', 'split.json', '--data-dir', data]);
  expect(stdout).toMatch(/method\s+acc\(D_r\)\s+acc\(D_f\)\s+acc\(T\)\s+MIA\s+time \(s\)/);
  expect(stdout).toMatch(/\noriginal(\s+\d+\.\d+){3}\s+\d\.\d{3}\s+-\n/);
  for (const method of ['camu', 'finetune', 'neggrad', 'scrub']) {
    expect(stdout).toMatch(new RegExp(`\\n${method}(\\s+\\d+\\.\\d+){3}\\s+\\d\\.\\d{3}\\s+\\d+\\.\\d+\\n|\\n${method}(\\s+stopped){5}\\n`));
  }
  await expect(example('compare-methods', ['--model', 'original.safetensors', '--split', 'split.json', '--methods', 'camu,nope'])).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/method must be .* got 'nope'/),
  });
});

test('audit-unlearning: RMIA and U-LiRA numbers with their intervals, and the ROC plot', async () => {
  const plot = path.join(work, 'audit.svg');
  const stdout = await example('audit-unlearning', ['--model', 'original.safetensors', '--split', 'split.json', '--data-dir', data, '--method', 'finetune', '--references', '4', '--epochs', '1', '--plot', plot]);
  const numbers = 'AUC \\d\\.\\d{3} \\[\\d\\.\\d{3}, \\d\\.\\d{3}\\], TPR at 1% FPR \\d\\.\\d{3} \\[\\d\\.\\d{3}, \\d\\.\\d{3}\\]';
  expect(stdout).toMatch(new RegExp(`RMIA, D_f rows against test rows: ${numbers}`));
  expect(stdout).toMatch(new RegExp(`U-LiRA, finetune against retraining: ${numbers}`));
  expect(fs.readFileSync(plot, 'utf8')).toContain('U-LiRA: finetune against retraining');
});

test('reproduce-paper: a tiny reproduction writes results.json, results.md, the results page and plots', async () => {
  const out = path.join(work, 'reproduce');
  const stdout = await example('reproduce-paper', [
    ...['--out', out, '--datasets', 'mnist', '--data-dir', `mnist=${data}`, '--scenarios', 'class', '--seeds', '0'],
    ...['--epochs', '1', '--camu-epochs', '1', '--relearn-steps', '10'],
  ]);
  for (const method of ['original', 'retrain', 'camu']) expect(stdout).toMatch(new RegExp(`mnist/class/seed 0/${method}: acc\\(D_f\\) \\d+\\.\\d+, acc\\(T\\) \\d+\\.\\d+`));
  expect(stdout).toMatch(/3 runs done, 0 already in results.json/);
  expect(stdout).toContain(`results: ${path.join(out, 'results.json')}`);
  expect(stdout).toContain(`tables: ${path.join(out, 'results.md')}`);
  expect(stdout).toContain(`results page: ${path.join(out, 'index.html')}`);
  expect(stdout).toMatch(new RegExp(`plots: \\d+ files in ${path.join(out, 'plots')}`));
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toContain('MNIST');
});
