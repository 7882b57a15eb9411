/**
 * The release as a user meets it (docs/installation.md): `npm run package` packs the platform
 * package (camu.node with the libtorch it needs) and the main package; a fresh app on a machine
 * with no compiler and no system libtorch (hidden in a mount namespace) runs the README's first
 * lines, `npm install camu` then `npx camu demo`, against a local registry that holds the two
 * packages; the libtorch that loads is the bundled one. Without the platform package and with
 * nothing to build, the install stops with a short message.
 *
 * Runs where the addon is built against a torch 2.x wheel (what the platform package bundles) and
 * as root (the mount namespace): CI's second pass. Elsewhere the suite is skipped, naming why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBuildInfo } from '../../lib/native/loader';
import { startLocalRegistry, LocalRegistry } from '../helpers/local-registry';
import { packageRoot as root } from '../helpers/paths';

const SYSTEM_LIB = '/usr/lib/x86_64-linux-gnu';
/** What Debian's libtorch-dev, python3-torch and libxgboost-dev put there. */
const HIDDEN = /^(lib(torch|c10|caffe2|shm|xgboost|dmlc)[^/]*|cmake\/Torch)$/;

function which(tool: string): string | undefined {
  const out = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function whyNot(): string | undefined {
  const build = readBuildInfo(path.join(root, 'build', 'Release', 'camu.node'));
  if (!build) return 'no build in build/Release';
  if (Number(build.libtorchVersion.split('.')[0]) < 2 || build.libtorchLibDir.startsWith('/usr/')) {
    return `the build is against libtorch ${build.libtorchVersion} in ${build.libtorchLibDir}, not a torch 2.x wheel`;
  }
  if (process.getuid?.() !== 0) return 'not root: hiding the system libtorch needs a mount namespace';
  for (const tool of ['patchelf', 'unshare', 'objdump']) if (!which(tool)) return `${tool} is missing`;
  return undefined;
}

const skipped = whyNot();
const suite = skipped ? describe.skip : describe;

/** The lines of the README's first sh block that are commands. */
function readmeFirstLines(): string[] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(readme);
  if (!block) throw new Error('README.md has no sh block');
  return block[1].split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

suite(`the platform package${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  let work: string;
  let packages: { name: string; tarball: string }[];
  let registry: LocalRegistry;
  let bin: string;
  let farm: string;

  /**
   * Runs `commands` in `cwd` with the system libtorch hidden and PATH holding node, npm and sh only.
   * Asynchronous: the local registry answers from this process.
   */
  function hidden(commands: string, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const original = path.join(work, 'system-lib');
    const env = [
      `HOME=${process.env.HOME}`,
      `PATH=${bin}`,
      `npm_config_registry=${registry.url}`,
      `npm_config_cache=${process.env.npm_config_cache ?? path.join(os.homedir(), '.npm')}`,
      'npm_config_audit=false',
      'npm_config_fund=false',
      'npm_config_update_notifier=false',
    ].map((v) => `'${v}'`);
    const setup = [
      `mkdir -p '${original}'`,
      `mount --bind ${SYSTEM_LIB} '${original}'`,
      `mount --bind '${farm}' ${SYSTEM_LIB}`,
      `cd '${cwd}'`,
      `exec env -i ${env.join(' ')} sh -c "$0"`,
    ].join(' && ');
    const child = spawn('unshare', ['-m', 'sh', '-c', setup, commands], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-platform-'));
    execFileSync(process.execPath, [path.join(root, 'scripts', 'package.js'), '--addon', path.join(root, 'build', 'Release'), '--out', path.join(work, 'packages')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const record = JSON.parse(fs.readFileSync(path.join(work, 'packages', 'package-sizes.json'), 'utf8'));
    packages = record.packages;
    registry = await startLocalRegistry(packages.map((p) => path.join(work, 'packages', p.tarball)));

    bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['node', 'npm', 'npx', 'sh']) fs.symlinkSync(fs.realpathSync(which(tool)!), path.join(bin, tool));

    // The system library folder as a folder of links to its entries (through a second mount of
    // the original), less libtorch, XGBoost and their CMake files: mounted over the original in
    // the namespace, it is that folder without them.
    farm = path.join(work, 'lib-farm');
    const link = (relative: string) => {
      fs.symlinkSync(path.join(work, 'system-lib', relative), path.join(farm, relative));
    };
    fs.mkdirSync(path.join(farm, 'cmake'), { recursive: true });
    for (const name of fs.readdirSync(SYSTEM_LIB)) {
      if (HIDDEN.test(name) || name === 'cmake') continue;
      link(name);
    }
    for (const name of fs.readdirSync(path.join(SYSTEM_LIB, 'cmake'))) {
      if (!HIDDEN.test(`cmake/${name}`)) link(path.join('cmake', name));
    }
  }, 900000);

  afterAll(async () => {
    await registry?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('packs both packages, the platform one with only glibc and libstdc++ left to the system', () => {
    expect(packages.map((p) => p.name)).toEqual(['@camu/linux-x64', 'camu']);
    const stage = path.join(work, 'packages', 'stage', 'linux-x64');
    const manifest = JSON.parse(fs.readFileSync(path.join(stage, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ os: ['linux'], cpu: ['x64'], libc: ['glibc'] });
    expect(manifest.camu.glibc).toMatch(/^2\.\d+$/);
    const main = JSON.parse(fs.readFileSync(path.join(work, 'packages', 'stage', 'camu', 'package.json'), 'utf8'));
    expect(main.optionalDependencies).toEqual({ '@camu/linux-x64': main.version });
    const lib = path.join(stage, 'lib');
    for (const file of fs.readdirSync(lib).filter((name) => /\.so|\.node$/.test(name))) {
      const dynamic = execFileSync('readelf', ['-d', path.join(lib, file)], { encoding: 'utf8' });
      const runpath = /\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]/.exec(dynamic);
      if (runpath) expect({ file, runpath: runpath[1] }).toEqual({ file, runpath: '$ORIGIN' });
      for (const needed of dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)) {
        const inPackage = fs.existsSync(path.join(lib, needed[1]));
        const system = /^(libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|ld-linux-x86-64)\.so/.test(needed[1]);
        expect({ file, needed: needed[1], found: inPackage || system }).toEqual({ file, needed: needed[1], found: true });
      }
    }
    expect(fs.existsSync(path.join(lib, 'camu.node'))).toBe(true);
    expect(fs.readdirSync(lib).some((name) => name.startsWith('libtorch_cpu'))).toBe(true);
  });

  it("runs the README's first lines, as written, on a machine without compilers or a system libtorch", async () => {
    const lines = readmeFirstLines();
    expect(lines[0]).toBe('npm install camu');
    expect(lines).toContain('npx camu demo');
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const checks = [
      `! command -v g++ && ! command -v cc && ! command -v cmake && ! command -v python3`,
      `test ! -e ${SYSTEM_LIB}/libtorch_cpu.so.1.13 && test ! -e ${SYSTEM_LIB}/libxgboost.so.0 && test -e ${SYSTEM_LIB}/libc.so.6`,
    ];
    expect((await hidden(checks.join(' && '), app)).status).toBe(0);
    const timings: Record<string, number> = {};
    let demo = '';
    for (const line of lines) {
      const started = Date.now();
      const run = await hidden(line, app);
      timings[line] = (Date.now() - started) / 1000;
      if (run.status !== 0) throw new Error(`'${line}' exited ${run.status}\n${run.stdout}\n${run.stderr}`);
      expect(run.stderr).not.toMatch(/gyp ERR|cmake-js|npm error/);
      if (line === 'npx camu demo') demo = run.stdout;
    }
    expect(registry.requested).toEqual(expect.arrayContaining(['camu', '@camu/linux-x64']));
    // Nothing was compiled, and the platform package is installed.
    expect(fs.existsSync(path.join(app, 'node_modules', 'camu', 'build'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', '@camu', 'linux-x64', 'lib', 'camu.node'))).toBe(true);
    // The demo's summary (JSON: stdout is not a terminal).
    const { metrics } = JSON.parse(demo);
    expect(metrics.original['acc.forget']).toBeGreaterThan(90);
    expect(metrics.unlearned['acc.forget']).toBeLessThan(5);
    expect(metrics.unlearned['acc.test']).toBeGreaterThan(80);
    const installedBytes = Number(execFileSync('du', ['-sb', path.join(app, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
    fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'test-artifacts', 'platform-package.json'),
      `${JSON.stringify({ packages, seconds: timings, installedBytes }, null, 2)}\n`,
    );
  }, 900000);

  it('loads the bundled libtorch and no other, from CommonJS and from ESM', async () => {
    const app = path.join(work, 'app');
    const libtorchFiles = `(() => [...new Set(require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n')
      .map((l) => l.split(/\\s+/)[5]).filter((f) => f && /lib(torch_cpu|c10)\\.so/.test(f)))])()`;
    fs.writeFileSync(
      path.join(app, 'probe.cjs'),
      `const before = ${libtorchFiles};
      const about = require('camu').info();
      console.log(JSON.stringify({ source: about.addonSource, dir: about.libtorchDir, version: about.libtorchVersion,
        xgboost: about.xgboost.available, torch: ${libtorchFiles}, before }));`,
    );
    const run = await hidden('node probe.cjs', app);
    if (run.status !== 0) throw new Error(run.stderr);
    const loaded = JSON.parse(run.stdout);
    const bundled = fs.realpathSync(path.join(app, 'node_modules', '@camu', 'linux-x64', 'lib'));
    expect(loaded.before).toEqual([]);
    expect(loaded.source).toBe('platform package');
    expect(loaded.dir).toBe(bundled);
    expect(loaded.version).toMatch(/^2\./);
    expect(loaded.xgboost).toBe(true);
    expect(loaded.torch.map((file: string) => path.dirname(file))).toEqual([bundled, bundled]);
    const esm = await hidden(`node --input-type=module -e "import { info } from 'camu'; console.log(info().addonSource)"`, app);
    expect(esm.stderr).toBe('');
    expect(esm.stdout.trim()).toBe('platform package');
  });

  it('stops an install that has no binary and nothing to build with with a short message', async () => {
    const app = path.join(work, 'app-without-optional');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const run = await hidden('npm install camu --omit=optional', app);
    const output = run.stdout + run.stderr;
    expect(run.status).not.toBe(0);
    expect(output).toMatch(/no binary of camu loads on this machine, and it cannot build one: missing a C\+\+ compiler \(g\+\+\), cmake, libtorch/);
    expect(output).toMatch(/npm install camu --include=optional/);
    expect(output).toMatch(/Debian 12: +sudo apt-get install/);
    expect(output).toMatch(/Fedora: /);
    expect(output).not.toMatch(/gyp ERR|node:internal|\n\s+at /);
  }, 300000);
});
