/**
 * The results file of `camu reproduce` (schema, atomic writes, resume) and its Markdown tables.
 * Pure TypeScript: imports lib/reproduce's modules one by one (its index re-exports run.ts, which
 * loads the native addon), so it needs no native build.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CamuError } from '../../lib/errors';
import { writeFileAtomic } from '../../lib/fs-atomic';
import { metricInfo, ReportedMetricKey } from '../../lib/metrics/catalogue';
import { criteriaChecks, randomGapSpreads } from '../../lib/reproduce/checks';
import { renderPage } from '../../lib/reproduce/page';
import { metricBarChart, niceScale } from '../../lib/reproduce/plots';
import { ProgressMode, ProgressReporter } from '../../lib/reproduce/progress';
import { writeReport } from '../../lib/reproduce/report';
import { addRetrainComparisons, addRuns, finishedRunKeys, newResults, pendingRuns } from '../../lib/reproduce/runs';
import { ResultsFile, ResultsHeader, RunIdentity, RunRecord } from '../../lib/reproduce/schema';
import { mean, methodOrder, populationStd, summarize } from '../../lib/reproduce/stats';
import { openResults, readResults, writeResults } from '../../lib/reproduce/store';
import { extraTable, formatValue, paperTable, renderTables } from '../../lib/reproduce/table';
import { validateResults } from '../../lib/reproduce/validate';

const header: ResultsHeader = {
  camuVersion: '0.1.0',
  libtorchVersion: '1.13.1',
  device: 'cpu',
  threads: 2,
  gitCommit: '6390d8d',
  createdAt: '2024-05-01T10:00:00.000Z',
  settings: { datasets: ['mnist'], scenarios: ['class', 'random'], seeds: [0, 1], methods: ['retrain', 'camu'], epochs: 20 },
  splits: { 'mnist/class/0': 'splits/mnist-class-0.json' },
};

function run(
  method: string,
  seed: number,
  metrics: Record<string, number | null>,
  extra: Partial<RunRecord> = {},
): RunRecord {
  return { dataset: 'mnist', scenario: 'class', seed, method, reduced: false, metrics, ...extra };
}

/** A valid file as plain JSON, for the validation cases to break one field at a time. */
function validJson(): Record<string, any> {
  const results = addRuns(newResults(header), [
    run('camu', 0, { 'acc.forget': 0, 'mia.camu': null }, { unavailable: { 'mia.camu': 'built without XGBoost' } }),
    run('retrain', 0, { 'acc.forget': 0.2 }, { relearnCurve: { steps: [0, 10], gap: [90, 80] } }),
  ]);
  return JSON.parse(JSON.stringify(results));
}

function formatError(value: unknown): CamuError {
  try {
    validateResults(value, 'fixture.json');
  } catch (error) {
    expect(error).toBeInstanceOf(CamuError);
    expect((error as CamuError).code).toBe('ERR_CAMU_FORMAT');
    return error as CamuError;
  }
  throw new Error('validateResults accepted a malformed file');
}

let directory: string;
beforeEach(async () => {
  directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'camu-reports-'));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await fsp.rm(directory, { recursive: true, force: true });
});

