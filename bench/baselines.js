#!/usr/bin/env node
/**
 * `npm run bench:baselines`: camu's baseline unlearning methods (docs/methods.md) against their
 * PyTorch implementations in bench/pytorch/baselines.py, on the same MNIST splits, original CNN,
 * seed, settings and thread count; see BENCHMARKS.md.
 *
 *   node bench/baselines.js [--quick] [--methods finetune,scrub] [--scenarios class,random] [--threads 1]
 *                           [--repeats N] [--spread-seed S | --no-spread] [--note TEXT] [--out results.json]
 *                           [--markdown BENCHMARKS.md] [--work-dir DIR]
 *
 * The set-up is bench/run.js's: camu makes the class-0 and random-10% splits and trains the
 * original CNN one epoch; camu reloads its weights, PyTorch its TorchScript export. Every
 * measurement is a fresh process (bench/camu-worker.js unlearn with CAMU_NUM_THREADS; pipeline.py
 * unlearn --threads). After a warm-up run per side, `repeats` rounds run every method on every
 * scenario on both sides back to back, the side that goes first alternating between rounds. The
 * first round also evaluates both unlearned models (the metrics of bench/pytorch/evaluation.py);
 * the others time the unlearning only. Where a metric is outside the tolerances, both sides run
 * once more with a second seed (--spread-seed, default 1; --no-spread skips it), so that the
 * difference between the sides can be read against how far each side moves with the seed alone.
 * --quick runs on the first 6000 MNIST training samples.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const {
  sameLibtorchRelease,
  runProcess,
  commandLine,
  median,
  positiveInteger,
  log,
  writeAtomic,
  writeMarkdown,
  SetupError,
  PYTHON,
  ROOT,
} = require('./run');

const METHODS = ['finetune', 'neggrad', 'neggrad+', 'random-label', 'salun', 'scrub', 'bad-teacher'];
const SCENARIOS = {
  class: { label: 'class 0', args: ['--scenario', 'class'] },
  random: { label: 'random 10%', args: ['--scenario', 'random', '--fraction', '0.1'] },
};
const MODES = {
  quick: { repeats: 2, trainLimit: 6000 },
  full: { repeats: 3, trainLimit: null },
};
// The CaMU tolerances (bench/run.js metricChecks): accuracies within 1 point, MIAs within 0.03.
const ACCURACY_TOLERANCE = 1;
const MIA_TOLERANCE = 0.03;
// Issue 20: each method's unlearning at least 1.5x faster than PyTorch's at equal threads.
const SPEEDUP_TARGET = 1.5;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      methods: { type: 'string' },
      scenarios: { type: 'string' },
      threads: { type: 'string', default: '1' },
      repeats: { type: 'string' },
      note: { type: 'string' },
      'spread-seed': { type: 'string', default: '1' },
      'no-spread': { type: 'boolean', default: false },
      out: { type: 'string' },
      markdown: { type: 'string', default: path.join(ROOT, 'BENCHMARKS.md') },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:baselines -- [--quick] [--methods a,b] [--scenarios class,random] [--threads N] [--repeats N]\n' +
        '                                  [--spread-seed S | --no-spread] [--note TEXT] [--out FILE.json] [--markdown FILE.md] [--work-dir DIR]\n',
    );
    process.exit(0);
  }
  const mode = values.quick ? 'quick' : 'full';
  const settings = { ...MODES[mode], mode, note: values.note ?? null };
  if (values.repeats !== undefined) settings.repeats = positiveInteger(values.repeats, '--repeats');
  settings.threads = positiveInteger(values.threads, '--threads');
  settings.spreadSeed = values['no-spread'] ? null : positiveInteger(values['spread-seed'], '--spread-seed');
  settings.methods = listOption(values.methods, METHODS, '--methods');
  settings.scenarios = listOption(values.scenarios, Object.keys(SCENARIOS), '--scenarios');
  const date = new Date().toISOString().slice(0, 10);
  settings.out = path.resolve(values.out ?? path.join(__dirname, 'results', `${date}-baselines-${mode}.json`));
  settings.markdown = path.resolve(values.markdown);
  settings.workDir = path.resolve(values['work-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'camu-baselines-')));
  return settings;
}

function listOption(text, all, flag) {
  if (text === undefined) return all;
  const chosen = text.split(',').filter(Boolean);
  for (const name of chosen) {
    if (!all.includes(name)) throw new RangeError(`${flag}: unknown name '${name}' (one of ${all.join(', ')})`);
  }
  return chosen;
}

/** The metric checks of one method on one scenario: every metric both sides report. */
function metricChecks(scenario, camu, pytorch) {
  const value = (x) => (x && typeof x === 'object' ? x.accuracy : x);
  const checks = [];
  const add = (metric, key, tolerance) => {
    const a = value(camu[key]);
    const b = value(pytorch[key]);
    const difference = typeof a === 'number' && typeof b === 'number' ? a - b : null;
    checks.push({
      metric,
      key,
      camu: a ?? null,
      pytorch: b ?? null,
      difference,
      tolerance,
      pass: difference !== null && Math.abs(difference) <= tolerance,
    });
  };
  add('acc(D_r)', 'accRetain', ACCURACY_TOLERANCE);
  add('acc(D_f)', 'accForget', ACCURACY_TOLERANCE);
  add('acc(T)', 'accTest', ACCURACY_TOLERANCE);
  if (scenario === 'class') add('acc(T, remaining classes)', 'accTestRemainingClasses', ACCURACY_TOLERANCE);
  add('CaMU-variant MIA', 'miaCamu', MIA_TOLERANCE);
  add('loss MIA', 'miaLossLogistic', MIA_TOLERANCE);
  return checks;
}

