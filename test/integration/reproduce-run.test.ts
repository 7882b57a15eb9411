/**
 * `camu reproduce` end to end on a tiny setting (the first 300 MNIST train and 200 test images,
 * 1 seed, 1 original epoch, 1 CaMU epoch, a short relearn budget): the outputs exist, a rerun
 * resumes without redoing finished runs, and an abort leaves a valid results file (the CLI's
 * other commands: cli.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AbortError, reproduce as report } from '../../lib';
import { main } from '../../lib/cli/commands';

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

test('a tiny reproduction writes results.json, results.md, plots and index.html, then resumes', async () => {
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
  expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('the first 300 training samples (--train-subset 300)');
  const cached = fs.readdirSync(path.join(out, 'cache')).sort();
  expect(cached.filter((file) => file.endsWith('.safetensors'))).toHaveLength(2);

  const again = await report.reproduce({ ...tiny, out, scenarios: ['class'] });
  expect(again.ran).toEqual([]);
  expect(again.skipped).toHaveLength(3);
  expect((await report.readResults(path.join(out, 'results.json'))).runs).toEqual(results.runs);
  expect(fs.readdirSync(path.join(out, 'cache')).sort()).toEqual(cached);
});

test('camu report rewrites results.md, the plots and index.html from results.json', async () => {
  const out = path.join(root, 'run');
  fs.rmSync(path.join(out, 'results.md'));
  fs.rmSync(path.join(out, 'index.html'));
  fs.rmSync(path.join(out, 'plots'), { recursive: true });
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['report', out])).toBe(0);
  } finally {
    write.mockRestore();
  }
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toContain('MNIST (reduced)');
  expect(fs.readdirSync(path.join(out, 'plots'))).toEqual(expect.arrayContaining(['method-camu.svg', 'relearn-mnist-class-reduced.svg']));
  expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<table class="sortable" id="paper-table">');
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

test('--audit rmia audits every run, --audit ulira every method against retraining; the tables show them', async () => {
  const cacheDir = path.join(root, 'run', 'cache');
  const rmiaOut = path.join(root, 'audit-rmia');
  await report.reproduce({ ...tiny, out: rmiaOut, scenarios: ['random'], methods: ['original', 'finetune'], cacheDir, audit: { attack: 'rmia', references: 2, epochs: 1 } });
  const rmia = await report.readResults(path.join(rmiaOut, 'results.json'));
  expect(rmia.settings.audit).toEqual({ attack: 'rmia', references: 2, epochs: 1 });
  for (const run of rmia.runs) {
    expect(run.metrics['audit.rmia.auc']).toBeGreaterThanOrEqual(0);
    expect(run.metrics['audit.rmia.auc']).toBeLessThanOrEqual(1);
    expect(typeof run.metrics['audit.rmia.tpr']).toBe('number');
  }
  expect(fs.readFileSync(path.join(rmiaOut, 'results.md'), 'utf8')).toContain('RMIA AUC');
  // The references are cached under the cache folder, shared by the runs.
  expect(fs.readdirSync(path.join(cacheDir, 'audit')).filter((name) => name.startsWith('reference-') && name.endsWith('.json'))).toHaveLength(2);

  const uliraOut = path.join(root, 'audit-ulira');
  await report.reproduce({ ...tiny, out: uliraOut, scenarios: ['random'], methods: ['original', 'finetune'], cacheDir, audit: { attack: 'ulira', references: 4, epochs: 1 } });
  const ulira = await report.readResults(path.join(uliraOut, 'results.json'));
  const byMethod = (method: string) => ulira.runs.find((run) => run.method === method) as report.RunRecord;
  expect(typeof byMethod('finetune').metrics['audit.ulira.auc']).toBe('number');
  expect(byMethod('original').metrics['audit.ulira.auc']).toBeNull();
  expect(byMethod('original').unavailable?.['audit.ulira.auc']).toMatch(/compares an unlearning method/);
  expect(fs.readFileSync(path.join(uliraOut, 'results.md'), 'utf8')).toContain('U-LiRA AUC');
  await expect(report.reproduce({ ...tiny, out: uliraOut, audit: { attack: 'ulira', references: 2 } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
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
