/**
 * The command line's parsing without the addon: help from the declarations, usage errors with
 * suggestions, --config files (JSON and YAML) checked like flags, the value formats, tables vs
 * JSON, and the thread count `reproduce --jobs` implies. test/integration/cli.test.ts runs the
 * commands themselves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadsForJobs } from '../../lib/cli';
import { parseMethods, parseScenario, parseSeeds } from '../../lib/cli/formats';
import { CliIo, printResult, renderTable } from '../../lib/cli/output';
import { Invocation, parseCommandLine } from '../../lib/cli/program';
import { commandOptions, COMMANDS, flagWithValue, methodOptions } from '../../lib/cli/spec';
import { UsageError } from '../../lib/cli/usage';
import { METHOD_NAMES, methodDescriptor } from '../../lib/unlearn/methods';
import { removeTempDirs, tempDir } from '../helpers/data-fixtures';

/** What `reproduce --methods all` lists: the references, then every other method ('retrain' once). */
const REPRODUCED = ['original', 'retrain', ...METHOD_NAMES.filter((name) => name !== 'retrain')];

function capture(isTTY = false): { io: CliIo; out: string[] } {
  const out: string[] = [];
  const write = (chunk: string) => out.push(chunk);
  return { io: { stdout: { write, isTTY, columns: 100 }, stderr: { write } }, out };
}

/** What `argv` prints and returns (help, version). */
function printed(argv: string[]): { status: number | Invocation; text: string } {
  const { io, out } = capture();
  const status = parseCommandLine(argv, io);
  return { status, text: out.join('') };
}

/** The parsed values of a command line that asks for work. */
function parsed(argv: string[]): Invocation {
  const result = parseCommandLine(argv, capture().io);
  if (typeof result === 'number') throw new Error(`${argv.join(' ')} asked for no work`);
  return result;
}

