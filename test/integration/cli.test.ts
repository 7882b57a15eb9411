/**
 * The camu command line end to end, in-process through main(): the README demo's train, unlearn
 * and evaluate on generated MNIST files, their output as JSON or as a table, --config files,
 * --force, and the exit statuses; `camu demo` on the real MNIST (test/unit/cli.test.ts covers the
 * parsing without the addon).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DemoSummary, demoText, main } from '../../lib/cli/commands';
import { CliIo } from '../../lib/cli/output';
import { createModel, exportTorchScriptSync, info, loadWeightsSync, METHOD_NAMES } from '../../lib';
import { idxSplit, removeTempDirs, tempDir, writeIdxDir } from '../helpers/data-fixtures';

/** main()'s output: stdout as a terminal (isTTY) or a pipe; progress and errors apart. */
function capture(isTTY = false): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (chunk: string) => out.push(chunk), isTTY }, stderr: { write: (chunk: string) => err.push(chunk) } }, out, err };
}

/** Runs a command line: its status, stdout and stderr. */
async function run(argv: string[], isTTY = false): Promise<{ status: number; stdout: string; stderr: string }> {
  const { io, out, err } = capture(isTTY);
  const status = await main(argv, io);
  return { status, stdout: out.join(''), stderr: err.join('') };
}

/** A CNN weights file's tensors as plain arrays, for toEqual. */
function weights(file: string): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(loadWeightsSync(createModel({ architecture: 'cnn' }), file).stateTensors()).map(([key, t]) => [key, Array.from(t.toTypedArray() as Float32Array)]),
  );
}

let root: string;
let data: string;
let original: string;
let split: string;
beforeAll(async () => {
  root = tempDir('cli');
  data = path.join(root, 'idx');
  fs.mkdirSync(data);
  const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 10);
  writeIdxDir(data, idxSplit(labels(400), 28, 28, 3), idxSplit(labels(200), 28, 28, 4));
  original = path.join(root, 'demo', 'nested', 'original.safetensors');
  split = path.join(root, 'demo', 'splits', 'split.json');
});
afterAll(removeTempDirs);

test("the README demo's train, unlearn and evaluate, writing into folders they create; JSON when piped", async () => {
  const trained = await run(['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--out', original]);
  expect(trained.status).toBe(0);
  expect(JSON.parse(trained.stdout)).toMatchObject({ out: original, architecture: 'cnn', epochs: 1 });
  expect(trained.stderr).toContain('"label":"train"');
  const unlearned = path.join(root, 'demo', 'nested', 'unlearned.safetensors');
  const unlearnArgs = ['--model', original, '--dataset', 'mnist', '--dir', data, '--scenario', 'class:0'];
  const removal = await run(['unlearn', ...unlearnArgs, '--save-split', split, '--out', unlearned]);
  expect(removal.status).toBe(0);
  expect(JSON.parse(removal.stdout)).toMatchObject({ out: unlearned, method: 'camu' });
  expect(fs.existsSync(unlearned) && fs.existsSync(split)).toBe(true);
  const evaluated = await run(['evaluate', '--model', unlearned, '--dataset', 'mnist', '--dir', data, '--split', split]);
  expect(evaluated.status).toBe(0);
  expect(JSON.parse(evaluated.stdout)).toHaveProperty('metrics');
  // Another method of the registry, its options as flags.
  const finetuned = path.join(root, 'demo', 'nested', 'finetuned.safetensors');
  const finetuneArgs = ['--model', original, '--dataset', 'mnist', '--dir', data, '--split', split, '--method', 'finetune'];
  const finetune = await run(['unlearn', ...finetuneArgs, '--epochs', '1', '--optimizer', 'adam', '--learning-rate', '0.001', '--out', finetuned]);
  expect(finetune.status).toBe(0);
  expect(JSON.parse(finetune.stdout)).toMatchObject({ method: 'finetune', epochs: 1, settings: { optimizer: 'adam', learningRate: 0.001, epochs: 1 } });
  expect(fs.existsSync(finetuned)).toBe(true);
  // retrain through the registry is the reference `camu train --split` makes (both seed 0).
  const retrained = path.join(root, 'demo', 'nested', 'retrained.safetensors');
  const onRetain = path.join(root, 'demo', 'nested', 'trained-on-retain.safetensors');
  const retrainArgs = ['--model', original, '--dataset', 'mnist', '--dir', data, '--split', split, '--method', 'retrain'];
  const retrain = await run(['unlearn', ...retrainArgs, '--epochs', '1', '--retain-floor', '0', '--out', retrained]);
  expect(retrain.status).toBe(0);
  expect(JSON.parse(retrain.stdout)).toMatchObject({ method: 'retrain', settings: { epochs: 1, optimizer: 'adam', learningRate: 0.001, seed: 0 } });
  expect((await run(['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--split', split, '--out', onRetain])).status).toBe(0);
  expect(weights(retrained)).toEqual(weights(onRetain));
});

