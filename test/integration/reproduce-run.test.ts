/**
 * `camu reproduce` end to end on a tiny setting (the first 300 MNIST train and 200 test images,
 * 1 seed, 1 original epoch, 1 CaMU epoch, a short relearn budget): the outputs exist, a rerun
 * resumes without redoing finished runs, and an abort leaves a valid results file. Plus the
 * CLI's argument parsing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AbortError, createModel, loadWeightsSync, METHOD_NAMES, reproduce as report } from '../../lib';
import { threadsForJobs } from '../../lib/cli';
import { main, parseMethods, parseScenario, parseSeeds } from '../../lib/cli/commands';
import { idxSplit, writeIdxDir } from '../helpers/data-fixtures';

const tiny = {
  datasets: ['mnist'] as report.DatasetName[],
  seeds: [0],
  epochs: 1,
  camuEpochs: 1,
  trainSubset: 300,
  testSubset: 200,
  relearn: { maxSteps: 20, interval: 10, evalSamples: 200 },
};

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-reproduce-'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

test('a tiny reproduction writes results.json, results.md and plots, then resumes', async () => {
  const out = path.join(root, 'run');
  const first = await report.reproduce({ ...tiny, out, scenarios: ['class'] });
  expect(first.ran).toEqual(['mnist/class/0/original', 'mnist/class/0/retrain', 'mnist/class/0/camu']);
  expect(first.failed).toEqual([]);
  const results = await report.readResults(path.join(out, 'results.json'));
  expect(results.runs).toHaveLength(3);
  for (const run of results.runs) {
    expect(run.reduced).toBe(true);
    expect(run.relearnCurve?.steps).toEqual([0, 10, 20]);
    expect(typeof run.metrics['acc.forget']).toBe('number');
  }
  const camu = results.runs.find((run) => run.method === 'camu') as report.RunRecord;
  expect(camu.metrics['time.seconds']).toBeGreaterThan(0);
  expect(typeof camu.metrics['time.rte']).toBe('number');
  expect(typeof camu.metrics['gap.acc.test']).toBe('number');
  expect(results.splits['mnist/class/0']).toBe(path.join('splits', 'mnist-class-0-reduced.json'));
  expect(fs.existsSync(path.join(out, results.splits['mnist/class/0']))).toBe(true);
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toContain('MNIST (reduced)');
  expect(fs.readdirSync(path.join(out, 'plots')).some((file) => file.startsWith('relearn-'))).toBe(true);
  const cached = fs.readdirSync(path.join(out, 'cache')).sort();
  expect(cached.filter((file) => file.endsWith('.safetensors'))).toHaveLength(2);

  const again = await report.reproduce({ ...tiny, out, scenarios: ['class'] });
  expect(again.ran).toEqual([]);
  expect(again.skipped).toHaveLength(3);
  expect((await report.readResults(path.join(out, 'results.json'))).runs).toEqual(results.runs);
  expect(fs.readdirSync(path.join(out, 'cache')).sort()).toEqual(cached);
});

test('camu report rewrites results.md and the plots from results.json', async () => {
  const out = path.join(root, 'run');
  fs.rmSync(path.join(out, 'results.md'));
  fs.rmSync(path.join(out, 'plots'), { recursive: true });
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['report', out])).toBe(0);
  } finally {
    write.mockRestore();
  }
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toContain('MNIST (reduced)');
  expect(fs.readdirSync(path.join(out, 'plots'))).toEqual(expect.arrayContaining(['method-camu.svg', 'relearn-mnist-class-reduced.svg']));
  const error = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(['report', path.join(root, 'no-such-run')])).toBe(1);
    expect(String(error.mock.calls[0][0])).toMatch(/results\.json.*ERR_CAMU_IO/);
  } finally {
    error.mockRestore();
  }
});

test('two units at once (jobs 2) give the runs and metrics of one at a time', async () => {
  const options = { ...tiny, scenarios: ['class'] as report.ScenarioKind[], methods: ['original', 'camu'] as report.ReproduceMethod[], seeds: [0, 1] };
  const serial = await report.reproduce({ ...options, out: path.join(root, 'serial') });
  const concurrent = await report.reproduce({ ...options, out: path.join(root, 'concurrent'), jobs: 2 });
  expect(concurrent.ran.sort()).toEqual(serial.ran.sort());
  expect(concurrent.ran).toHaveLength(4);
  const accuracies = async (dir: string) =>
    (await report.readResults(path.join(root, dir, 'results.json'))).runs
      .map((run) => [run.seed, run.method, run.metrics['acc.retain'], run.metrics['acc.forget'], run.metrics['acc.test']])
      .sort();
  expect(await accuracies('concurrent')).toEqual(await accuracies('serial'));
  const concurrentResults = await report.readResults(path.join(root, 'concurrent', 'results.json'));
  expect(concurrentResults.settings.jobs).toBe(2);
  expect(fs.readFileSync(path.join(root, 'concurrent', 'results.md'), 'utf8')).toContain('2 jobs at once');
});

test('reproduce runs any registered method beside the references, labelled from its descriptor', async () => {
  const out = path.join(root, 'finetune');
  const summary = await report.reproduce({ ...tiny, out, scenarios: ['class'], methods: ['original', 'retrain', 'finetune'], cacheDir: path.join(root, 'run', 'cache') });
  expect(summary.ran).toEqual(['mnist/class/0/original', 'mnist/class/0/retrain', 'mnist/class/0/finetune']);
  const results = await report.readResults(path.join(out, 'results.json'));
  const finetune = results.runs.find((run) => run.method === 'finetune') as report.RunRecord;
  expect(finetune.metrics['time.seconds']).toBeGreaterThan(0);
  expect(typeof finetune.metrics['gap.acc.test']).toBe('number');
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toContain('Fine-tune');
  await expect(report.reproduce({ ...tiny, out, methods: ['nope'] })).rejects.toThrow(/methods/);
});

test('a method run the retained-accuracy guard stops is recorded with the reason, and the others go on', async () => {
  const out = path.join(root, 'guarded');
  const summary = await report.reproduce({
    ...tiny,
    out,
    scenarios: ['class'],
    methods: ['original', 'retrain', 'finetune', 'camu'],
    cacheDir: path.join(root, 'run', 'cache'),
    // No model is 100% accurate on the probe: every unlearning method is stopped at its first check.
    retainFloor: 100,
  });
  expect(summary.ran).toEqual(['mnist/class/0/original', 'mnist/class/0/retrain', 'mnist/class/0/finetune', 'mnist/class/0/camu']);
  const results = await report.readResults(path.join(out, 'results.json'));
  expect(results.settings.retainFloor).toBe(100);
  const finetune = results.runs.find((run) => run.method === 'finetune') as report.RunRecord;
  expect(finetune.metrics['acc.retain']).toBeNull();
  expect(finetune.metrics['time.seconds']).toBeNull();
  expect(finetune.unavailable?.['acc.retain']).toMatch(/^unlearning with finetune stopped after step \d+ .*below the floor of 100\.00% \(retainFloor\)/);
  expect(finetune.relearnCurve).toBeUndefined();
  const original = results.runs.find((run) => run.method === 'original') as report.RunRecord;
  expect(typeof original.metrics['acc.retain']).toBe('number');
  const table = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  expect(table).toContain('unlearning with finetune stopped');
  await expect(report.reproduce({ ...tiny, out: path.join(root, 'bad-floor'), retainFloor: 120 })).rejects.toThrow(/retainFloor/);
});

test('a failing unit stops the others and its error is the one reported', async () => {
  const out = path.join(root, 'failing');
  // seed 1's split file is not JSON: that unit fails when it reads it; seed 0's unit is aborted.
  fs.mkdirSync(path.join(out, 'splits'), { recursive: true });
  fs.writeFileSync(path.join(out, 'splits', 'mnist-class-1-reduced.json'), 'not json');
  await expect(
    report.reproduce({ ...tiny, out, scenarios: ['class'], methods: ['camu'], seeds: [0, 1], jobs: 2, cacheDir: path.join(root, 'serial', 'cache') }),
  ).rejects.toThrow(/mnist-class-1-reduced\.json/);
});

test('an abort after the first run leaves a valid results file holding it', async () => {
  const out = path.join(root, 'aborted');
  const controller = new AbortController();
  const finished: string[] = [];
  await expect(
    report.reproduce({
      ...tiny,
      out,
      // The cache of the first test: the original model is not trained again.
      cacheDir: path.join(root, 'run', 'cache'),
      scenarios: ['random'],
      signal: controller.signal,
      onRunFinished: (run) => {
        finished.push(run.method);
        controller.abort();
      },
    }),
  ).rejects.toThrow(AbortError);
  expect(finished).toEqual(['original']);
  const results = await report.readResults(path.join(out, 'results.json'));
  expect(results.runs.map((run) => run.method)).toEqual(['original']);
});

test('a dataset that cannot be loaded is reported and skipped', async () => {
  const out = path.join(root, 'missing');
  const summary = await report.reproduce({
    ...tiny,
    out,
    datasets: ['fashion'],
    scenarios: ['class'],
    dataDirs: { fashion: path.join(root, 'no-such-dir') },
  });
  expect(summary.ran).toEqual([]);
  expect(summary.failed).toHaveLength(1);
  expect(summary.failed[0].error).toMatch(/no-such-dir/);
});

test('bad options are errors naming them', async () => {
  await expect(report.reproduce({ out: path.join(root, 'bad'), datasets: ['svhn' as report.DatasetName] })).rejects.toThrow(/datasets/);
  await expect(report.reproduce({ out: path.join(root, 'bad'), epochs: 0 })).rejects.toThrow(/epochs/);

  // Node's codes, as for every argument error: the wrong kind of value is a TypeError with
  // ERR_INVALID_ARG_TYPE, a value outside what is allowed a RangeError with ERR_OUT_OF_RANGE.
  const out = path.join(root, 'bad');
  const wrongType = (name: RegExp) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(name) });
  const outside = (name: RegExp) => ({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(name) });
  const bad = (options: unknown) => report.reproduce(options as report.ReproduceOptions);
  await expect(bad(undefined)).rejects.toMatchObject(wrongType(/reproduce: options must be an object/));
  await expect(bad({})).rejects.toMatchObject(wrongType(/options\.out/));
  await expect(bad({ out: '' })).rejects.toMatchObject(wrongType(/options\.out/));
  await expect(bad({ out, datasets: ['svhn'] })).rejects.toMatchObject(outside(/options\.datasets\[0\].*'svhn'/));
  await expect(bad({ out, datasets: 'mnist' })).rejects.toMatchObject(wrongType(/options\.datasets must be a non-empty list/));
  await expect(bad({ out, datasets: [] })).rejects.toMatchObject(outside(/options\.datasets must be a non-empty list/));
  await expect(bad({ out, scenarios: ['class', 'all'] })).rejects.toMatchObject(outside(/options\.scenarios\[1\].*'all'/));
  await expect(bad({ out, methods: ['nope'] })).rejects.toMatchObject(outside(/options\.methods\[0\]/));
  await expect(bad({ out, seeds: [] })).rejects.toMatchObject(outside(/options\.seeds must be a non-empty list/));
  await expect(bad({ out, seeds: 3 })).rejects.toMatchObject(wrongType(/options\.seeds/));
  await expect(bad({ out, seeds: [0, -1] })).rejects.toMatchObject(outside(/options\.seeds\[1\] must be an integer >= 0, got -1/));
  await expect(bad({ out, seeds: [0.5] })).rejects.toMatchObject(outside(/options\.seeds\[0\]/));
  await expect(bad({ out, seeds: ['0'] })).rejects.toMatchObject(wrongType(/options\.seeds\[0\]/));
  await expect(bad({ out, epochs: 0 })).rejects.toMatchObject(outside(/options\.epochs must be an integer >= 1, got 0/));
  await expect(bad({ out, epochs: '2' })).rejects.toMatchObject(wrongType(/options\.epochs/));
  await expect(bad({ out, jobs: 0 })).rejects.toMatchObject(outside(/options\.jobs/));
  await expect(bad({ out, camuEpochs: 1.5 })).rejects.toMatchObject(outside(/options\.camuEpochs/));
  await expect(bad({ out, trainSubset: 9 })).rejects.toMatchObject(outside(/options\.trainSubset must be an integer >= 10/));
  await expect(bad({ out, testSubset: Infinity })).rejects.toMatchObject(outside(/options\.testSubset/));
  await expect(bad({ out, device: 'tpu' })).rejects.toMatchObject(outside(/options\.device must be 'cpu' or 'cuda', got 'tpu'/));
  await expect(bad({ out, relearn: { interval: 0 } })).rejects.toMatchObject(outside(/options\.relearn\.interval/));
  await expect(bad({ out, relearn: { interval: 10, maxSteps: 5 } })).rejects.toMatchObject(outside(/options\.relearn\.maxSteps must be an integer >= 10/));
  await expect(bad({ out, relearn: { evalSamples: null } })).rejects.toMatchObject(wrongType(/options\.relearn\.evalSamples/));
  // The checks come before anything is written.
  expect(fs.existsSync(out)).toBe(false);
});

test('CLI: --jobs shares the cores among the jobs unless CAMU_NUM_THREADS is set', () => {
  expect(threadsForJobs(['reproduce', '--jobs', '2'], {}, 2)).toBe(1);
  expect(threadsForJobs(['reproduce', '--jobs=3'], {}, 8)).toBe(2);
  expect(threadsForJobs(['reproduce', '--jobs', '4'], {}, 2)).toBe(1);
  expect(threadsForJobs(['reproduce', '--jobs', '2'], { CAMU_NUM_THREADS: '2' }, 2)).toBeUndefined();
  expect(threadsForJobs(['reproduce'], {}, 2)).toBeUndefined();
  expect(threadsForJobs(['train', '--jobs', '2'], {}, 2)).toBeUndefined();
  expect(threadsForJobs(['reproduce', '--jobs', 'x'], {}, 2)).toBeUndefined();
});

test('CLI parsing of --methods: a list, or all of them', () => {
  expect(parseMethods('original,finetune')).toEqual(['original', 'finetune']);
  // 'retrain' is a registered method too: all of them lists it once, as the cached retrained model.
  expect(METHOD_NAMES).toContain('retrain');
  expect(parseMethods('all')).toEqual(['original', 'retrain', ...METHOD_NAMES.filter((name) => name !== 'retrain')]);
  expect(() => parseMethods('all,camu')).toThrow(RangeError);
});

test('CLI parsing of seeds and scenarios', () => {
  expect(parseSeeds('0-4')).toEqual([0, 1, 2, 3, 4]);
  expect(parseSeeds('3,1,3')).toEqual([3, 1]);
  expect(() => parseSeeds('4-2')).toThrow(RangeError);
  expect(parseScenario('class:0,3')).toEqual({ type: 'class', classes: [0, 3] });
  expect(parseScenario('random:0.1')).toEqual({ type: 'random', fraction: 0.1 });
  expect(parseScenario('random:500')).toEqual({ type: 'random', count: 500 });
  expect(() => parseScenario('all')).toThrow(RangeError);
});

test("CLI: the README demo's train, unlearn and evaluate, writing into folders they create", async () => {
  const data = path.join(root, 'idx');
  fs.mkdirSync(data);
  const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 10);
  writeIdxDir(data, idxSplit(labels(400), 28, 28, 3), idxSplit(labels(200), 28, 28, 4));
  const output = path.join(root, 'demo', 'nested');
  const original = path.join(output, 'original.safetensors');
  const unlearned = path.join(output, 'unlearned.safetensors');
  const split = path.join(root, 'demo', 'splits', 'split.json');
  const printed: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--out', original])).toBe(0);
    expect(fs.existsSync(original)).toBe(true);
    const unlearnArgs = ['--model', original, '--dataset', 'mnist', '--dir', data, '--scenario', 'class:0'];
    expect(await main(['unlearn', ...unlearnArgs, '--save-split', split, '--out', unlearned])).toBe(0);
    expect(fs.existsSync(unlearned) && fs.existsSync(split)).toBe(true);
    expect(await main(['evaluate', '--model', unlearned, '--dataset', 'mnist', '--dir', data, '--split', split])).toBe(0);
    expect(JSON.parse(printed[printed.length - 1])).toHaveProperty('metrics');
    // Another method of the registry, its options as flags.
    const finetuned = path.join(output, 'finetuned.safetensors');
    const finetuneArgs = ['--model', original, '--dataset', 'mnist', '--dir', data, '--split', split, '--method', 'finetune'];
    expect(await main(['unlearn', ...finetuneArgs, '--epochs', '1', '--optimizer', 'adam', '--learning-rate', '0.001', '--out', finetuned])).toBe(0);
    const stats = JSON.parse(printed[printed.length - 1]);
    expect(stats).toMatchObject({ method: 'finetune', epochs: 1, settings: { optimizer: 'adam', learningRate: 0.001, epochs: 1 } });
    expect(fs.existsSync(finetuned)).toBe(true);
    // retrain through the registry is the reference `camu train --split` makes (both seed 0).
    const retrained = path.join(output, 'retrained.safetensors');
    const trained = path.join(output, 'trained-on-retain.safetensors');
    const retrainArgs = ['--model', original, '--dataset', 'mnist', '--dir', data, '--split', split, '--method', 'retrain'];
    expect(await main(['unlearn', ...retrainArgs, '--epochs', '1', '--retain-floor', '0', '--out', retrained])).toBe(0);
    expect(JSON.parse(printed[printed.length - 1])).toMatchObject({ method: 'retrain', settings: { epochs: 1, optimizer: 'adam', learningRate: 0.001, seed: 0 } });
    expect(await main(['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--split', split, '--out', trained])).toBe(0);
    const weights = (file: string) =>
      Object.fromEntries(
        Object.entries(loadWeightsSync(createModel({ architecture: 'cnn' }), file).stateTensors()).map(([key, t]) => [key, Array.from(t.toTypedArray() as Float32Array)]),
      );
    expect(weights(retrained)).toEqual(weights(trained));
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
});

test('CLI: --help, --version, and usage errors are exit status 2 naming the flag', async () => {
  const written: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  try {
    for (const command of ['train', 'unlearn', 'evaluate', 'reproduce']) {
      expect(await main([command, '--help'])).toBe(0);
      expect(written.pop()).toMatch(new RegExp(`^Usage: camu ${command} `));
    }
    expect(await main(['--version'])).toBe(0);
    expect(written.pop()).toBe(`${JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version}\n`);
    expect(await main(['unlearn', '--dataset', 'mnist', '--out', 'x.safetensors'])).toBe(2);
    expect(written.pop()).toMatch(/^camu unlearn: --model is required\nRun 'camu unlearn --help' for its options\.\n$/);
    expect(await main(['reproduce', '--datasets', 'svhn'])).toBe(2);
    expect(written.pop()).toMatch(/--datasets must list some of mnist/);
    // A mistyped flag or command comes with the nearest known one.
    expect(await main(['train', '--dataset', 'mnist', '--epoch', '2'])).toBe(2);
    expect(written.pop()).toMatch(/Unknown option '--epoch'; did you mean --epochs\?/);
    expect(await main(['reproduce', '--zzz'])).toBe(2);
    expect(written.pop()).not.toMatch(/did you mean/);
    expect(await main(['evalute'])).toBe(2);
    expect(written.pop()).toMatch(/unknown command 'evalute'; did you mean 'evaluate'\?/);
    // Unknown methods, and a flag of another method, are errors everywhere.
    expect(await main(['unlearn', '--method', 'nope', '--model', 'm.safetensors', '--dataset', 'mnist', '--out', 'x.safetensors'])).toBe(2);
    expect(written.pop()).toContain(`--method must be ${METHOD_NAMES.slice(0, -1).map((n) => `'${n}'`).join(', ')} or '${METHOD_NAMES[METHOD_NAMES.length - 1]}'`);
    expect(await main(['unlearn', '--method', 'finetune', '--kl-lr', '1', '--model', 'm', '--dataset', 'mnist', '--out', 'x'])).toBe(2);
    expect(written.pop()).toMatch(/--kl-lr/);
    expect(await main(['reproduce', '--methods', 'original,nope'])).toBe(2);
    expect(written.pop()).toContain(`--methods must list some of ${['original', 'retrain', ...METHOD_NAMES.filter((name) => name !== 'retrain')].join(', ')},`);
    expect(await main(['unlearn', '--help'])).toBe(0);
    const help = written.pop() as string;
    for (const flag of ['--method finetune', '--learning-rate', '--kl-lr', 'presets (--preset): mnist-random']) expect(help).toContain(flag);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
});