describe('schema validation', () => {
  test('accepts a valid file and returns it', () => {
    const value = validJson();
    expect(validateResults(value)).toBe(value);
  });

  const cases: [string, (file: Record<string, any>) => unknown, RegExp][] = [
    ['not an object', () => [1, 2], /\(top level\): expected an object, got an array/],
    ['another format', (f) => ({ ...f, format: 'camu-bench' }), /format: expected "camu-results", got "camu-bench"/],
    ['a newer version', (f) => ({ ...f, version: 2 }), /version: this camu reads version 1, got 2/],
    ['no camuVersion', (f) => ({ ...f, camuVersion: undefined }), /camuVersion: expected a non-empty string, got nothing/],
    ['zero threads', (f) => ({ ...f, threads: 0 }), /threads: expected a positive integer, got 0/],
    ['a numeric gitCommit', (f) => ({ ...f, gitCommit: 123 }), /gitCommit: expected a commit id or null, got 123/],
    ['a vague createdAt', (f) => ({ ...f, createdAt: 'yesterday' }), /createdAt: expected an ISO 8601 time, got "yesterday"/],
    ['an unknown top-level field', (f) => ({ ...f, note: 'x' }), /\(top level\)\.note: unknown field/],
    ['an unknown dataset in settings', (f) => ({ ...f, settings: { ...f.settings, datasets: ['svhn'] } }), /settings\.datasets\[0\]: expected one of mnist, fashion, cifar10, cifar100, got "svhn"/],
    ['a duplicate seed in settings', (f) => ({ ...f, settings: { ...f.settings, seeds: [0, 0] } }), /settings\.seeds\[1\]: duplicate 0/],
    ['a non-JSON option', (f) => ({ ...f, settings: { ...f.settings, epochs: Infinity } }), /settings\.epochs: expected a finite number, got Infinity/],
    ['a split without a path', (f) => ({ ...f, splits: { 'mnist/class/0': '' } }), /splits\["mnist\/class\/0"\]: expected a file path, got ""/],
    ['runs not an array', (f) => ({ ...f, runs: {} }), /runs: expected an array of run records, got an object/],
    ['an unknown dataset in a run', (f) => { f.runs[0].dataset = 'svhn'; return f; }, /runs\[0\]\.dataset: expected one of mnist/],
    ['an unknown scenario', (f) => { f.runs[1].scenario = 'subclass'; return f; }, /runs\[1\]\.scenario: expected one of class, random, got "subclass"/],
    ['a negative seed', (f) => { f.runs[0].seed = -1; return f; }, /runs\[0\]\.seed: expected a non-negative integer, got -1/],
    ['an empty method', (f) => { f.runs[0].method = ''; return f; }, /runs\[0\]\.method: expected a method name, got ""/],
    ['reduced not a boolean', (f) => { f.runs[0].reduced = 'no'; return f; }, /runs\[0\]\.reduced: expected true or false, got "no"/],
    ['a text metric', (f) => { f.runs[0].metrics['acc.test'] = 'high'; return f; }, /runs\[0\]\.metrics\["acc\.test"\]: expected a finite number or null, got "high"/],
    ['a NaN metric', (f) => { f.runs[0].metrics['acc.test'] = NaN; return f; }, /runs\[0\]\.metrics\["acc\.test"\]: expected a finite number or null/],
    ['a misspelt metric', (f) => { f.runs[0].metrics['acc.tset'] = 1; return f; }, /runs\[0\]\.metrics\["acc\.tset"\]: unknown metric/],
    ['a gap of a metric without one', (f) => { f.runs[0].metrics['gap.time.seconds'] = 1; return f; }, /metrics\["gap\.time\.seconds"\]: unknown metric/],
    ['an accuracy above 100', (f) => { f.runs[0].metrics['acc.test'] = 101; return f; }, /metrics\["acc\.test"\]: 101 is outside \[0, 100\] \(%\)/],
    ['an attack accuracy above 1', (f) => { f.runs[0].metrics['mia.loss'] = 1.5; return f; }, /metrics\["mia\.loss"\]: 1\.5 is outside \[0, 1\]/],
    ['fractional relearn steps', (f) => { f.runs[0].metrics['relearn.steps'] = 2.5; return f; }, /metrics\["relearn\.steps"\]: expected an integer, got 2\.5/],
    ['a null metric without a reason', (f) => { delete f.runs[0].unavailable; return f; }, /runs\[0\]\.unavailable\["mia\.camu"\]: a null metric needs a reason/],
    ['a reason for a measured metric', (f) => { f.runs[1].unavailable = { 'acc.forget': 'x' }; return f; }, /runs\[1\]\.unavailable\["acc\.forget"\]: a reason is given but the metric is not null/],
    ['an unknown run field', (f) => { f.runs[0].metric = {}; return f; }, /runs\[0\]\.metric: unknown field/],
    ['curve lengths that differ', (f) => { f.runs[1].relearnCurve.gap = [90]; return f; }, /runs\[1\]\.relearnCurve: steps has 2 entries but gap has 1/],
    ['curve steps that go back', (f) => { f.runs[1].relearnCurve.steps = [10, 10]; return f; }, /relearnCurve\.steps\[1\]: steps must increase, got 10 after 10/],
    ['a curve gap beyond 100 points', (f) => { f.runs[1].relearnCurve.gap = [90, 120]; return f; }, /relearnCurve\.gap\[1\]: expected percentage points in \[-100, 100\], got 120/],
    ['the same run twice', (f) => { f.runs.push({ ...f.runs[0] }); return f; }, /runs\[2\]: same run as runs\[0\] \(mnist\/class\/0\/camu\)/],
  ];
  test.each(cases)('rejects %s, naming the field', (_, breakIt, message) => {
    const error = formatError(breakIt(validJson()));
    expect(error.message).toMatch(/^fixture\.json: not a valid camu results file:/);
    expect(error.message).toMatch(message);
  });

  test('lists every problem in one error', () => {
    const file = validJson();
    file.threads = -1;
    file.runs[0].seed = 1.5;
    file.runs[1].metrics['acc.retain'] = -3;
    const { message } = formatError(file);
    expect(message).toMatch(/threads: /);
    expect(message).toMatch(/runs\[0\]\.seed: /);
    expect(message).toMatch(/runs\[1\]\.metrics\["acc\.retain"\]: -3 is outside/);
  });

  test('accepts gaps, signed, within the difference of the range', () => {
    const file = validJson();
    file.runs[0].metrics['gap.acc.forget'] = -0.2;
    file.runs[0].metrics['gap.mia.loss'] = 0.01;
    expect(() => validateResults(file)).not.toThrow();
    file.runs[0].metrics['gap.acc.forget'] = -100.5;
    expect(formatError(file).message).toMatch(/gap\.acc\.forget"\]: -100\.5 is outside \[-100, 100\] \(pp\)/);
  });

  test('metricInfo describes every key the validator accepts, gaps included', () => {
    expect(metricInfo('acc.forget')).toMatchObject({ label: 'acc(D_f)', unit: '%', decimals: 2 });
    expect(metricInfo('gap.acc.forget')).toMatchObject({ label: 'Δacc(D_f)', unit: 'pp', min: -100, max: 100 });
    expect(metricInfo('gap.zrf')).toBeUndefined();
    expect(metricInfo('toString')).toBeUndefined();
  });

  test('readResults: missing file is ERR_CAMU_IO, bad JSON ERR_CAMU_FORMAT', async () => {
    const file = path.join(directory, 'results.json');
    await expect(readResults(file)).rejects.toMatchObject({ code: 'ERR_CAMU_IO', message: expect.stringContaining(file) });
    await fsp.writeFile(file, '{"format": "camu-results",');
    await expect(readResults(file)).rejects.toMatchObject({ code: 'ERR_CAMU_FORMAT', message: expect.stringMatching(/not JSON/) });
  });
});

describe('atomic writes', () => {
  test('writes the file and leaves no temporary file', async () => {
    const file = path.join(directory, 'results.json');
    const results = validateResults(validJson());
    await writeResults(file, results);
    expect(await readResults(file)).toEqual(results);
    expect(await fsp.readdir(directory)).toEqual(['results.json']);
  });

  test('a failed rename leaves the old contents and no temporary file', async () => {
    const file = path.join(directory, 'results.json');
    await fsp.writeFile(file, 'old contents');
    jest.spyOn(fsp, 'rename').mockRejectedValueOnce(new Error('simulated rename failure'));
    await expect(writeFileAtomic(file, 'new contents')).rejects.toMatchObject({
      code: 'ERR_CAMU_IO',
      message: `cannot write ${file}: simulated rename failure`,
    });
    expect(await fsp.readFile(file, 'utf8')).toBe('old contents');
    expect(await fsp.readdir(directory)).toEqual(['results.json']);
  });

  test('a write that fails half-way leaves the old contents and no temporary file', async () => {
    const file = path.join(directory, 'results.json');
    await fsp.writeFile(file, 'old contents');
    const open = fsp.open.bind(fsp);
    jest.spyOn(fsp, 'open').mockImplementationOnce(async (target, flags) => {
      const handle = await open(target, flags);
      await handle.writeFile('new con');
      return Object.assign(Object.create(handle), {
        writeFile: async () => {
          throw new Error('simulated ENOSPC');
        },
        close: () => handle.close(),
      });
    });
    await expect(writeFileAtomic(file, 'new contents')).rejects.toThrow(/simulated ENOSPC/);
    expect(await fsp.readFile(file, 'utf8')).toBe('old contents');
    expect(await fsp.readdir(directory)).toEqual(['results.json']);
  });

  test('a target that cannot be replaced (a non-empty directory) fails cleanly', async () => {
    const target = path.join(directory, 'results.json');
    await fsp.mkdir(target);
    await fsp.writeFile(path.join(target, 'keep'), 'x');
    await expect(writeResults(target, validateResults(validJson()))).rejects.toMatchObject({ code: 'ERR_CAMU_IO' });
    expect(await fsp.readdir(directory)).toEqual(['results.json']);
    expect(await fsp.readdir(target)).toEqual(['keep']);
  });

  test('a missing directory is an I/O error naming the file', async () => {
    const file = path.join(directory, 'no', 'such', 'results.json');
    await expect(writeFileAtomic(file, 'x')).rejects.toMatchObject({ code: 'ERR_CAMU_IO', message: expect.stringContaining(file) });
  });

  test('writeResults never writes an invalid file', async () => {
    const file = path.join(directory, 'results.json');
    const broken = { ...validateResults(validJson()), threads: 0 };
    await expect(writeResults(file, broken)).rejects.toMatchObject({ code: 'ERR_CAMU_FORMAT' });
    expect(await fsp.readdir(directory)).toEqual([]);
  });
});

describe('resume', () => {
  const planned: RunIdentity[] = [0, 1].flatMap((seed) =>
    ['retrain', 'camu'].map((method) => ({ dataset: 'mnist' as const, scenario: 'class' as const, seed, method, reduced: false })),
  );

  test('without a file, a new results file with no runs', async () => {
    const results = await openResults(path.join(directory, 'results.json'), header);
    expect(results).toMatchObject({ format: 'camu-results', version: 1, createdAt: header.createdAt, runs: [] });
    expect(pendingRuns(results, planned)).toEqual(planned);
  });

  test('keeps the finished runs and runs only the rest', async () => {
    const file = path.join(directory, 'results.json');
    let results = await openResults(file, header);
    results = addRuns(results, [run('retrain', 0, { 'acc.forget': 0.1 }), run('camu', 0, { 'acc.forget': 0 })]);
    await writeResults(file, results);

    const resumed = await openResults(file, { ...header, createdAt: '2024-05-02T00:00:00Z' });
    expect(resumed.createdAt).toBe(header.createdAt);
    expect(resumed.runs).toEqual(results.runs);
    expect([...finishedRunKeys(resumed)]).toEqual(['mnist/class/0/retrain', 'mnist/class/0/camu']);
    expect(pendingRuns(resumed, planned)).toEqual(planned.slice(2));
  });

  test('the selections grow to cover both runs', async () => {
    const file = path.join(directory, 'results.json');
    await writeResults(file, newResults(header));
    const resumed = await openResults(file, {
      ...header,
      settings: { ...header.settings, datasets: ['fashion'], seeds: [1, 2], methods: ['camu', 'finetune'] },
      splits: { 'fashion/class/0': 'splits/fashion-class-0.json' },
    });
    expect(resumed.settings).toEqual({
      datasets: ['mnist', 'fashion'],
      scenarios: ['class', 'random'],
      seeds: [0, 1, 2],
      methods: ['retrain', 'camu', 'finetune'],
      epochs: 20,
    });
    expect(Object.keys(resumed.splits)).toEqual(['mnist/class/0', 'fashion/class/0']);
  });

  test.each([
    ['another option', { settings: { ...header.settings, epochs: 2 } }, /settings\.epochs 20 there, 2 now/],
    ['another option added', { settings: { ...header.settings, subset: 1000 } }, /settings\.subset null there, 1000 now/],
    ['other threads', { threads: 1 }, /threads 2 there, 1 now/],
    ['another libtorch', { libtorchVersion: '2.3.0' }, /libtorchVersion "1\.13\.1" there, "2\.3\.0" now/],
    ['another commit', { gitCommit: null }, /gitCommit "6390d8d" there, null now/],
    ['another split file', { splits: { 'mnist/class/0': 'elsewhere.json' } }, /split mnist\/class\/0 splits\/mnist-class-0\.json there, elsewhere\.json now/],
  ])('refuses to resume with %s', async (_, change, message) => {
    const file = path.join(directory, 'results.json');
    await writeResults(file, addRuns(newResults(header), [run('camu', 0, { 'acc.forget': 0 })]));
    const attempt = openResults(file, { ...header, ...change } as ResultsHeader);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_CAMU_STATE', message: expect.stringMatching(message) });
  });

  test('a damaged results file is reported, not replaced', async () => {
    const file = path.join(directory, 'results.json');
    await fsp.writeFile(file, '{"format": "camu-results", "version": 1}');
    await expect(openResults(file, header)).rejects.toMatchObject({ code: 'ERR_CAMU_FORMAT' });
  });

  test('addRuns appends new runs and replaces a rerun in place', () => {
    let results = addRuns(newResults(header), [run('retrain', 0, { 'acc.forget': 0.1 }), run('camu', 0, { 'acc.forget': 5 })]);
    results = addRuns(results, [run('camu', 0, { 'acc.forget': 0 }), run('camu', 0, { 'acc.forget': 0 }, { reduced: true })]);
    expect(results.runs.map((r) => [r.method, r.reduced, r.metrics['acc.forget']])).toEqual([
      ['retrain', false, 0.1],
      ['camu', false, 0],
      ['camu', true, 0],
    ]);
  });

  test('addRuns validates what it adds', () => {
    expect(() => addRuns(newResults(header), [run('camu', 0, { 'acc.forget': 150 })])).toThrow(/runs\[0\]\.metrics\["acc\.forget"\]: 150 is outside/);
  });
});

describe('comparisons with the retrained model', () => {
  test('gap = method − retrain on the same seed; RTE = retrain time / method time', () => {
    const runs = addRetrainComparisons([
      run('retrain', 0, { 'acc.forget': 0.5, 'acc.test': 98, 'time.seconds': 100 }),
      run('camu', 0, { 'acc.forget': 0.25, 'acc.test': 97.5, 'time.seconds': 8, 'distance.js': 0.01 }),
      run('retrain', 1, { 'acc.forget': 1, 'acc.test': 97, 'time.seconds': 90 }),
      run('camu', 1, { 'acc.forget': 2, 'acc.test': 97, 'time.seconds': 9 }),
    ]);
    expect(runs[0]).toEqual(run('retrain', 0, { 'acc.forget': 0.5, 'acc.test': 98, 'time.seconds': 100 }));
    expect(runs[1].metrics['gap.acc.forget']).toBeCloseTo(-0.25, 12);
    expect(runs[1].metrics['gap.acc.test']).toBeCloseTo(-0.5, 12);
    expect(runs[1].metrics['time.rte']).toBeCloseTo(12.5, 12);
    expect('gap.distance.js' in runs[1].metrics).toBe(false);
    expect(runs[3].metrics['gap.acc.forget']).toBeCloseTo(1, 12);
    expect(runs[3].metrics['time.rte']).toBeCloseTo(10, 12);
  });

  test('an unavailable input makes the gap unavailable, with the reason', () => {
    const [, camu] = addRetrainComparisons([
      run('retrain', 0, { 'mia.camu': 0.5, 'mia.loss': null }, { unavailable: { 'mia.loss': 'too few samples' } }),
      run('camu', 0, { 'mia.camu': null, 'mia.loss': 0.5 }, { unavailable: { 'mia.camu': 'built without XGBoost' } }),
    ]);
    expect(camu.metrics['gap.mia.camu']).toBeNull();
    expect(camu.unavailable?.['gap.mia.camu']).toBe('mia.camu is unavailable for camu: built without XGBoost');
    expect(camu.unavailable?.['gap.mia.loss']).toBe('mia.loss is unavailable for retrain: too few samples');
    expect(() => addRuns(newResults(header), [camu])).not.toThrow();
  });

  test('runs without a retrained reference, or of another setting, are unchanged', () => {
    const reduced = run('camu', 0, { 'acc.forget': 1 }, { reduced: true });
    const other = run('camu', 0, { 'acc.forget': 1 }, { scenario: 'random' });
    const runs = addRetrainComparisons([run('retrain', 0, { 'acc.forget': 0 }), reduced, other]);
    expect(runs[1]).toBe(reduced);
    expect(runs[2]).toBe(other);
  });

  test('a gap that becomes available loses its old reason', () => {
    const [, camu] = addRetrainComparisons([
      run('retrain', 0, { 'mia.camu': 0.5 }),
      run('camu', 0, { 'mia.camu': 0.25, 'gap.mia.camu': null }, { unavailable: { 'gap.mia.camu': 'earlier retrain lacked it' } }),
    ]);
    expect(camu.metrics['gap.mia.camu']).toBeCloseTo(-0.25, 12);
    expect(camu.unavailable).toBeUndefined();
  });
});

describe('stats', () => {
  test('mean and population std', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(populationStd([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(populationStd([7])).toBe(0);
    expect(summarize([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(1.25), n: 4 });
    expect(summarize([])).toBeNull();
  });

  test('no values or non-finite values are range errors', () => {
    expect(() => mean([])).toThrow(RangeError);
    expect(() => populationStd([1, NaN])).toThrow(/finite/);
    expect(() => mean([])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/^mean: /) }));
    expect(() => populationStd([1, NaN])).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/populationStd: values\[1\] must be a finite number, got NaN/) }),
    );
    expect(() => mean([1, '2' as unknown as number])).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/values\[1\]/) }),
    );
  });
});

