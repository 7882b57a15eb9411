/**
 * The path a user takes: `npm pack`, install the tarball into an empty project on a machine with
 * no compiler and no cmake, require('camu'), and run real work. Proves the prebuild is what loaded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot as root } from '../helpers/paths';

function which(tool: string): string | undefined {
  const out = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

describe('install from the packed tarball without build tools', () => {
  let work: string;
  let hiddenPath: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-install-'));
    // The prebuild under test is made from the current sources, and dist/ from the current lib/.
    execFileSync(process.execPath, [path.join(root, 'scripts', 'prebuild.js')], { cwd: root, stdio: 'ignore' });
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
    // A PATH with node and npm only: no g++, cc, c++, cmake, make, python.
    hiddenPath = path.join(work, 'bin');
    fs.mkdirSync(hiddenPath);
    for (const tool of ['node', 'npm', 'sh']) {
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
  });
});