/** The options both sides ran with, compared name by name (camu: stats.settings; PyTorch: its report's). */
function compareSettings(camu, pytorch) {
  const names = [...new Set([...Object.keys(camu), ...Object.keys(pytorch)])].sort();
  const differing = names.filter((name) => camu[name] !== pytorch[name]);
  return { same: differing.length === 0, differing: differing.map((name) => ({ name, camu: camu[name], pytorch: pytorch[name] })) };
}

function main() {
  let settings;
  try {
    settings = parseOptions(process.argv.slice(2));
  } catch (error) {
    throw new SetupError(error.message); // a bad flag: its message, not a stack
  }
  fs.mkdirSync(settings.workDir, { recursive: true });
  const work = (name) => path.join(settings.workDir, name);
  const threads = settings.threads;
  const commands = new Set();
  const run = (side, args) => {
    commands.add(commandLine(side, threads, args));
    return runProcess(side, threads, args);
  };
  const started = Date.now();
  log(
    `baselines, mode ${settings.mode}: ${settings.methods.join(', ')} on ${settings.scenarios.join(', ')}, ` +
      `threads ${threads}, ${settings.repeats} repeats, work dir ${settings.workDir}`,
  );

  const camuInfo = run('camu', ['info']);
  const pytorchTorch = execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  if (!sameLibtorchRelease(camuInfo.libtorchVersion, pytorchTorch)) {
    throw new SetupError(
      `camu's addon is built against libtorch ${camuInfo.libtorchVersion} but ${PYTHON} runs torch ${pytorchTorch}: ` +
        'the comparison needs both sides on the same libtorch (see bench/run.js, or set CAMU_BENCH_PYTHON).',
    );
  }
  const machine = {
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpuModel: (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || 'unknown',
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadAverageAtStart: os.loadavg(),
  };

  // Shared inputs, as bench/run.js makes them: camu's splits (read by both) and camu's original.
  log('setup: splits and the original model');
  const limit = settings.trainLimit === null ? [] : ['--train-limit', String(settings.trainLimit)];
  const splits = {};
  for (const scenario of settings.scenarios) {
    splits[scenario] = work(`split-${scenario}.json`);
    run('camu', ['split', ...SCENARIOS[scenario].args, '--seed', '0', ...limit, '--out', splits[scenario]]);
  }
  const weights = work('original.safetensors');
  const torchscript = work('original.ts');
  const original = run('camu', [
    'train', '--epochs', '1', '--seed', '0', ...limit, '--save-weights', weights, '--save-torchscript', torchscript,
  ]);
  const argsFor = (side, scenario, method, evaluate, seed = 0) => {
    const tail = ['--seed', String(seed), ...limit, ...(evaluate ? [] : ['--no-evaluate'])];
    return side === 'camu'
      ? ['unlearn', '--method', method, '--weights', weights, '--split', splits[scenario], ...tail]
      : ['unlearn', '--dataset', 'mnist', '--method', method, '--model', torchscript, '--split', splits[scenario], ...tail];
  };

  // Warm-up: libraries and data into the page cache on both sides.
  log('warm-up');
  run('camu', argsFor('camu', settings.scenarios[0], 'neggrad', false));
  run('pytorch', argsFor('pytorch', settings.scenarios[0], 'neggrad', false));

  const reports = {};
  for (const scenario of settings.scenarios) {
    reports[scenario] = {};
    for (const method of settings.methods) reports[scenario][method] = { camu: [], pytorch: [] };
  }
  const partial = `${settings.out}.partial`;
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    const order = repeat % 2 === 0 ? ['camu', 'pytorch'] : ['pytorch', 'camu'];
    for (const scenario of settings.scenarios) {
      for (const method of settings.methods) {
        for (const side of order) {
          log(`repeat ${repeat + 1}/${settings.repeats}: ${scenario} ${method} ${side}`);
          const loadAverage = os.loadavg()[0];
          const report = run(side, argsFor(side, scenario, method, repeat === 0));
          report.loadAverageBefore = loadAverage;
          reports[scenario][method][side].push(report);
          writeAtomic(partial, `${JSON.stringify({ settings, reports }, null, 1)}\n`);
        }
      }
    }
  }

  // A second seed on both sides where a metric is outside the tolerances.
  const spread = {};
  if (settings.spreadSeed !== null) {
    for (const scenario of settings.scenarios) {
      for (const method of settings.methods) {
        const { camu, pytorch } = reports[scenario][method];
        if (metricChecks(scenario, camu[0].metrics, pytorch[0].metrics).every((c) => c.pass)) continue;
        log(`seed ${settings.spreadSeed}: ${scenario} ${method}`);
        spread[`${scenario}/${method}`] = {
          camu: run('camu', argsFor('camu', scenario, method, true, settings.spreadSeed)),
          pytorch: run('pytorch', argsFor('pytorch', scenario, method, true, settings.spreadSeed)),
        };
      }
    }
  }

  const results = summarise(settings, machine, camuInfo, pytorchTorch, original, reports, spread);
  results.commands = [...commands].map((c) => c.split(`${settings.workDir}${path.sep}`).join('$WORK/'));
  results.workDir = settings.workDir;
  results.wallSeconds = (Date.now() - started) / 1000;
  results.loadAverageAtEnd = os.loadavg();
  results.commit = gitCommit();
  writeAtomic(settings.out, `${JSON.stringify(results, null, 2)}\n`);
  fs.rmSync(partial, { force: true });
  const section = markdownSection(results);
  writeMarkdown(settings.markdown, `baselines-${settings.mode}`, section);
  process.stdout.write(`${section}\n`);
  log(`wrote ${path.relative(ROOT, settings.out)} and ${path.relative(ROOT, settings.markdown)}`);
  if (results.rows.some((row) => !row.metricsWithinTolerance || !row.settings.same)) process.exitCode = 1;
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/**
 * How far each side moves with the seed alone, next to the difference between the sides: per
 * metric, camu(seed 0) − camu(seed S), PyTorch(0) − PyTorch(S), camu(S) − PyTorch(S) and the
 * difference of the two sides' means over both seeds.
 */
function seedSpread(scenario, first, second, seed) {
  const at0 = metricChecks(scenario, first.camu, first.pytorch);
  const atS = metricChecks(scenario, second.camu.metrics, second.pytorch.metrics);
  const camuSelf = metricChecks(scenario, first.camu, second.camu.metrics);
  const pytorchSelf = metricChecks(scenario, first.pytorch, second.pytorch.metrics);
  const metrics = at0.map((check, i) => ({
    metric: check.metric,
    key: check.key,
    tolerance: check.tolerance,
    sidesAtSeed0: check.difference,
    sidesAtSeedS: atS[i].difference,
    camuSeed0MinusSeedS: camuSelf[i].difference,
    pytorchSeed0MinusSeedS: pytorchSelf[i].difference,
    meanDifference: check.difference === null || atS[i].difference === null ? null : (check.difference + atS[i].difference) / 2,
  }));
  return { seed, metrics, reports: second };
}

function summarise(settings, machine, camuInfo, pytorchTorch, original, reports, spread) {
  const rows = [];
  for (const scenario of settings.scenarios) {
    for (const method of settings.methods) {
      const { camu, pytorch } = reports[scenario][method];
      const seconds = (side) => side.map((r) => r.phases.unlearning);
      const camuSeconds = median(seconds(camu));
      const pytorchSeconds = median(seconds(pytorch));
      const speedup = camuSeconds && pytorchSeconds !== null ? pytorchSeconds / camuSeconds : null;
      const checks = metricChecks(scenario, camu[0].metrics, pytorch[0].metrics);
      const { seed: camuSeed, ...camuSettings } = camu[0].settings;
      const { seed: pytorchSeed, ...pytorchSettings } = pytorch[0].settings;
      rows.push({
        scenario,
        method,
        camuSeconds,
        pytorchSeconds,
        speedup,
        speedupTarget: SPEEDUP_TARGET,
        speedupMet: speedup !== null && speedup >= SPEEDUP_TARGET,
        samples: { camu: seconds(camu), pytorch: seconds(pytorch) },
        camuCallSeconds: median(camu.map((r) => r.phases.unlearnCall)),
        stepsPerEpoch: { camu: camu[0].removal.stepsPerEpoch, pytorch: pytorch[0].removal.stepsPerEpoch },
        epochs: { camu: camu[0].removal.epochSeconds.length, pytorch: pytorch[0].removal.epochSeconds.length },
        peakRssMiB: { camu: median(camu.map((r) => r.peakRssMiB)), pytorch: median(pytorch.map((r) => r.peakRssMiB)) },
        loadAverageBefore: { camu: camu.map((r) => r.loadAverageBefore), pytorch: pytorch.map((r) => r.loadAverageBefore) },
        metrics: { camu: camu[0].metrics, pytorch: pytorch[0].metrics },
        checks,
        metricsWithinTolerance: checks.every((c) => c.pass),
        settings: { camu: camuSettings, pytorch: pytorchSettings, seed: { camu: camuSeed, pytorch: pytorchSeed }, ...compareSettings(camuSettings, pytorchSettings) },
        seedSpread: spread[`${scenario}/${method}`]
          ? seedSpread(scenario, { camu: camu[0].metrics, pytorch: pytorch[0].metrics }, spread[`${scenario}/${method}`], settings.spreadSeed)
          : null,
        reports: { camu, pytorch },
      });
    }
  }
  return {
    format: 'camu-bench-baselines',
    version: 1,
    date: new Date().toISOString(),
    mode: settings.mode,
    note: settings.note,
    settings: {
      methods: settings.methods,
      scenarios: settings.scenarios,
      threads: settings.threads,
      repeats: settings.repeats,
      trainingSamples: settings.trainLimit ?? 60000,
      originalEpochs: 1,
      dataset: 'mnist',
      seed: 0,
      speedupTarget: SPEEDUP_TARGET,
      spreadSeed: settings.spreadSeed,
      tolerances: { accuracyPoints: ACCURACY_TOLERANCE, mia: MIA_TOLERANCE },
    },
    machine,
    camu: {
      version: camuInfo.camuVersion,
      libtorch: camuInfo.libtorchVersion,
      variant: camuInfo.variant,
      xgboost: camuInfo.xgboost,
      linearKernel: camuInfo.linearKernel,
      convPoolKernel: camuInfo.convPoolKernel,
    },
    pytorch: { torch: pytorchTorch, python: rows.length ? rows[0].reports.pytorch[0].python : null },
    original: { epochs: 1, trainSeconds: original.phases.train, epochMeanLoss: original.training.epochMeanLoss },
    rows,
  };
}

const fmt = (value, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
const signed = (value, digits) => (value === null || value === undefined ? '—' : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`);

function markdownSection(results) {
  const lines = [];
  const m = results.machine;
  const s = results.settings;
  const title = results.mode === 'quick' ? 'Baseline methods, quick run (`--quick`)' : 'Baseline methods against PyTorch';
  lines.push(`## ${title} — ${results.date.slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `\`npm run bench:baselines${results.mode === 'quick' ? ' -- --quick' : ''}\` (bench/baselines.js): each method of docs/methods.md with camu's defaults and the preset of the split, ` +
      "against the plain PyTorch implementation in bench/pytorch/baselines.py with the same settings (checked name by name from both sides' reports), " +
      `on the same split JSON and original CNN (camu, 1 epoch on ${s.trainingSamples} MNIST samples, shared as TorchScript), seed ${s.seed}, ` +
      `${s.threads} thread${s.threads > 1 ? 's' : ''} on both sides. Unlearning seconds: camu's native run (the method's setup, cloning, every epoch); ` +
      "PyTorch's from the copies of the original to the last step (copies, DataLoaders, the method's preparation, every epoch). " +
      `Medians of ${s.repeats} fresh-process runs per side, the side that goes first alternating; metrics from the first run of each side.`,
  );
  lines.push('');
  lines.push(
    `- machine: ${m.nproc} cores (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB; load average at start ${m.loadAverageAtStart.map((v) => v.toFixed(1)).join(' / ')}, ` +
      `at end ${results.loadAverageAtEnd.map((v) => v.toFixed(1)).join(' / ')}`,
  );
  if (results.note) lines.push(`- note: ${results.note}`);
  lines.push(
    `- camu ${results.camu.version} (${results.camu.variant}) on libtorch ${results.camu.libtorch}; PyTorch ${results.pytorch.torch} (Python ${results.pytorch.python}); total wall time ${fmt(results.wallSeconds / 60, 1)} min`,
  );
  lines.push('');
  lines.push(`### Unlearning time (target: camu at least ${s.speedupTarget}× faster)`);
  lines.push('');
  lines.push('| split | method | epochs × steps | camu (s) | PyTorch (s) | PyTorch / camu | ≥ target |');
  lines.push('|---|---|---|---:|---:|---:|---|');
  for (const r of results.rows) {
    const steps = `${r.epochs.camu} × ${r.stepsPerEpoch.camu}${r.stepsPerEpoch.camu !== r.stepsPerEpoch.pytorch ? ` (PyTorch ${r.stepsPerEpoch.pytorch})` : ''}`;
    lines.push(
      `| ${SCENARIOS[r.scenario].label} | ${r.method} | ${steps} | ${fmt(r.camuSeconds, 2)} | ${fmt(r.pytorchSeconds, 2)} | ${fmt(r.speedup, 2)}× | ${r.speedupMet ? 'yes' : 'no'} |`,
    );
  }
  lines.push('');
  lines.push(`### Metrics (tolerances: ${s.tolerances.accuracyPoints} point of accuracy, ${s.tolerances.mia} MIA)`);
  lines.push('');
  lines.push('Each cell: camu / PyTorch (camu − PyTorch). Accuracies in percent; MIAs: the CaMU-variant attack and the loss attack of bench/pytorch/README.md.');
  lines.push('');
  lines.push('| split | method | acc(D_r) | acc(D_f) | acc(T) | acc(T) remaining | MIA (CaMU) | MIA (loss) | within |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of results.rows) {
    const cell = (key, digits) => {
      const c = r.checks.find((x) => x.key === key);
      if (!c) return '—';
      return `${fmt(c.camu, digits)} / ${fmt(c.pytorch, digits)} (${signed(c.difference, digits)})${c.pass ? '' : ' **✗**'}`;
    };
    lines.push(
      `| ${SCENARIOS[r.scenario].label} | ${r.method} | ${cell('accRetain', 2)} | ${cell('accForget', 2)} | ${cell('accTest', 2)} | ${cell('accTestRemainingClasses', 2)} | ${cell('miaCamu', 3)} | ${cell('miaLossLogistic', 3)} | ${r.metricsWithinTolerance ? 'yes' : 'no'} |`,
    );
  }
  const spreadRows = results.rows.filter((r) => r.seedSpread);
  if (spreadRows.length) {
    lines.push('');
    lines.push(
      `Outside the tolerances, both sides ran once more with seed ${s.spreadSeed}, to read the difference between the sides against ` +
        'how far each side moves with the seed alone (differences, for the metrics outside the tolerance at seed 0):',
    );
    lines.push('');
    lines.push(`| split | method | metric | camu − PyTorch, seed 0 | camu − PyTorch, seed ${s.spreadSeed} | camu: seed 0 − seed ${s.spreadSeed} | PyTorch: seed 0 − seed ${s.spreadSeed} | camu − PyTorch, mean of both seeds |`);
    lines.push('|---|---|---|---:|---:|---:|---:|---:|');
    for (const r of spreadRows) {
      const failing = new Set(r.checks.filter((c) => !c.pass).map((c) => c.key));
      for (const x of r.seedSpread.metrics.filter((m) => failing.has(m.key))) {
        const d = x.tolerance < 1 ? 3 : 2;
        lines.push(
          `| ${SCENARIOS[r.scenario].label} | ${r.method} | ${x.metric} | ${signed(x.sidesAtSeed0, d)} | ${signed(x.sidesAtSeedS, d)} | ${signed(x.camuSeed0MinusSeedS, d)} | ${signed(x.pytorchSeed0MinusSeedS, d)} | ${signed(x.meanDifference, d)} |`,
        );
      }
    }
  }
  const mismatched = results.rows.filter((r) => !r.settings.same);
  lines.push('');
  lines.push(
    mismatched.length
      ? `Settings differ between the sides for: ${mismatched.map((r) => `${r.method} (${r.settings.differing.map((d) => d.name).join(', ')})`).join('; ')}.`
      : 'Both sides reported the same settings for every method.',
  );
  lines.push('');
  lines.push('<details><summary>Commands (each measurement is one process)</summary>');
  lines.push('');
  lines.push('```sh');
  lines.push('# $WORK: the run\'s work directory (--work-dir; by default a fresh temporary directory)');
  for (const c of results.commands) lines.push(c);
  lines.push('```');
  lines.push('</details>');
  return lines.join('\n');
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    log(error instanceof SetupError ? error.message : error.stack || error.message);
    process.exitCode = 1;
  }
}
