/** The built binary: RPATH, exactly one libtorch loaded, info(), thread settings, load failures. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { info } from '../../lib';
import { addonCandidates, addonPath, explainLoadFailure, loadAddon, packageRoot } from '../../lib/native';

/** GCC's OpenMP runtime, under its own name or a wheel's hashed one (libgomp-<hash>.so.1). */
const GOMP_FILE = /\/libgomp(-[0-9a-f]+)?[.]so/;
const buildInfo = JSON.parse(fs.readFileSync(path.join(path.dirname(addonPath), 'camu.build.json'), 'utf8'));

describe('the native binary', () => {
  it('has an RPATH of only the found libtorch lib dir or $ORIGIN-relative entries', () => {
    const dynamic = execFileSync('readelf', ['-d', addonPath], { encoding: 'utf8' });
    const entries = [...dynamic.matchAll(/\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]/g)].flatMap((m) =>
      m[1].split(':'),
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const allowed = entry === buildInfo.libtorchLibDir || entry.startsWith('$ORIGIN');
      expect({ entry, allowed }).toEqual({ entry, allowed: true });
    }
    expect(dynamic).not.toMatch(/build-native|\/build\//);
  });

  it('resolves every libtorch library from one installation', () => {
    const ldd = execFileSync('ldd', [addonPath], { encoding: 'utf8' });
    expect(ldd).not.toMatch(/not found/);
    const torchLibs = [...ldd.matchAll(/(lib(?:c10|torch)[\w.]*\.so[\w.]*) => (\S+)/g)].map((m) => m[2]);
    expect(torchLibs.length).toBeGreaterThanOrEqual(2);
    const dirs = new Set(torchLibs.map((p) => fs.realpathSync(path.dirname(p))));
    expect([...dirs]).toEqual([fs.realpathSync(buildInfo.libtorchLibDir)]);
  });

  // The files mapped into a process that loaded the addon whose paths match `pattern`.
  const loadedFiles = (pattern: RegExp): string[] => {
    const script = `require(${JSON.stringify(addonPath)});
      const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
      const libs = new Set(maps.split('\\n').map(l => l.split(/\\s+/)[5]).filter(p => p && ${pattern}.test(p)));
      console.log(JSON.stringify([...libs]));`;
    return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  };

  it('loads exactly one libc10 into a running process', () => {
    expect(loadedFiles(/\/libc10[.]so/)).toHaveLength(1);
  });

  // camu's kernels and libtorch must share one OpenMP runtime (CMakeLists.txt): two would each keep
  // a thread pool, and CAMU_NUM_THREADS would size only libtorch's. Wheels may name theirs
  // libgomp-<hash>.so.1.
  it('loads at most one OpenMP runtime (libgomp) into a running process', () => {
    expect(loadedFiles(GOMP_FILE).length).toBeLessThanOrEqual(1);
  });
});