test('in a terminal, evaluate, train and info print tables; --json prints the same JSON as a pipe gets', async () => {
  const argv = ['evaluate', '--model', original, '--dataset', 'mnist', '--dir', data, '--split', split];
  const table = await run(argv, true);
  expect(table.status).toBe(0);
  expect(() => JSON.parse(table.stdout)).toThrow();
  const lines = table.stdout.split('\n');
  expect(lines[0]).toMatch(/^split {2,}\S/);
  const header = lines.findIndex((line) => /^metric +value$/.test(line));
  expect(header).toBeGreaterThan(0);
  expect(lines.find((line) => line.startsWith('acc.forget '))).toMatch(/^acc\.forget +\d+(\.\d+)?$/);
  // Unavailable metrics (no retrained model given) show '-' and why.
  expect(lines.find((line) => line.startsWith('distance.js '))).toMatch(/^distance\.js +- +\S/);
  // Every metric row starts its value in the same column.
  const columns = new Set(lines.slice(header + 1).filter(Boolean).map((line) => line.search(/ \S/) + 1 + line.slice(line.search(/ \S/) + 1).search(/\S/)));
  expect(columns.size).toBe(1);
  const json = await run([...argv, '--json'], true);
  const piped = await run(argv, false);
  const { metrics } = JSON.parse(json.stdout);
  expect(Object.keys(metrics)).toEqual(Object.keys(JSON.parse(piped.stdout).metrics));
  expect(table.stdout).toContain(`acc.forget`);

  const info = await run(['info'], true);
  expect(info.status).toBe(0);
  expect(info.stdout).toMatch(/^camuVersion +\d/m);
  expect(info.stdout).toMatch(/^threads\.intraOp +\d+$/m);
  expect(JSON.parse((await run(['info', '--json'], true)).stdout)).toHaveProperty('camuVersion');

  const retrained = path.join(root, 'retrained.safetensors');
  const train = await run(['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--split', split, '--out', retrained], true);
  expect(train.status).toBe(0);
  expect(train.stdout).toMatch(new RegExp(`^out +${retrained.replace(/[.]/g, '\\.')}$`, 'm'));
  expect(train.stdout).toMatch(/^epochLosses +\d/m);
});

test('--force: train and unlearn refuse to overwrite --out or --save-split (exit 2, naming the file), and overwrite with it', async () => {
  const out = path.join(root, 'force', 'model.safetensors');
  const argv = ['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--out', out];
  expect((await run(argv)).status).toBe(0);
  const before = fs.statSync(out).mtimeMs;
  const refused = await run(argv);
  expect(refused).toMatchObject({ status: 2, stdout: '' });
  expect(refused.stderr).toBe(`camu train: --out: ${out} exists; give --force to overwrite it\nRun 'camu train --help' for its options.\n`);
  expect(fs.statSync(out).mtimeMs).toBe(before);
  const forced = await run([...argv, '--force']);
  expect(forced.status).toBe(0);
  expect(fs.statSync(out).mtimeMs).toBeGreaterThan(before);

  const unlearned = path.join(root, 'force', 'unlearned.safetensors');
  const unlearnArgs = ['unlearn', '--model', out, '--dataset', 'mnist', '--dir', data, '--scenario', 'class:1', '--method', 'finetune', '--epochs', '1'];
  const savedSplit = await run([...unlearnArgs, '--save-split', split, '--out', unlearned]);
  expect(savedSplit.status).toBe(2);
  expect(savedSplit.stderr).toContain(`--save-split: ${split} exists; give --force to overwrite it`);
  expect(fs.existsSync(unlearned)).toBe(false);
  expect((await run([...unlearnArgs, '--out', unlearned])).status).toBe(0);
  expect((await run([...unlearnArgs, '--out', unlearned])).stderr).toContain(`--out: ${unlearned} exists`);
  // --force from a config file counts as the flag does.
  const config = path.join(root, 'force.yaml');
  fs.writeFileSync(config, 'force: true\n');
  expect((await run([...unlearnArgs, '--out', unlearned, '--config', config])).status).toBe(0);
  // An output that is an input, or another output, is refused even with --force, the input intact.
  const modelBytes = fs.readFileSync(out);
  const ontoInput = await run([...unlearnArgs, '--out', out, '--force']);
  expect(ontoInput.status).toBe(2);
  expect(ontoInput.stderr).toContain(`--out: ${out} is also --model; write the result to another file`);
  expect(fs.readFileSync(out).equals(modelBytes)).toBe(true);
  const twice = await run([...unlearnArgs, '--out', unlearned, '--save-split', unlearned, '--force']);
  expect(twice.stderr).toContain(`--save-split: ${unlearned} is also --out`);
  const trainOntoSplit = await run(['train', '--dataset', 'mnist', '--dir', data, '--split', split, '--out', split, '--force']);
  expect(trainOntoSplit.stderr).toContain(`--out: ${split} is also --split`);
});