function usageMessage(argv: string[]): string {
  try {
    parseCommandLine(argv, capture().io);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'ERR_CAMU_USAGE' });
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed without a usage error`);
}

/** Help text with its line wrapping undone. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

let dir: string;
beforeAll(() => {
  dir = tempDir('cli');
});
afterAll(removeTempDirs);

function file(name: string, text: string): string {
  const where = path.join(dir, name);
  fs.writeFileSync(where, text);
  return where;
}

describe('help', () => {
  test("every command's --help lists each of its options with its default, and the command's example", () => {
    for (const command of COMMANDS) {
      const { status, text } = printed([command.name, '--help']);
      expect(status).toBe(0);
      expect(text).toMatch(new RegExp(`^Usage: camu ${command.name} `));
      const help = flat(text);
      const options = commandOptions(command, methodDescriptor('camu'));
      options.forEach((option, i) => {
        const at = help.indexOf(` ${flagWithValue(option)} `);
        expect(at).toBeGreaterThan(0);
        // The option's line: up to the next option's flag.
        const next = options.slice(i + 1).map((other) => help.indexOf(` ${flagWithValue(other)} `, at + 1));
        const line = help.slice(at, next.find((position) => position > 0) ?? help.length);
        if (option.required) expect(line).toContain('(required)');
        else if (option.default !== undefined || option.defaultText !== undefined) {
          expect(line).toContain(`(default: ${option.defaultText ?? String(option.default)})`);
        }
      });
      expect(help).toContain(`Example: ${command.example}`);
    }
  });

  test('camu train --help, as a person reads it', () => {
    const help = flat(printed(['train', '--help']).text);
    expect(help).toContain('--epochs <N> training epochs (default: 20)');
    expect(help).toContain('--out <FILE> where the weights go (safetensors); its folder is created (required)');
    expect(help).toContain('--dataset <NAME> the dataset (the paper CNN for the MNISTs, a ResNet-18 for CIFAR); one of mnist, fashion, cifar10, cifar100 (required)');
    expect(help).toContain('--resolution <32|224>');
    expect(help).toContain('--force overwrite output files that exist');
    expect(help).toContain('Example: camu train --dataset mnist --epochs 1 --out camu-output/original.safetensors');
  });

  test('camu --help lists the commands (so does camu alone); -v and --version print the version', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const argv of [['--help'], [], ['help']]) {
      const { status, text } = printed(argv);
      expect(status).toBe(0);
      for (const command of COMMANDS) expect(flat(text)).toContain(`${command.name}`);
      expect(flat(text)).toContain(`reproduce [options] ${COMMANDS.find((c) => c.name === 'reproduce')?.summary}`);
    }
    expect(printed(['--version'])).toEqual({ status: 0, text: `${manifest.version}\n` });
    expect(printed(['-v'])).toEqual({ status: 0, text: `${manifest.version}\n` });
  });

  test("unlearn --help lists the chosen method's options (camu by default), every method, its presets and ablations", () => {
    const camu = flat(printed(['unlearn', '--help']).text);
    expect(camu).toContain('Options of --method camu:');
    expect(camu).toContain('--kl-lr <X> opt_KL');
    expect(camu).not.toContain('--learning-rate');
    for (const name of METHOD_NAMES) expect(camu).toContain(` ${name} `);
    expect(camu).toContain('Presets of camu (--preset): mnist-random, mnist-class');
    expect(camu).toContain('Ablations of camu (--ablate): klSample:');
    const finetune = flat(printed(['unlearn', '--method', 'finetune', '--help']).text);
    expect(finetune).toContain('--learning-rate <X> learning rate (default: 0.03)');
    expect(finetune).toContain('--optimizer <sgd|adam>');
    expect(finetune).not.toContain('--kl-lr <X>');
    // The method can come from the config file.
    const config = file('finetune.json', '{"method": "finetune"}');
    expect(flat(printed(['unlearn', '--config', config, '--help']).text)).toContain('Options of --method finetune:');
  });
});

describe('usage errors', () => {
  test('a mistyped flag or command comes with the nearest known one', () => {
    expect(usageMessage(['train', '--dataset', 'mnist', '--epoch', '2'])).toBe("unknown option '--epoch'; did you mean --epochs?");
    expect(usageMessage(['train', '--epoch=2'])).toBe("unknown option '--epoch'; did you mean --epochs?");
    expect(usageMessage(['unlearn', '--learnig-rate', '1', '--method', 'finetune'])).toMatch(/did you mean --learning-rate\?/);
    expect(usageMessage(['reproduce', '--zzz'])).toBe("unknown option '--zzz'");
    expect(usageMessage(['evalute'])).toBe("unknown command 'evalute'; did you mean 'evaluate'?");
    expect(usageMessage(['--verison'])).toBe("unknown option '--verison'; did you mean --version?");
  });

  test("unknown methods and another method's flags are errors naming them", () => {
    const names = `${METHOD_NAMES.slice(0, -1).map((n) => `'${n}'`).join(', ')} or '${METHOD_NAMES[METHOD_NAMES.length - 1]}'`;
    expect(usageMessage(['unlearn', '--method', 'nope', '--model', 'm', '--dataset', 'mnist', '--out', 'x'])).toBe(`--method must be ${names}, got 'nope'`);
    expect(usageMessage(['unlearn', '--method', 'finetune', '--kl-lr', '1'])).toBe('--kl-lr is an option of --method camu, not of finetune');
    expect(usageMessage(['unlearn', '--method', 'camu', '--alpha', '1'])).toBe('--alpha is an option of --method neggrad+ or ssd, not of camu');
  });

  test('missing, malformed and out-of-list values name the flag', () => {
    expect(usageMessage(['unlearn', '--dataset', 'mnist', '--out', 'x.safetensors'])).toBe('--model is required');
    expect(usageMessage(['train', '--dataset', 'mnist', '--out', 'o', '--epochs', 'two'])).toBe("--epochs must be an integer, got 'two'");
    expect(usageMessage(['train', '--dataset', 'svhn', '--out', 'o'])).toBe("--dataset must be mnist, fashion, cifar10 or cifar100, got 'svhn'");
    expect(usageMessage(['train', '--dataset', 'cifar10', '--resolution', '64', '--out', 'o'])).toBe('--resolution must be 32 or 224, got 64');
    expect(usageMessage(['train', '--dataset', 'cifar10', '--precision', 'float16', '--out', 'o'])).toBe("--precision must be float32 or bfloat16, got 'float16'");
    expect(usageMessage(['reproduce', '--datasets', 'svhn'])).toMatch(/^--datasets must list some of mnist, fashion, cifar10, cifar100, got 'svhn'$/);
    expect(usageMessage(['reproduce', '--methods', 'original,nope'])).toContain(`--methods must list some of ${REPRODUCED.join(', ')},`);
    expect(usageMessage(['unlearn', '--method', 'finetune', '--fused-adam', 'yes'])).toBe("--fused-adam must be true or false, got 'yes'");
    expect(usageMessage(['train', '--out'])).toBe("option '--out <FILE>' argument missing");
    expect(usageMessage(['report'])).toBe("missing required argument 'DIR'");
    expect(usageMessage(['info', 'extra'])).toMatch(/^too many arguments for 'info'/);
  });
});

describe('values', () => {
  test("flags become typed values under the options' names; defaults fill the rest", () => {
    const { command, values, method } = parsed(['unlearn', '--model', 'm.pt', '--dataset', 'mnist', '--out', 'u', '--scenario', 'random:0.1', '--save-split', 's.json', '--kl-lr', '1e-3', '--noise=false', '--ablate', 'noise,relabel']);
    expect(command.name).toBe('unlearn');
    expect(method?.name).toBe('camu');
    expect(values).toEqual({
      model: 'm.pt',
      dataset: 'mnist',
      resolution: 32,
      device: 'cpu',
      out: 'u',
      scenario: { type: 'random', fraction: 0.1 },
      seed: 0,
      saveSplit: 's.json',
      method: 'camu',
      ablate: ['noise', 'relabel'],
      klLr: 0.001,
      noise: false,
    });
    expect(parsed(['report', 'run-dir'])).toMatchObject({ argument: 'run-dir', values: {} });
    expect(parsed(['reproduce', '--seeds', '0-2', '--mnist-dir', 'd']).values).toMatchObject({ seeds: [0, 1, 2], mnistDir: 'd', out: 'camu-reproduce', jobs: 1 });
  });

  test("a method's options have no default of the CLI's: unlearn() applies the method's, under its preset", () => {
    const { values } = parsed(['unlearn', '--model', 'm', '--dataset', 'mnist', '--out', 'u', '--split', 's']);
    for (const option of methodOptions(methodDescriptor('camu'))) expect(values).not.toHaveProperty(option.name);
    expect(values).not.toHaveProperty('retainProbe');
  });

  test('value formats: seeds, scenarios, method lists', () => {
    expect(parseSeeds('0-4')).toEqual([0, 1, 2, 3, 4]);
    expect(parseSeeds('3,1,3')).toEqual([3, 1]);
    expect(() => parseSeeds('4-2')).toThrow(UsageError);
    expect(() => parseSeeds('-1')).toThrow('--seeds must be non-negative, got -1');
    expect(parseScenario('class:0,3')).toEqual({ type: 'class', classes: [0, 3] });
    expect(parseScenario('random:0.1')).toEqual({ type: 'random', fraction: 0.1 });
    expect(parseScenario('random:500')).toEqual({ type: 'random', count: 500 });
    expect(() => parseScenario('all')).toThrow(UsageError);
    expect(() => parseScenario('class:x', 'f.yaml: scenario')).toThrow("f.yaml: scenario class must be an integer, got 'x'");
    expect(parseMethods('original,finetune')).toEqual(['original', 'finetune']);
    // 'retrain' is a registered method too: all of them lists it once, as the cached retrained model.
    expect(METHOD_NAMES).toContain('retrain');
    expect(parseMethods('all')).toEqual(REPRODUCED);
    expect(() => parseMethods('all,camu')).toThrow(UsageError);
  });
});

describe('--config', () => {
  const trainFlags = ['--dataset', 'mnist', '--out', 'o.safetensors'];

  test('a JSON file gives options by name; flags override it', () => {
    const config = file('train.json', JSON.stringify({ dataset: 'fashion', epochs: 3, seed: 7, out: 'from-file' }));
    expect(parsed(['train', '--config', config]).values).toEqual({ dataset: 'fashion', resolution: 32, device: 'cpu', out: 'from-file', epochs: 3, seed: 7, config });
    expect(parsed(['train', '--config', config, '--epochs', '5', '--out', 'o']).values).toMatchObject({ dataset: 'fashion', epochs: 5, seed: 7, out: 'o' });
    expect(parsed(['train', `--config=${config}`, '--seed=1']).values).toMatchObject({ seed: 1, epochs: 3 });
  });

  test('a YAML file (.yaml or .yml), with kebab-case keys and lists', () => {
    const config = file('reproduce.yml', ['datasets: [mnist, fashion]', 'seeds: 0-2', 'methods: original,retrain,finetune', 'jobs: 2', 'cache-dir: cache', 'json: true', ''].join('\n'));
    expect(parsed(['reproduce', '--config', config]).values).toMatchObject({
      datasets: ['mnist', 'fashion'],
      seeds: [0, 1, 2],
      methods: ['original', 'retrain', 'finetune'],
      jobs: 2,
      cacheDir: 'cache',
      json: true,
    });
    const seedList = file('seeds.yaml', 'seeds: [3, 4]\n');
    expect(parsed(['reproduce', '--config', seedList]).values).toMatchObject({ seeds: [3, 4] });
  });

  test("unlearn's method may come from the file, and then its options are keys; --method overrides it", () => {
    const config = file('unlearn.yaml', ['method: finetune', 'model: m.safetensors', 'dataset: mnist', 'split: s.json', 'out: u.safetensors', 'learningRate: 0.001', 'optimizer: adam', ''].join('\n'));
    const { values, method } = parsed(['unlearn', '--config', config, '--learning-rate', '0.01']);
    expect(method?.name).toBe('finetune');
    expect(values).toMatchObject({ method: 'finetune', learningRate: 0.01, optimizer: 'adam', model: 'm.safetensors' });
    // With --method camu, the file's finetune keys are another method's.
    expect(usageMessage(['unlearn', '--config', config, '--method', 'camu'])).toBe(`${config}: 'learningRate' is an option of --method bad-teacher, boundary-shrink, finetune, neggrad, neggrad+, random-label, retrain, salun or scrub, not of camu`);
    const wrongMethod = file('wrong-method.json', '{"method": "nope"}');
    expect(usageMessage(['unlearn', '--config', wrongMethod])).toMatch(new RegExp(`^${wrongMethod}: method must be 'bad-teacher'.*got 'nope'$`));
  });

  test('an unknown key names the file, the nearest key and the expected keys', () => {
    const config = file('typo.yaml', 'dataset: mnist\nepoch: 2\n');
    expect(usageMessage(['train', '--config', config, ...trainFlags])).toBe(
      `${config}: unknown key 'epoch'; did you mean 'epochs'? (expected keys: dataset, dir, resolution, precision, device, out, epochs, seed, split, checkWeights, checkEvery, force, json)`,
    );
    const far = file('far.json', '{"zzz": 1}');
    expect(usageMessage(['train', '--config', far, ...trainFlags])).toMatch(new RegExp(`^${far}: unknown key 'zzz' \\(expected keys: dataset, `));
    const nested = file('nested.json', '{"config": "other.json"}');
    expect(usageMessage(['train', '--config', nested, ...trainFlags])).toMatch(/unknown key 'config'/);
  });

  test('a bad value names the key, what it must be and what the file gives', () => {
    const bad = (name: string, entries: object) => usageMessage(['train', '--config', file(name, JSON.stringify(entries)), ...trainFlags]);
    expect(bad('string-epochs.json', { epochs: '2' })).toMatch(/string-epochs\.json: epochs must be an integer, got "2" \(a string\)$/);
    expect(bad('fraction-epochs.json', { epochs: 2.5 })).toMatch(/: epochs must be an integer, got 2\.5 \(a number\)$/);
    expect(bad('dataset.json', { dataset: 'svhn' })).toMatch(/: dataset must be mnist, fashion, cifar10 or cifar100, got "svhn" \(a string\)$/);
    expect(bad('force.json', { force: 'yes' })).toMatch(/: force must be true or false, got "yes" \(a string\)$/);
    expect(bad('out.json', { out: ['a'] })).toMatch(/: out must be a string, got \["a"\] \(a list\)$/);
    expect(bad('resolution.json', { resolution: 64 })).toMatch(/resolution\.json: resolution must be 32 or 224, got 64$/);
    expect(bad('twice.json', { saveSplit: 'a', 'save-split': 'b' })).toMatch(/unknown key 'saveSplit'/);
    const twice = file('twice-unlearn.json', JSON.stringify({ saveSplit: 'a', 'save-split': 'b' }));
    expect(usageMessage(['unlearn', '--config', twice])).toBe(`${twice}: 'saveSplit' and 'save-split' are the same option`);
  });

  test('a file that cannot be read or parsed, or holds no mapping', () => {
    expect(usageMessage(['train', '--config', path.join(dir, 'missing.json')])).toMatch(/^--config: cannot read .*missing\.json: ENOENT/);
    expect(usageMessage(['train', '--config', file('broken.json', '{"epochs": ')])).toMatch(/^--config: .*broken\.json is not valid JSON/);
    expect(usageMessage(['train', '--config', file('broken.yaml', 'epochs: [1\n')])).toMatch(/^--config: .*broken\.yaml is not valid YAML/);
    expect(usageMessage(['train', '--config', file('list.json', '[1]')])).toMatch(/must hold a mapping of option names to values, got \[1\] \(a list\)$/);
    expect(usageMessage(['info', '--config', 'x.json'])).toBe("unknown option '--config'");
  });
});

describe('output', () => {
  const result = {
    out: 'o.safetensors',
    seconds: 1.234567,
    epochLosses: [0.5, 0.25],
    settings: { klLr: 0.0004, noise: true },
    checks: [{ step: 38, accuracy: 98.828125 }, { step: 75, accuracy: 99 }],
    skipped: null,
  };

  test('JSON when stdout is not a terminal or --json is given, a table in a terminal', () => {
    for (const [isTTY, json] of [[false, false], [false, true], [true, true]]) {
      const { io, out } = capture(isTTY);
      printResult(io.stdout, result, json);
      expect(JSON.parse(out.join(''))).toEqual(result);
    }
    const { io, out } = capture(true);
    printResult(io.stdout, result, false);
    expect(out.join('')).toBe(
      [
        'out             o.safetensors',
        'seconds         1.2346',
        'epochLosses     0.5, 0.25',
        'settings.klLr   0.0004',
        'settings.noise  true',
        'checks          step=38 accuracy=98.828; step=75 accuracy=99',
        'skipped         -',
        '',
      ].join('\n'),
    );
  });

  test('tables align their columns, without trailing spaces', () => {
    expect(renderTable([['metric', 'value', ''], ['acc.forget', '0.5', ''], ['mia', '-', 'no attacker']])).toBe(
      ['metric      value', 'acc.forget  0.5', 'mia         -      no attacker'].join('\n'),
    );
  });
});

test('--jobs (or the config file\'s jobs) shares the cores among the jobs unless CAMU_NUM_THREADS is set', () => {
  expect(threadsForJobs(['reproduce', '--jobs', '2'], {}, 2)).toBe(1);
  expect(threadsForJobs(['reproduce', '--jobs=3'], {}, 8)).toBe(2);
  expect(threadsForJobs(['reproduce', '--jobs', '4'], {}, 2)).toBe(1);
  expect(threadsForJobs(['reproduce', '--jobs', '2'], { CAMU_NUM_THREADS: '2' }, 2)).toBeUndefined();
  expect(threadsForJobs(['reproduce'], {}, 2)).toBeUndefined();
  expect(threadsForJobs(['train', '--jobs', '2'], {}, 2)).toBeUndefined();
  expect(threadsForJobs(['reproduce', '--jobs', 'x'], {}, 2)).toBeUndefined();
  const config = file('jobs.yaml', 'jobs: 4\n');
  expect(threadsForJobs(['reproduce', '--config', config], {}, 8)).toBe(2);
  expect(threadsForJobs(['reproduce', '--config', config, '--jobs', '2'], {}, 8)).toBe(4);
  expect(threadsForJobs(['reproduce', '--config', path.join(dir, 'missing.yaml')], {}, 8)).toBeUndefined();
});