describe('argument errors of tables, plots and progress carry Node codes', () => {
  const unknown = 'acc.unknown' as ReportedMetricKey;
  const outside = (message: RegExp) => expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(message) });
  const wrongType = (message: RegExp) => expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(message) });

  test('an unknown metric', () => {
    expect(() => formatValue(unknown, 1)).toThrow(outside(/unknown metric 'acc\.unknown'/));
    expect(() => metricBarChart(newResults(header), unknown)).toThrow(outside(/metricBarChart: unknown metric 'acc\.unknown'/));
  });

  test('a bad scale range', () => {
    expect(() => niceScale(1, 0)).toThrow(outside(/niceScale: bad range \[1, 0\]/));
    expect(() => niceScale(0, NaN)).toThrow(outside(/niceScale: high must be a finite number/));
    expect(() => niceScale('0' as unknown as number, 1)).toThrow(wrongType(/niceScale: low/));
  });

  test('an unknown progress mode', () => {
    const stream = { write: () => true };
    expect(() => new ProgressReporter({ stream, mode: 'loud' as ProgressMode })).toThrow(
      outside(/ProgressReporter: options\.mode must be auto, bar, json or silent, got 'loud'/),
    );
  });
});

describe('tables', () => {
  /** Known numbers: CaMU acc(D_f) over seeds 0-3 = 1,2,3,4 (mean 2.5, population std 1.118). */
  function tableResults(): ResultsFile {
    const runs: RunRecord[] = [];
    [1, 2, 3, 4].forEach((forget, seed) => {
      runs.push(
        run('camu', seed, {
          'acc.retain': 99,
          'acc.forget': forget,
          'acc.test': 97 + seed,
          'acc.testRemaining': 98,
          'acc.testForgotten': 0,
          'mia.camu': seed < 2 ? [0.2, 0.4][seed] : null,
          'time.seconds': 10 * (seed + 1),
          'mia.loss': 0.5,
        }, seed < 2 ? {} : { unavailable: { 'mia.camu': 'built without XGBoost' } }),
        run('retrain', seed, { 'acc.retain': 99.5, 'acc.forget': 0, 'acc.test': 98, 'time.seconds': 200, 'mia.loss': 0.52 }),
      );
    });
    runs.push(run('original', 0, { 'acc.forget': 99.123 }, { scenario: 'random' }));
    runs.push(run('camu', 0, { 'acc.forget': 51.005 }, { dataset: 'cifar10', reduced: true }));
    const results = addRuns(newResults({ ...header, settings: { ...header.settings, methods: ['retrain', 'camu', 'original'] } }), addRetrainComparisons(runs));
    return results;
  }

  function cells(table: string, rowStart: string): Record<string, string> {
    const lines = table.split('\n');
    const split = (line: string) => line.slice(2, -2).split(' | ');
    const headers = split(lines[0]);
    const row = lines.find((line) => line.startsWith(rowStart));
    if (!row) throw new Error(`no row starting ${rowStart}\n${table}`);
    return Object.fromEntries(split(row).map((cell, i) => [headers[i], cell]));
  }

  test("the paper's table: mean ± population std with the metric's decimals", () => {
    const table = paperTable(tableResults());
    const camu = cells(table, '| MNIST | class removal | CaMU |');
    expect(camu).toEqual({
      Dataset: 'MNIST',
      Scenario: 'class removal',
      Method: 'CaMU',
      Seeds: '4',
      'acc(D_r) (%)': '99.00 ± 0.00',
      'acc(D_f) (%)': '2.50 ± 1.12',
      'acc(T) (%)': '98.50 ± 1.12',
      'acc(T_r) (%)': '98.00 ± 0.00',
      'acc(T_f) (%)': '0.00 ± 0.00',
      MIA: '0.300 ± 0.100 (n=2)',
      'time (s)': '25.00 ± 11.18',
    });
  });

  test('rows in the paper order, one seed without ±, reduced runs labelled, — where not measured', () => {
    const table = paperTable(tableResults());
    const rows = table.split('\n').slice(2).map((line) => line.split(' | ').slice(0, 3).join(' | '));
    expect(rows).toEqual([
      '| MNIST | class removal | Retrain',
      '| MNIST | class removal | CaMU',
      '| MNIST | random removal | Original',
      '| CIFAR-10 (reduced) | class removal | CaMU',
    ]);
    expect(cells(table, '| MNIST | random removal | Original |')).toMatchObject({ Seeds: '1', 'acc(D_f) (%)': '99.12', 'acc(T_r) (%)': '—' });
    expect(cells(table, '| CIFAR-10 (reduced) |')['acc(D_f) (%)']).toBe('51.01');
  });

  test('a metric unavailable on every seed is n/a, with its reason in the report', () => {
    const results = tableResults();
    const runs = results.runs.map((r) =>
      r.method === 'camu' && r.dataset === 'mnist' ? { ...r, metrics: { ...r.metrics, 'mia.camu': null }, unavailable: { 'mia.camu': 'built without XGBoost' } } : r,
    );
    const changed = { ...results, runs };
    expect(cells(paperTable(changed), '| MNIST | class removal | CaMU |').MIA).toBe('n/a');
    expect(renderTables(changed)).toContain('- MIA (`mia.camu`) for CaMU: built without XGBoost');
  });

  test('the second table: gaps signed, the field metrics, unmeasured columns left out', () => {
    const table = extraTable(tableResults());
    const camu = cells(table, '| MNIST | class removal | CaMU |');
    expect(camu).toEqual({
      Dataset: 'MNIST',
      Scenario: 'class removal',
      Method: 'CaMU',
      Seeds: '4',
      'MIA-loss': '0.500 ± 0.000',
      RTE: '10.42 ± 5.82',
      'Δacc(D_r) (pp)': '-0.50 ± 0.00',
      'Δacc(D_f) (pp)': '+2.50 ± 1.12',
      'Δacc(T) (pp)': '+0.50 ± 1.12',
      'ΔMIA-loss': '-0.020 ± 0.000',
    });
    expect(cells(table, '| MNIST | class removal | Retrain |')['Δacc(D_f) (pp)']).toBe('—');
  });

  test('numbers never show as -0.00; gaps get a sign', () => {
    expect(formatValue('acc.test', -0.001)).toBe('0.00');
    expect(formatValue('gap.acc.test', -0.001, true)).toBe('0.00');
    expect(formatValue('gap.acc.test', 0.006, true)).toBe('+0.01');
    expect(formatValue('mia.camu', 0.12345)).toBe('0.123');
    expect(formatValue('relearn.steps', 120)).toBe('120');
  });

  test('the report names the environment, the reduced setting and every metric shown', () => {
    const report = renderTables(tableResults());
    expect(report).toContain('camu 0.1.0, libtorch 1.13.1, device cpu, 2 threads, git commit 6390d8d');
    expect(report).toContain("Rows marked (reduced) ran on less data than the paper's");
    expect(report).toContain("- CIFAR-10: camu's reduced CPU setting for CIFAR: a subset of the training images at 32 px, resnet18-cifar.");
    expect(report).toContain('- **acc(D_f)** (`acc.forget`, %): Top-1 accuracy on the forget set D_f');
    expect(report).toContain('- **Δacc(D_f)** (`gap.acc.forget`, pp)');
    expect(report).not.toContain('`distance.js`');
  });

  test('an empty results file gives a report without rows', () => {
    const report = renderTables(newResults(header));
    expect(report).toContain('No runs yet.');
    expect(report).not.toContain('(reduced)');
  });

  test('method order: original, retrain, camu, then the settings, then the rest', () => {
    const results = addRuns(newResults({ ...header, settings: { ...header.settings, methods: ['ssd', 'camu', 'finetune'] } }), [
      run('zeta', 0, {}),
      run('finetune', 0, {}),
      run('camu', 0, {}),
      run('original', 0, {}),
      run('alpha', 0, {}),
    ]);
    expect(methodOrder(results)).toEqual(['original', 'camu', 'ssd', 'finetune', 'alpha', 'zeta']);
  });

  test('writeReport writes the tables, the plots and the page', async () => {
    const written = await writeReport(directory, tableResults());
    expect(written[0]).toBe(path.join(directory, 'results.md'));
    expect(await fsp.readFile(written[0], 'utf8')).toBe(renderTables(tableResults()));
    expect(written).toContain(path.join(directory, 'plots', 'bars-acc.forget.svg'));
    expect((await fsp.readdir(path.join(directory, 'plots'))).sort()).toEqual(written.slice(1, -1).map((file) => path.basename(file)).sort());
    expect(written[written.length - 1]).toBe(path.join(directory, 'index.html'));
    expect(await fsp.readFile(path.join(directory, 'index.html'), 'utf8')).toBe(renderPage(tableResults()));
  });
});