test('an unusable destination fails before any work: a folder, a FIFO, a path through a file', async () => {
  const folder = path.join(root, 'dest', 'a-folder.safetensors');
  fs.mkdirSync(folder, { recursive: true });
  const fifo = path.join(root, 'dest', 'fifo');
  execFileSync('mkfifo', [fifo]);
  const file = path.join(root, 'dest', 'plain-file');
  fs.writeFileSync(file, 'x');
  const train = ['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--force', '--out'];
  const ontoFolder = await run([...train, folder]);
  expect(ontoFolder).toMatchObject({ status: 2, stdout: '' });
  expect(ontoFolder.stderr).toContain(`--out: ${folder} is a folder; name a file to write`);
  expect((await run([...train, fifo])).stderr).toContain(`--out: ${fifo} is not a regular file`);
  const throughFile = await run([...train, path.join(file, 'model.safetensors')]);
  expect(throughFile.status).toBe(1);
  expect(throughFile.stderr).toMatch(new RegExp(`--out: cannot write to ${file.replace(/[.]/g, '\\.')}: .*\\[ERR_CAMU_IO\\]`));
  const unlearnSplit = await run(['unlearn', '--model', original, '--dataset', 'mnist', '--dir', data, '--scenario', 'class:1', '--method', 'finetune', '--save-split', folder, '--out', path.join(root, 'dest', 'u.safetensors')]);
  expect(unlearnSplit.stderr).toContain(`--save-split: ${folder} is a folder`);
  const reproduce = await run(['reproduce', '--out', file, '--datasets', 'mnist', '--seeds', '0', '--methods', 'original']);
  expect(reproduce.status).toBe(1);
  expect(reproduce.stderr).toContain(`--out: cannot write to ${file}`);
  // Nothing was written: no model, no split, no write-check file left behind.
  expect(fs.readdirSync(path.join(root, 'dest')).sort()).toEqual(['a-folder.safetensors', 'fifo', 'plain-file']);
});

test('a TorchScript --model needs --trust-torchscript: refused before any work without it, evaluated with it', async () => {
  const scripted = path.join(root, 'torchscript', 'original.pt');
  fs.mkdirSync(path.dirname(scripted), { recursive: true });
  exportTorchScriptSync(createModel({ architecture: 'cnn' }), scripted);
  const evaluate = ['evaluate', '--model', scripted, '--dataset', 'mnist', '--dir', data, '--split', split];
  const refused = await run(evaluate);
  expect(refused).toMatchObject({ status: 2, stdout: '' });
  expect(refused.stderr).toContain(`--model: ${scripted} is TorchScript, whose code runs when it is loaded and used; give --trust-torchscript`);
  const asRetrained = await run(['evaluate', '--model', original, '--retrained', scripted, '--dataset', 'mnist', '--dir', data, '--split', split]);
  expect(asRetrained.stderr).toContain(`--retrained: ${scripted} is TorchScript`);
  const unlearn = await run(['unlearn', '--model', scripted, '--dataset', 'mnist', '--dir', data, '--split', split, '--out', path.join(root, 'torchscript', 'u.safetensors')]);
  expect(unlearn.status).toBe(2);
  expect(unlearn.stderr).toContain('--trust-torchscript');
  expect(fs.readdirSync(path.dirname(scripted))).toEqual(['original.pt']);
  // A precision is for camu's ResNets: with a TorchScript file it is refused, not ignored.
  const withPrecision = await run([...evaluate, '--trust-torchscript', '--precision', 'bfloat16']);
  expect(withPrecision).toMatchObject({ status: 2, stdout: '' });
  expect(withPrecision.stderr).toContain(`--precision bfloat16: --model ${scripted} is TorchScript, which runs in its own precision`);
  const trusted = await run([...evaluate, '--trust-torchscript', '--forward-timeout', '60']);
  expect(trusted.stderr).not.toContain('Error');
  expect(trusted.status).toBe(0);
  expect(JSON.parse(trusted.stdout)).toHaveProperty('metrics');
});