describe('info()', () => {
  it('reports versions, variant, CUDA, threads and XGBoost', () => {
    const about = info();
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8'));
    expect(about.camuVersion).toBe(pkg.version);
    expect(about.libtorchVersion).toBe(buildInfo.libtorchVersion);
    expect(about.libtorchVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(about.variant).toBe(buildInfo.variant);
    expect(typeof about.cuda.available).toBe('boolean');
    expect(Array.isArray(about.cuda.devices)).toBe(true);
    if (!about.cuda.available) expect(about.cuda.devices).toEqual([]);
    expect(about.threads.intraOp).toBeGreaterThanOrEqual(1);
    expect(about.threads.interOp).toBeGreaterThanOrEqual(1);
    expect(about.xgboost.available).toBe(buildInfo.xgboost);
    // Debian's libtorch calls OpenBLAS; the torch 2.x wheels bring MKL instead.
    const openblasLoaded = fs.readFileSync('/proc/self/maps', 'utf8').includes('openblas');
    if (openblasLoaded) expect(about.openblasCore).toMatch(/^\w+$/);
    else expect(about.openblasCore).toBeNull();
    expect([null, 'avx512f']).toContain(about.linearKernel);
    expect(about.addonPath).toBe(addonPath);
  });
});

describe('threads', () => {
  const run = (env: NodeJS.ProcessEnv, code: string) =>
    spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const requireAddon = `const b = require(${JSON.stringify(addonPath)});`;

  it('takes CAMU_NUM_THREADS and CAMU_NUM_INTEROP_THREADS at load', () => {
    const out = run({ CAMU_NUM_THREADS: '1', CAMU_NUM_INTEROP_THREADS: '2' }, `${requireAddon} console.log(JSON.stringify(b.info().threads))`);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ intraOp: 1, interOp: 2 });
  });

  it('defaults to the cores available to the process', () => {
    const out = run({ CAMU_NUM_THREADS: '' }, `${requireAddon} console.log(JSON.stringify(b.info().threads))`);
    const threads = JSON.parse(out.stdout);
    expect(threads.intraOp).toBe(threads.availableCores);
    expect(threads.availableCores).toBeLessThanOrEqual(os.cpus().length);
  });

  it("splits camu's own kernels over CAMU_NUM_THREADS where libtorch runs on GCC's OpenMP", () => {
    const code = `${requireAddon} const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ gomp: ${GOMP_FILE}.test(maps), threads: b.info().threads }));`;
    for (const count of [1, 3]) {
      const out = run({ CAMU_NUM_THREADS: String(count), CAMU_NUM_INTEROP_THREADS: '1' }, code);
      expect(out.status).toBe(0);
      const { gomp, threads } = JSON.parse(out.stdout);
      // Off only where libtorch has no libgomp, and then it says why.
      if (!gomp) expect(threads.camuKernelsReason).toMatch(/OpenMP/);
      else expect(threads).toEqual({ intraOp: count, interOp: 1, availableCores: threads.availableCores, camuKernels: count });
    }
  });

  it('rejects a bad CAMU_NUM_THREADS with a message instead of aborting', () => {
    const out = run({ CAMU_NUM_THREADS: 'many' }, `try { ${requireAddon} } catch (e) { console.log(e.code + ': ' + e.message); process.exit(3); }`);
    expect(out.status).toBe(3);
    expect(out.stdout).toMatch(/ERR_INVALID_ARG_VALUE: CAMU_NUM_THREADS must be a whole number from 1 to 1024, got 'many'/);
  });

  it('reports the OpenBLAS kernels that OPENBLAS_CORETYPE chose', () => {
    const code = `${requireAddon} const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ openblas: maps.includes('openblas'), core: b.info().openblasCore }));`;
    const out = run({ OPENBLAS_CORETYPE: 'Haswell' }, code);
    expect(out.status).toBe(0);
    const { openblas, core } = JSON.parse(out.stdout);
    expect(core).toBe(openblas ? 'Haswell' : null);
  });

  it('survives module init running again in the same process (worker threads)', () => {
    const code = `${requireAddon}
      const { Worker } = require('worker_threads');
      const w = new Worker(\`const b = require(${JSON.stringify(addonPath).replace(/\\/g, '\\\\')});
        require('worker_threads').parentPort.postMessage(b.info().threads.interOp);\`, { eval: true });
      w.on('message', (m) => { console.log('worker', m); });
      w.on('exit', (c) => process.exit(c));`;
    const out = run({}, code);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/worker 1/);
  });
});