describe("the paper's claims, checked", () => {
  const classRun = (method: string, seed: number, forget: number, forgotten: number, remaining: number) =>
    run(method, seed, { 'acc.forget': forget, 'acc.testForgotten': forgotten, 'acc.testRemaining': remaining });
  const randomRun = (method: string, seed: number, retain: number, forget: number, test: number, miaLoss: number) =>
    run(method, seed, { 'acc.retain': retain, 'acc.forget': forget, 'acc.test': test, 'mia.loss': miaLoss }, { scenario: 'random' });

  test('class removal: complete forgetting and the remaining classes kept, on seed means', () => {
    const results = addRuns(newResults(header), [
      classRun('original', 0, 99, 99, 98), classRun('original', 1, 99, 99, 98),
      classRun('retrain', 0, 0, 0, 98), classRun('retrain', 1, 0, 0, 98),
      // Mean acc(T_r) 96.6: 1.4 points under the original's, within 1.5.
      classRun('camu', 0, 0, 0, 96.2), classRun('camu', 1, 0, 0, 97),
      classRun('my-method', 0, 0, 0.5, 95), classRun('my-method', 1, 0, 0.5, 97),
    ]);
    const checks = criteriaChecks(results);
    expect(checks.map((check) => [check.method, check.key, Number(check.value?.toFixed(2)), check.met])).toEqual([
      ['CaMU', 'acc.forget', 0, true],
      ['CaMU', 'acc.testForgotten', 0, true],
      ['CaMU', 'gap.acc.testRemaining', -1.4, true],
      ['my-method', 'acc.forget', 0, true],
      ['my-method', 'acc.testForgotten', 0.5, false],
      ['my-method', 'gap.acc.testRemaining', -2, false],
    ]);
    const report = renderTables(results);
    expect(report).toContain("## The paper's claims, checked");
    expect(report).toContain("| MNIST | class removal | CaMU | acc(T_r) within 1.5 points of the original model's (difference, pp) | -1.40 | yes |");
    expect(report).toContain('| my-method | acc(T_f) = 0 (`acc.testForgotten`, %) | 0.50 | **no** |');
  });

  test('random removal: gaps to the retrained model; a missing reference is "not measured", never met', () => {
    const results = addRuns(newResults(header), [
      randomRun('retrain', 0, 98, 97, 97, 0.5),
      randomRun('camu', 0, 97, 98.4, 95.4, 0.56),
      classRun('camu', 0, 0, 0, 97),
    ]);
    results.runs = addRetrainComparisons(results.runs);
    const random = criteriaChecks(results).filter((check) => check.scenario === 'random removal');
    expect(random.map((check) => [check.key, Number(check.value?.toFixed(3)), check.met])).toEqual([
      ['gap.acc.retain', -1, true],
      ['gap.acc.forget', 1.4, true],
      ['gap.acc.test', -1.6, false],
      ['gap.mia.loss', 0.06, false],
    ]);
    const kept = criteriaChecks(results).find((check) => check.scenario === 'class removal' && check.key === 'gap.acc.testRemaining');
    expect(kept).toMatchObject({ value: null, met: false });
    expect(renderTables(results)).toContain('| not measured | **no** |');
  });

  test('random removal: says when the D_r and D_f checks cannot hold together', () => {
    // Retrained: acc(D_r) − acc(D_f) = 6 and 5 on the two seeds. CaMU: 1 and 0.5, so its D_r gap
    // minus its D_f gap is −5 and −4.5; no model this close on D_r and D_f meets both 1.5-point checks.
    // my-method: 3.5 and 2.5 (gap differences −2.5 both), which some model could.
    const results = addRuns(newResults(header), [
      randomRun('retrain', 0, 97, 91, 90, 0.5), randomRun('retrain', 1, 96, 91, 90, 0.5),
      randomRun('camu', 0, 94, 93, 89, 0.5), randomRun('camu', 1, 94, 93.5, 89, 0.5),
      randomRun('my-method', 0, 95.5, 92, 89, 0.5), randomRun('my-method', 1, 94.5, 92, 89, 0.5),
      classRun('camu', 0, 0, 0, 97),
    ]);
    results.runs = addRetrainComparisons(results.runs);
    expect(randomGapSpreads(results).map((spread) => [spread.method, spread.methodSpread, spread.retrainSpread, spread.attainable])).toEqual([
      ['CaMU', 0.75, 5.5, false],
      ['my-method', 3, 5.5, true],
    ]);
    const report = renderTables(results);
    expect(report).toContain('Rows that cannot meet their D_r and D_f checks together');
    expect(report).toContain("- MNIST, random removal, CaMU: acc(D_r) − acc(D_f) 0.75 points, the retrained model's 5.50 (4.75 apart).");
    expect(report).not.toContain('random removal, my-method: acc(D_r)');
    // Without the retrained model there are no gaps, so nothing is said.
    const alone = addRuns(newResults(header), [randomRun('camu', 0, 94, 93, 89, 0.5)]);
    expect(randomGapSpreads(alone)).toEqual([]);
    expect(renderTables(alone)).not.toContain('cannot meet');
  });

  test('a file with only references has no checks section', () => {
    const results = addRuns(newResults(header), [classRun('original', 0, 99, 99, 98)]);
    expect(criteriaChecks(results)).toEqual([]);
    expect(renderTables(results)).not.toContain('claims, checked');
  });
});