test('audit: RMIA with reference models writes audit.json and roc.svg; a rerun takes the references from the cache', async () => {
  const out = path.join(root, 'audit');
  const args = ['audit', '--model', original, '--dataset', 'mnist', '--dir', data, '--split', split, '--references', '2', '--epochs', '1', '--max-rows', '60', '--out', out];
  const first = await run(args);
  expect(first.stderr).not.toContain('Error');
  expect(first.status).toBe(0);
  const printed = JSON.parse(first.stdout);
  expect(printed).toMatchObject({ attack: 'rmia', references: { count: 2, cached: 0 }, rows: { forget: expect.any(Number), test: expect.any(Number) } });
  expect(printed.rmia.forgetVsTest.auc).toMatch(/^\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]$/);
  expect(first.stderr).toContain('"phase":"references"');
  const written = JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8'));
  expect(written.forgetVsTest.curve.fpr.length).toBe(written.forgetVsTest.curve.tpr.length);
  expect(written.lossAttack.forgetVsTest).toHaveProperty('auc');
  expect(fs.readFileSync(path.join(out, 'roc.svg'), 'utf8')).toMatch(/^<svg[^>]*>.*RMIA, D_f.*<\/svg>\s*$/s);
  expect((await run(args)).stderr).toContain('audit.json exists; give --force');
  const again = await run([...args, '--force']);
  expect(JSON.parse(again.stdout).references).toMatchObject({ count: 2, cached: 2 });
  expect((await run([...args.slice(0, -2), '--references', '0', '--out', out])).status).toBe(2);
  const offline = await run([...args, '--force', '--rmia-mode', 'offline', '--rmia-a', '0.5']);
  expect(offline.status).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8')).mode).toBe('offline');
  const badA = await run([...args, '--force', '--rmia-a', '2']);
  // A value out of the library's range fails at once, before any training, naming the option.
  expect(badA.status).toBe(1);
  expect(badA.stderr).toContain('audit: options.rmia.a must be');
  // U-LiRA: the demo's fine-tuned model against the model trained on D_r, with fine-tuning shadows.
  const finetuned = path.join(root, 'demo', 'nested', 'finetuned.safetensors');
  const onRetain = path.join(root, 'demo', 'nested', 'trained-on-retain.safetensors');
  const ulira = ['audit', '--attack', 'ulira', '--model', finetuned, '--dataset', 'mnist', '--dir', data, '--split', split, '--method', 'finetune', '--references', '4', '--epochs', '1', '--max-rows', '30', '--out', path.join(root, 'ulira')];
  const withoutRetrained = await run(ulira);
  expect(withoutRetrained.status).toBe(2);
  expect(withoutRetrained.stderr).toContain('--attack ulira needs --retrained');
  const lira = await run([...ulira, '--retrained', onRetain]);
  expect(lira.stderr).not.toContain('Error');
  expect(lira.status).toBe(0);
  expect(JSON.parse(lira.stdout)).toMatchObject({ attack: 'ulira', method: 'finetune', shadows: { count: 4 }, rows: expect.any(Number), observationsPerRow: 2, unlearnedVsRetrained: { auc: expect.any(String) } });
  expect(JSON.parse(fs.readFileSync(path.join(root, 'ulira', 'audit.json'), 'utf8')).unlearnedVsRetrained.curve).toHaveProperty('fpr');
  expect(fs.readFileSync(path.join(root, 'ulira', 'roc.svg'), 'utf8')).toContain('U-LiRA, finetune');
});

