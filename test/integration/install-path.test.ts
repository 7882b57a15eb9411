/**
 * The path a user takes: `npm pack`, install the tarball into an empty project on a machine with
 * no compiler and no cmake, require('camu'), and run real work. Proves the prebuild is what loaded.
 * Then the README's TypeScript example and its CLI lines, as written, in that project.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBuildInfo } from '../../lib/native/loader';
import { packageRoot as root } from '../helpers/paths';

function which(tool: string): string | undefined {
  const out = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

/** The fenced blocks of `markdown` in order, with their info strings. */
function codeBlocks(markdown: string): { lang: string; body: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1], body: match[2] }));
}

// This path serves a system libtorch (the prebuild ships for Debian's). A build against a torch 2.x
// wheel is released as the platform package instead, whose install is platform-package.test.ts's.
const build = readBuildInfo(path.join(root, 'build', 'Release', 'camu.node'));
const skipped = build && !build.libtorchLibDir.startsWith('/usr/') ? `the build is against libtorch in ${build.libtorchLibDir}, not a system libtorch` : undefined;
const suite = skipped ? describe.skip : describe;

suite(`install from the packed tarball without build tools${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  let work: string;
  /** The installed consumer project (set by the first test). */
  let installed: string | undefined;
  let hiddenPath: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-install-'));
    // The prebuild under test is made from the current sources, and dist/ from the current lib/.
    execFileSync(process.execPath, [path.join(root, 'scripts', 'prebuild.js')], { cwd: root, stdio: 'ignore' });
    execFileSync('npm', ['run', 'build:ts'], { cwd: root, stdio: 'pipe' });
    // A PATH with node and npm only: no g++, cc, c++, cmake, make, python.
    hiddenPath = path.join(work, 'bin');
    fs.mkdirSync(hiddenPath);
    for (const tool of ['node', 'npm', 'npx', 'sh']) {
      const target = which(tool);
      if (!target) throw new Error(`${tool} is needed for this test`);
      fs.symlinkSync(fs.realpathSync(target), path.join(hiddenPath, tool));
    }
    env = {
      HOME: process.env.HOME,
      PATH: hiddenPath,
      npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
    };
  }, 300000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('installs, loads the prebuilt binary and runs native work', () => {
    for (const tool of ['g++', 'cc', 'c++', 'cmake', 'make']) {
      expect(spawnSync('sh', ['-c', `command -v ${tool}`], { env }).status).not.toBe(0);
    }
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
    )[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'binding.gyp', 'CMakeLists.txt']));
    expect(files.some((f) => /^prebuilds\/linux-x64\/.+\.node$/.test(f))).toBe(true);
    expect(files.some((f) => f.startsWith('build/') || f.startsWith('test/'))).toBe(false);

    const project = path.join(work, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    const install = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, packed.filename)],
      { cwd: project, env, encoding: 'utf8' },
    );
    expect(install.stderr).not.toMatch(/gyp ERR|cmake-js/);
    expect(install.status).toBe(0);

    // A real forward/backward: one training epoch of the paper CNN on a few synthetic images.
    const script = `
      const camu = require('camu');
      const images = camu.tensor(Uint8Array.from({ length: 64 * 28 * 28 }, (_, i) => (i * 7) % 251), [64, 1, 28, 28]);
      const labels = camu.tensor(BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 10)), [64]);
      const model = camu.createModel({ architecture: 'cnn', numClasses: 10, seed: 0 });
      camu.train(model, { images, labels }, { epochs: 1, batchSize: 16 }).then((r) => {
        const t = camu.tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
        console.log(JSON.stringify({ addonPath: camu.info().addonPath, values: Array.from(t.toTypedArray()), steps: r.steps, loss: r.epochLosses[0] }));
      }, (e) => { console.error(e); process.exit(1); });`;
    const run = spawnSync('node', ['-e', script], { cwd: project, env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result.addonPath).toBe(
      fs.realpathSync(path.join(project, 'node_modules', 'camu', 'prebuilds', 'linux-x64', path.basename(result.addonPath))),
    );
    expect(result.values).toEqual([1, 2, 3, 4]);
    expect(result.steps).toBe(4);
    expect(Number.isFinite(result.loss) && result.loss > 0).toBe(true);
    // Nothing was compiled at install.
    expect(fs.existsSync(path.join(project, 'node_modules', 'camu', 'build'))).toBe(false);
    installed = project;
  });

  it("runs the README's example and CLI lines as written", () => {
    if (!installed) throw new Error('the install test above failed, so there is no project to run the README in');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const blocks = codeBlocks(readme);
    const install = blocks.find((block) => block.lang === 'sh' && /npm install camu/.test(block.body));
    expect(install).toBeDefined();

    // The TypeScript example: type-checked against the installed package's types, then run.
    const example = blocks.find((block) => block.lang === 'ts');
    if (!example) throw new Error('README.md has no ts example');
    expect(example.body).toMatch(/from 'camu'/);
    const source = path.join(installed, 'readme-example.mts');
    fs.writeFileSync(source, example.body);
    const tsc = require.resolve('typescript/bin/tsc');
    const check = spawnSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
        '--typeRoots', path.join(root, 'node_modules', '@types'), '--types', 'node', source],
      { cwd: installed, encoding: 'utf8' },
    );
    expect(check.stdout + check.stderr).toBe('');
    const ts = require('typescript') as typeof import('typescript');
    const compiled = ts.transpileModule(example.body, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    fs.writeFileSync(path.join(installed, 'readme-example.mjs'), compiled);
    const run = spawnSync('node', ['readme-example.mjs'], { cwd: installed, env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // One line: "<seconds> s: acc(D_f) <x>%, acc(T) <y>%"; class 0 is forgotten, the rest kept.
    const printed = /^(\d+\.\d) s: acc\(D_f\) ([\d.]+)%, acc\(T\) ([\d.]+)%\n$/.exec(run.stdout);
    expect(printed).not.toBeNull();
    expect(Number(printed![2])).toBeLessThan(5);
    expect(Number(printed![3])).toBeGreaterThan(80);
    expect(fs.existsSync(path.join(installed, 'mnist-without-0.safetensors'))).toBe(true);

    // The CLI lines, each as a shell command in the project.
    const cli = blocks.find((block) => block.lang === 'sh' && /npx camu train /.test(block.body));
    if (!cli) throw new Error('README.md has no npx camu lines');
    const lines = cli.body.split('\n').filter((line) => line.startsWith('npx camu '));
    expect(lines.map((line) => line.split(' ')[2])).toEqual(['train', 'unlearn', 'evaluate']);
    const outputs: string[] = [];
    for (const line of lines) {
      const step = spawnSync('sh', ['-c', line], { cwd: installed, env, encoding: 'utf8' });
      if (step.status !== 0) throw new Error(`'${line}' exited with ${step.status}: ${step.stderr}`);
      outputs.push(step.stdout);
    }
    const evaluation = JSON.parse(outputs[2]);
    expect(evaluation.metrics['acc.forget']).toBeLessThan(5);
    for (const file of ['original.safetensors', 'unlearned.safetensors', 'split.json']) {
      expect(fs.existsSync(path.join(installed, file))).toBe(true);
    }
  }, 600000);
});