describe('loader failures', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-load-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('explains a binary that cannot load: what it expected, what was found, the fix', () => {
    const prebuilds = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(prebuilds, { recursive: true });
    fs.writeFileSync(path.join(prebuilds, 'camu.node'), 'not an ELF file');
    fs.writeFileSync(path.join(prebuilds, 'camu.build.json'), JSON.stringify({ ...buildInfo, libtorchVersion: '9.9.9' }));
    let error: any;
    try {
      loadAddon(dir);
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe('ERR_CAMU_NATIVE_LOAD');
    expect(error.message).toMatch(/built against libtorch 9\.9\.9/);
    expect(error.message).toMatch(/libtorch found on this machine:/);
    expect(error.message).toMatch(/Fix: /);
  });

  it('explains a missing binary', () => {
    let error: any;
    try {
      loadAddon(dir);
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe('ERR_CAMU_NATIVE_LOAD');
    expect(error.message).toMatch(/No binary for .* fits this machine, and there is no source build/);
    expect(error.message).toMatch(/Tried, in order:\n {2}source build: none .*\n {2}@camu\/linux-x64: not installed\n {2}prebuild: none/);
    expect(error.message).toMatch(/Fix: npm install @camu\/linux-x64 .*\n.*npm rebuild camu --build-from-source/);
  });

  it('says rebuild when the binary wants a libtorch version this machine does not have', () => {
    const prebuilds = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(prebuilds, { recursive: true });
    const addon = path.join(prebuilds, 'camu.node');
    fs.writeFileSync(
      path.join(prebuilds, 'camu.build.json'),
      JSON.stringify({ ...buildInfo, libtorchVersion: '9.9.9', libtorchLibDir: path.join(dir, 'gone') }),
    );
    const message = explainLoadFailure(new Error('libtorch_cpu.so.9.9: cannot open shared object file: No such file or directory'), addon);
    // This machine has some libtorch (CI: Debian's), just not 9.9.
    expect(message).toMatch(/libtorch found on this machine: \//);
    expect(message).toMatch(/Fix: rebuild camu against the libtorch you have/);
  });

  it('suggests installing libtorch when a system libtorch library is missing', () => {
    const message = explainLoadFailure(
      new Error('libtorch_cpu.so.1.13: cannot open shared object file: No such file or directory'),
      addonPath,
    );
    expect(message).toMatch(/Fix: sudo apt-get install -y libtorch-dev|Fix: make .* exist again/);
  });
});

describe('which binary loads', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-candidates-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A package folder with a platform package (needing `glibc`) and a prebuild for this build's libtorch. */
  function layout(glibc: string) {
    const platform = path.join(dir, 'node_modules', '@camu', `${process.platform}-${process.arch}`);
    fs.mkdirSync(path.join(platform, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(platform, 'package.json'), JSON.stringify({ name: '@camu/x', version: '0.0.0', camu: { glibc } }));
    fs.copyFileSync(addonPath, path.join(platform, 'lib', 'camu.node'));
    const prebuilds = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(prebuilds, { recursive: true });
    fs.copyFileSync(addonPath, path.join(prebuilds, 'camu.node'));
    fs.writeFileSync(path.join(prebuilds, 'camu.build.json'), JSON.stringify(buildInfo));
    return { platform: path.join(platform, 'lib', 'camu.node'), prebuild: path.join(prebuilds, 'camu.node') };
  }

  it('tries a source build, then the platform package, then the prebuild', () => {
    const { platform, prebuild } = layout('2.0');
    expect(addonCandidates(dir)).toEqual([
      { source: 'source build', path: path.join(dir, 'build', 'Release', 'camu.node'), exists: false },
      { source: 'platform package', path: platform, exists: true },
      { source: 'prebuild', path: prebuild, exists: true },
    ]);
    const loaded = loadAddon(dir);
    expect(loaded.addonSource).toBe('platform package');
    expect(loaded.addonPath).toBe(platform);
    expect(loaded.libtorchDir).toBe(fs.realpathSync(buildInfo.libtorchLibDir));
  });

  it('passes over a platform package that needs a newer glibc, and a prebuild whose libtorch is gone', () => {
    layout('99.0');
    const candidates = addonCandidates(dir);
    expect(candidates[1].unfit).toMatch(/^it needs glibc 99\.0 or later; this system has 2\.\d+$/);
    expect(loadAddon(dir).addonSource).toBe('prebuild');
    const prebuilds = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.writeFileSync(path.join(prebuilds, 'camu.build.json'), JSON.stringify({ ...buildInfo, libtorchLibDir: path.join(dir, 'gone') }));
    expect(addonCandidates(dir)[2].unfit).toBe(`it needs libtorch ${buildInfo.libtorchVersion} in ${path.join(dir, 'gone')}, which is not there`);
  });

  it('reports where the addon and libtorch came from in info()', () => {
    expect(info().addonSource).toBe('source build');
    expect(info().libtorchDir).toBe(fs.realpathSync(buildInfo.libtorchLibDir));
  });

  it('makes the CLI print a load failure without a stack trace', () => {
    const copy = path.join(dir, 'camu');
    fs.cpSync(path.join(packageRoot, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(copy, 'package.json'));
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const out = spawnSync(process.execPath, [path.join(copy, 'dist', 'cli', 'index.js'), 'info'], { encoding: 'utf8' });
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/^camu: could not load its native addon\.\n/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('two copies of the addon in one process', () => {
  it('loads a second copy from another path without re-configuring threads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-copy-'));
    try {
      const copy = path.join(dir, 'camu.node');
      fs.copyFileSync(addonPath, copy);
      const script = `const a = require(${JSON.stringify(addonPath)});
        const b = require(${JSON.stringify(copy)});
        console.log(JSON.stringify([a.info().threads.interOp, b.info().threads.interOp]));`;
      const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, CAMU_NUM_INTEROP_THREADS: '1' } });
      expect(out.stderr).toBe('');
      expect(JSON.parse(out.stdout)).toEqual([1, 1]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