test('--config: unlearn from a YAML file with the method and its options, a flag overriding one', async () => {
  const out = path.join(root, 'config', 'unlearned.safetensors');
  const config = path.join(root, 'unlearn.yaml');
  const lines = ['method: finetune', `model: ${original}`, 'dataset: mnist', `dir: ${data}`, `split: ${split}`, `out: ${out}`, 'epochs: 1', 'optimizer: adam', 'learning-rate: 0.001'];
  fs.writeFileSync(config, `${lines.join('\n')}\n`);
  const result = await run(['unlearn', '--config', config, '--learning-rate', '0.002']);
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ out, method: 'finetune', settings: { optimizer: 'adam', learningRate: 0.002, epochs: 1 } });
  const json = path.join(root, 'evaluate.json');
  fs.writeFileSync(json, JSON.stringify({ model: out, dataset: 'mnist', dir: data, split, json: true }));
  const evaluated = await run(['evaluate', '--config', json], true);
  expect(evaluated.status).toBe(0);
  expect(JSON.parse(evaluated.stdout)).toHaveProperty('metrics');
  const typo = path.join(root, 'typo.json');
  fs.writeFileSync(typo, JSON.stringify({ model: out, dataset: 'mnist', splt: split }));
  const refused = await run(['evaluate', '--config', typo]);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(new RegExp(`^camu evaluate: .*typo\\.json: unknown key 'splt'; did you mean 'split'\\? \\(expected keys: model, dataset, `));
});

test('--device: cpu is the default; cuda runs train, unlearn and evaluate on the GPU, or fails (exit 1, coded) writing nothing where this build has none', async () => {
  const dataArgs = ['--dataset', 'mnist', '--dir', data];
  const onCpu = path.join(root, 'device', 'cpu.safetensors');
  const byDefault = path.join(root, 'device', 'default.safetensors');
  expect((await run(['train', ...dataArgs, '--epochs', '1', '--device', 'cpu', '--out', onCpu])).status).toBe(0);
  expect((await run(['train', ...dataArgs, '--epochs', '1', '--out', byDefault])).status).toBe(0);
  expect(weights(onCpu)).toEqual(weights(byDefault));

  const cuda = info().cuda.available;
  const trained = path.join(root, 'device', 'cuda-trained.safetensors');
  const unlearned = path.join(root, 'device', 'cuda-unlearned.safetensors');
  const commands = [
    ['train', ...dataArgs, '--epochs', '1', '--out', trained],
    ['unlearn', '--model', original, ...dataArgs, '--split', split, '--out', unlearned],
    ['evaluate', '--model', original, ...dataArgs, '--split', split],
  ];
  for (const argv of commands) {
    const result = await run([...argv, '--device', 'cuda']);
    if (cuda) {
      expect(result.status).toBe(0);
    } else {
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^camu ${argv[0]}: .*no CUDA device is available to this build of camu \\[ERR_CAMU_UNSUPPORTED\\]`));
    }
  }
  expect([fs.existsSync(trained), fs.existsSync(unlearned)]).toEqual([cuda, cuda]);
});

test('exit statuses: --help and --version 0, usage errors 2 with the command to ask, failures while working 1', async () => {
  for (const command of ['demo', 'train', 'unlearn', 'evaluate', 'reproduce']) {
    const help = await run([command, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: camu ${command} `));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  expect(await run(['--version'])).toEqual({ status: 0, stdout: `${manifest.version}\n`, stderr: '' });
  expect(await run(['unlearn', '--dataset', 'mnist', '--out', 'x.safetensors'])).toEqual({
    status: 2,
    stdout: '',
    stderr: "camu unlearn: --model is required\nRun 'camu unlearn --help' for its options.\n",
  });
  expect((await run(['reproduce', '--datasets', 'svhn'])).stderr).toMatch(/--datasets must list some of mnist/);
  expect((await run(['train', '--dataset', 'mnist', '--epoch', '2'])).stderr).toMatch(/^camu train: unknown option '--epoch'; did you mean --epochs\?\n/);
  const noSuggestion = await run(['reproduce', '--zzz']);
  expect(noSuggestion.status).toBe(2);
  expect(noSuggestion.stderr).not.toMatch(/did you mean/);
  expect(await run(['evalute'])).toEqual({
    status: 2,
    stdout: '',
    stderr: "camu: unknown command 'evalute'; did you mean 'evaluate'?\nRun 'camu --help' for the commands.\n",
  });
  const names = `${METHOD_NAMES.slice(0, -1).map((n) => `'${n}'`).join(', ')} or '${METHOD_NAMES[METHOD_NAMES.length - 1]}'`;
  const method = await run(['unlearn', '--method', 'nope', '--model', 'm.safetensors', '--dataset', 'mnist', '--out', 'x.safetensors']);
  expect(method.status).toBe(2);
  expect(method.stderr).toContain(`--method must be ${names}`);
  const foreign = await run(['unlearn', '--method', 'finetune', '--kl-lr', '1', '--model', 'm', '--dataset', 'mnist', '--out', 'x']);
  expect(foreign.status).toBe(2);
  expect(foreign.stderr).toContain('--kl-lr is an option of --method camu, not of finetune');
  const both = await run(['unlearn', '--model', original, '--dataset', 'mnist', '--out', path.join(root, 'never.safetensors')]);
  expect(both.status).toBe(2);
  expect(both.stderr).toContain('give exactly one of --split and --scenario');
  // A model file that does not exist fails while working.
  const missing = await run(['evaluate', '--model', path.join(root, 'none.safetensors'), '--dataset', 'mnist', '--dir', data, '--split', split]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/^camu evaluate: .*none\.safetensors.*\[ERR_/);
});

describe('camu demo', () => {
  test('trains on MNIST, forgets class 0 with CaMU and evaluates both models in one go, writing its three files; the model is camu train\'s', async () => {
    const out = path.join(root, 'camu-demo');
    const demo = await run(['demo', '--out', out]);
    expect(demo.stderr).not.toContain('Error');
    expect(demo.status).toBe(0);
    const summary = JSON.parse(demo.stdout) as DemoSummary;
    expect(summary).toMatchObject({
      dataset: 'mnist',
      split: expect.stringMatching(/^mnist class removal \(classes 0\): \|D_f\| = 5923, /),
      train: { architecture: 'cnn', epochs: 1, seed: 0, steps: 1875 },
      unlearn: { method: 'camu', preset: 'mnist-class' },
    });
    const { original, unlearned } = summary.metrics;
    expect(original['acc.forget']).toBeGreaterThan(90);
    expect(unlearned['acc.forget']).toBeLessThan(5);
    expect(unlearned['acc.test']).toBeGreaterThan(80);
    expect(unlearned['acc.retain']).toBeGreaterThan(90);
    const files = { original: path.join(out, 'original.safetensors'), split: path.join(out, 'split.json'), unlearned: path.join(out, 'unlearned.safetensors') };
    expect(summary.files).toEqual(files);
    expect(fs.readdirSync(out).sort()).toEqual(['original.safetensors', 'split.json', 'unlearned.safetensors']);
    // Each step is announced on stderr, with the progress (JSON lines where stderr is not a terminal).
    expect(demo.stderr).toContain('"label":"demo","message":"training the paper CNN on MNIST for 1 epoch (seed 0)"');
    expect(demo.stderr).toContain('"label":"demo","phase":"removal"');
    // What a terminal shows: the accuracies before and after, and the files.
    const text = demoText(summary);
    const accuracies = (label: string) => new RegExp(`^${label} +(\\d+\\.\\d+)% +(\\d+\\.\\d+)%$`, 'm').exec(text)?.slice(1).map(Number);
    expect(accuracies('D_f \\(forgotten\\)')).toEqual([Number(original['acc.forget']?.toFixed(2)), Number(unlearned['acc.forget']?.toFixed(2))]);
    expect(accuracies('T \\(test\\)')?.[1]).toBeGreaterThan(80);
    expect(text).toContain(`Wrote ${files.original}, ${files.split} and ${files.unlearned}`);
    // The same original model as `camu train --dataset mnist --epochs 1` makes.
    const trained = path.join(root, 'demo-train.safetensors');
    expect((await run(['train', '--dataset', 'mnist', '--epochs', '1', '--out', trained])).status).toBe(0);
    expect(fs.readFileSync(trained).equals(fs.readFileSync(files.original))).toBe(true);
  }, 600000);

  test('an output file that exists is refused without --force, and a folder in its place even with it, before any work (exit 2)', async () => {
    const out = path.join(root, 'demo-existing');
    fs.mkdirSync(out);
    const split = path.join(out, 'split.json');
    fs.writeFileSync(split, '{}');
    expect(await run(['demo', '--out', out])).toEqual({
      status: 2,
      stdout: '',
      stderr: `camu demo: --out: ${split} exists; give --force to overwrite it\nRun 'camu demo --help' for its options.\n`,
    });
    fs.mkdirSync(path.join(out, 'unlearned.safetensors'));
    const folder = await run(['demo', '--out', out, '--force']);
    expect(folder).toMatchObject({ status: 2, stdout: '' });
    expect(folder.stderr).toContain(`--out: ${path.join(out, 'unlearned.safetensors')} is a folder; name a file to write`);
    expect(fs.readdirSync(out).sort()).toEqual(['split.json', 'unlearned.safetensors']);
    expect(fs.readFileSync(split, 'utf8')).toBe('{}');
  });
});
