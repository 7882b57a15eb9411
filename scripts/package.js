#!/usr/bin/env node
// `npm run package`: builds the two npm packages of a release into build-package/ (or --out):
//   @camu/<platform>-<arch>  camu.node built against a self-contained libtorch (a torch 2.x wheel's),
//                            with exactly the shared libraries it needs beside it, RUNPATH $ORIGIN;
//   camu                     the main package (`npm pack` of this checkout) listing the platform
//                            package in optionalDependencies.
// and records their sizes in package-sizes.json. docs/installation.md describes the result.
//
//   node scripts/package.js [--addon DIR] [--out DIR] [--stage-only]
//
// --addon reuses a build (a folder holding camu.node and camu.build.json, e.g. build/Release after
// `LIBTORCH=... npm run build:native`); without it the addon is built here against LIBTORCH (or the
// libtorch of an importable Python torch), in build-package/native. A CUDA build makes the CUDA
// variant, @camu/<platform>-<arch>-cuda (never an automatic dependency: its libraries weigh
// gigabytes). --stage-only lays out the platform package in <out>/stage/ without packing anything
// (scripts/gpu-check.sh checks the CUDA variant that way, on a machine without npm).
//
// The optional dependency is added to the packed main package only: in this repository's own
// package.json it would name a package the registry does not have before a release, and `npm ci`
// refuses a lockfile that cannot hold it.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = (message) => process.stderr.write(`camu package: ${message}\n`);

function fail(message) {
  log(message);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { out: path.join(root, 'build-package'), addon: undefined, stageOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--stage-only') {
      args.stageOnly = true;
      continue;
    }
    if (flag !== '--out' && flag !== '--addon') fail(`unknown option ${flag} (expected --addon DIR, --out DIR, --stage-only)`);
    const value = argv[++i];
    if (value === undefined) fail(`${flag} needs a folder`);
    args[flag.slice(2)] = path.resolve(value);
  }
  return args;
}

// The libraries every Linux with glibc has; everything else the addon needs is bundled.
const SYSTEM_LIBRARIES = new Set([
  'linux-vdso.so.1', 'libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1',
  'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1', 'libstdc++.so.6', 'libgcc_s.so.1',
]);

// The GPU driver's libraries come with the driver, never with a package.
const DRIVER_LIBRARIES = new Set(['libcuda.so.1', 'libnvidia-ml.so.1']);

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

function need(tool, why) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    fail(`${tool} is needed ${why} (Debian: sudo apt-get install -y ${tool})`);
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The torch 2.x build of the addon: reused from --addon, or built here. */
function addonBuild(args) {
  let dir = args.addon;
  if (dir === undefined) {
    dir = path.join(args.out, 'addon');
    log(`building camu.node into ${path.relative(root, dir)} (LIBTORCH=${process.env.LIBTORCH ?? 'unset: the Python torch'})`);
    const build = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CAMU_BUILD_DIR: path.join(args.out, 'native'), CAMU_ADDON_DIR: dir },
    });
    if (build.status !== 0) fail('the native build failed (output above)');
  }
  const addon = path.join(dir, 'camu.node');
  const infoFile = path.join(dir, 'camu.build.json');
  if (!fs.existsSync(addon) || !fs.existsSync(infoFile)) fail(`${dir} holds no camu.node with its camu.build.json`);
  const info = readJson(infoFile);
  if (Number(info.libtorchVersion.split('.')[0]) < 2 || info.libtorchLibDir.startsWith('/usr/')) {
    fail(
      `${addon} was built against libtorch ${info.libtorchVersion} in ${info.libtorchLibDir}; the platform package ` +
        'needs a self-contained libtorch 2.x (a torch wheel: LIBTORCH=<site-packages>/torch, docs/installation.md)',
    );
  }
  return { addon, info };
}

/** name -> resolved path of every library the dynamic loader loads for `file`. */
function dependencies(file) {
  const found = new Map();
  for (const line of run('ldd', [file]).split('\n')) {
    const match = /^\s*(\S+)(?: => (\S+))?/.exec(line);
    if (!match) continue;
    if (/not found/.test(line)) fail(`${file} needs ${match[1]}, which this machine cannot find`);
    found.set(path.basename(match[1]), match[2] ?? match[1]);
  }
  return found;
}

function runpathOf(file) {
  const match = /\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]/.exec(run('readelf', ['-d', file]));
  return match ? match[1] : undefined;
}

/** The highest symbol version of `prefix` (GLIBC_, GLIBCXX_) that any of `files` asks for. */
function highestVersion(files, prefix) {
  let best = '0';
  for (const file of files) {
    for (const match of run('objdump', ['-T', file], { maxBuffer: 256 * 1024 * 1024 }).matchAll(new RegExp(`\\b${prefix}(\\d+(?:\\.\\d+)*)`, 'g'))) {
      const a = match[1].split('.').map(Number);
      const b = best.split('.').map(Number);
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if ((a[i] ?? 0) !== (b[i] ?? 0)) {
          if ((a[i] ?? 0) > (b[i] ?? 0)) best = match[1];
          break;
        }
      }
    }
  }
  return best;
}

/** The Debian copyright file of the package that installed `file`, if dpkg knows it. */
function debianCopyright(file) {
  const owner = spawnSync('dpkg', ['-S', fs.realpathSync(file)], { encoding: 'utf8' });
  if (owner.status !== 0) return undefined;
  const pkg = owner.stdout.split(':')[0];
  const copyright = `/usr/share/doc/${pkg}/copyright`;
  return fs.existsSync(copyright) ? { pkg, copyright } : undefined;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function unpackedBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? unpackedBytes(full) : fs.statSync(full).size;
  }
  return total;
}

/** `npm pack` of `dir` into `out`: the tarball's path. Scripts off: the folder is already staged. */
function npmPack(dir, out) {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: dir }))[0];
  return path.join(out, packed.filename);
}

function stagePlatformPackage(args, version, { addon, info }) {
  const target = `${process.platform}-${process.arch}${info.variant === 'cuda' ? '-cuda' : ''}`;
  const name = `@camu/${target}`;
  const stage = path.join(args.out, 'stage', target);
  const lib = path.join(stage, 'lib');
  const licenses = path.join(stage, 'licenses');
  fs.mkdirSync(lib, { recursive: true });
  fs.mkdirSync(licenses, { recursive: true });

  const bundled = [];
  const notices = [];
  const sourceDirs = new Set();
  const torchLib = fs.realpathSync(info.libtorchLibDir);
  for (const [soname, resolved] of dependencies(addon)) {
    if (SYSTEM_LIBRARIES.has(soname) || DRIVER_LIBRARIES.has(soname)) continue;
    const real = fs.realpathSync(resolved);
    const copy = path.join(lib, soname);
    fs.copyFileSync(real, copy);
    fs.chmodSync(copy, 0o755);
    bundled.push(soname);
    sourceDirs.add(path.dirname(real));
    // Each library finds the others beside it. The wheel's CUDA libraries point at the NVIDIA
    // wheels' folders (../../nvidia/*/lib), which the package flattens into lib/.
    if (runpathOf(copy) !== '$ORIGIN') run('patchelf', ['--set-rpath', '$ORIGIN', copy]);
    if (path.dirname(real) === torchLib) continue;
    // A library from the system (XGBoost and its dmlc, zlib): its licence travels with it.
    const copyright = debianCopyright(real);
    if (copyright) {
      fs.copyFileSync(copyright.copyright, path.join(licenses, `${soname}.copyright`));
      notices.push(`- \`lib/${soname}\`: Debian package \`${copyright.pkg}\`, licence in \`licenses/${soname}.copyright\``);
    } else {
      notices.push(`- \`lib/${soname}\`: from ${path.dirname(real)}`);
    }
  }
  // cuDNN and NVRTC load parts of themselves with dlopen, which ldd does not see: the NVIDIA
  // wheels' folders come whole.
  for (const dir of [...sourceDirs].filter((d) => /\/nvidia\/[^/]+\/lib$/.test(d))) {
    for (const name of fs.readdirSync(dir).filter((n) => /\.so(\.|$)/.test(n) && !bundled.includes(n))) {
      const copy = path.join(lib, name);
      fs.copyFileSync(path.join(dir, name), copy);
      fs.chmodSync(copy, 0o755);
      run('patchelf', ['--set-rpath', '$ORIGIN', copy]);
      bundled.push(name);
    }
    notices.push(`- libraries from the NVIDIA wheel folder \`${path.basename(path.dirname(dir))}\`: NVIDIA's licence (the wheel's own licence file)`);
  }
  // What the bundled system libraries need from the system libraries set aside above must itself be
  // either such a system library or bundled.
  for (const soname of bundled) {
    for (const [dep] of dependencies(path.join(lib, soname))) {
      if (!SYSTEM_LIBRARIES.has(dep) && !DRIVER_LIBRARIES.has(dep) && !bundled.includes(dep)) {
        fail(`lib/${soname} needs ${dep}, which is not bundled`);
      }
    }
  }
  fs.copyFileSync(addon, path.join(lib, 'camu.node'));
  run('strip', ['--strip-unneeded', path.join(lib, 'camu.node')]);
  run('patchelf', ['--set-rpath', '$ORIGIN', path.join(lib, 'camu.node')]);
  fs.writeFileSync(
    path.join(lib, 'camu.build.json'),
    `${JSON.stringify({ ...info, libtorchLibDir: '$ORIGIN', libtorchSource: `bundled from ${info.libtorchSource}` }, null, 2)}\n`,
  );

  // The wheel's own licence files (PyTorch's and its third-party notices, GCC's libgomp among them).
  const distInfo = fs
    .readdirSync(path.dirname(path.dirname(torchLib)))
    .find((entry) => /^torch-.*\.dist-info$/.test(entry));
  if (distInfo) {
    const from = path.join(path.dirname(path.dirname(torchLib)), distInfo, 'licenses');
    if (fs.existsSync(from)) fs.cpSync(from, path.join(licenses, 'torch'), { recursive: true });
  }
  if (!fs.existsSync(path.join(licenses, 'torch'))) fail(`no licence files of the torch wheel next to ${torchLib}`);

  const elfFiles = [...bundled, 'camu.node'].map((soname) => path.join(lib, soname));
  const glibc = highestVersion(elfFiles, 'GLIBC_');
  const glibcxx = highestVersion(elfFiles, 'GLIBCXX_');
  const manifest = {
    name,
    version,
    description: `camu's native addon for ${process.platform}-${process.arch} (glibc) with the libtorch ${info.libtorchVersion} ${info.variant === 'cuda' ? 'CUDA' : 'CPU'} libraries it needs`,
    license: 'SEE LICENSE IN LICENSES.md',
    repository: readJson(path.join(root, 'package.json')).repository,
    os: [process.platform],
    cpu: [process.arch],
    libc: ['glibc'],
    files: ['lib/', 'licenses/', 'LICENSES.md'],
    camu: { glibc, glibcxx, libtorch: info.libtorchVersion, xgboost: info.xgboost },
  };
  if (manifest.repository === undefined) delete manifest.repository;
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(
    path.join(stage, 'README.md'),
    `# ${name}\n\nThe native part of [camu](https://www.npmjs.com/package/camu) for ${process.platform}-${process.arch} ` +
      `with glibc ${glibc} or later and libstdc++ with GLIBCXX_${glibcxx}: \`lib/camu.node\` built against libtorch ` +
      `${info.libtorchVersion} (${info.variant === 'cuda' ? 'CUDA; the GPU driver comes from the system' : 'CPU'}), and the ` +
      'libraries it loads (RUNPATH `$ORIGIN`). camu loads it by itself when it is installed; nothing here is meant to be ' +
      'required directly.\n',
  );
  fs.writeFileSync(
    path.join(stage, 'LICENSES.md'),
    [
      `# Licences of ${name}`,
      '',
      `- \`lib/camu.node\`: camu, MIT.`,
      `- \`lib/libtorch*.so\`, \`lib/libc10*.so\`, \`lib/libgomp.so.1\`: from the PyTorch ${info.libtorchVersion} wheel; PyTorch's licence (BSD-3-Clause) and its third-party notices, GCC's runtime library (libgomp, GPL-3.0 with the GCC Runtime Library Exception) among them, are in \`licenses/torch/\`.`,
      ...notices,
      '',
    ].join('\n'),
  );
  return { name, stage, bundled, glibc, glibcxx };
}

/**
 * The main package: `npm pack` of the checkout, re-packed with the platform package as an optional
 * dependency. A prebuild is kept only when it was built against a system libtorch (what the loader
 * offers it for); one built against some other folder of the build machine is left out.
 */
function stageMainPackage(args, platform) {
  const stage = path.join(args.out, 'stage', 'camu');
  const raw = path.join(args.out, 'stage', 'raw');
  fs.mkdirSync(raw, { recursive: true });
  // Scripts on: the checkout's prepack prepares what the package ships.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', raw], { cwd: root }))[0];
  fs.mkdirSync(stage, { recursive: true });
  run('tar', ['-xzf', path.join(raw, packed.filename), '-C', stage, '--strip-components=1']);
  const prebuilds = path.join(stage, 'prebuilds');
  if (fs.existsSync(prebuilds)) {
    for (const target of fs.readdirSync(prebuilds)) {
      const infoFile = path.join(prebuilds, target, 'camu.build.json');
      const info = fs.existsSync(infoFile) ? readJson(infoFile) : undefined;
      if (!info || !info.libtorchLibDir.startsWith('/usr/')) {
        log(`leaving out prebuilds/${target}: built against ${info ? info.libtorchLibDir : 'an unknown libtorch'}, not a system libtorch`);
        fs.rmSync(path.join(prebuilds, target), { recursive: true });
      }
    }
    if (fs.readdirSync(prebuilds).length === 0) fs.rmSync(prebuilds, { recursive: true });
  }
  // When build/Release is a build against the system libtorch (`npm ci` makes one on a machine
  // that has it), it is the prebuild: it comes from the sources being packed, where an existing
  // prebuilds/ folder may be older.
  const target = `${process.platform}-${process.arch}`;
  const local = path.join(root, 'build', 'Release');
  const localInfo = fs.existsSync(path.join(local, 'camu.build.json')) ? readJson(path.join(local, 'camu.build.json')) : undefined;
  if (localInfo && localInfo.libtorchLibDir.startsWith('/usr/')) {
    fs.rmSync(path.join(prebuilds, target), { recursive: true, force: true });
    fs.mkdirSync(path.join(prebuilds, target), { recursive: true });
    fs.copyFileSync(path.join(local, 'camu.node'), path.join(prebuilds, target, 'camu.node'));
    run('strip', ['--strip-unneeded', path.join(prebuilds, target, 'camu.node')]);
    fs.copyFileSync(path.join(local, 'camu.build.json'), path.join(prebuilds, target, 'camu.build.json'));
    log(`prebuilds/${target}: the source build against libtorch ${localInfo.libtorchVersion} in ${localInfo.libtorchLibDir}`);
  }
  const manifestFile = path.join(stage, 'package.json');
  const manifest = readJson(manifestFile);
  manifest.optionalDependencies = { ...(manifest.optionalDependencies ?? {}), [platform.name]: manifest.version };
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { stage, prebuilds: fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds) : [] };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  need('patchelf', 'to point the bundled libraries at each other');
  need('objdump', 'to read the glibc the binaries need');
  const version = readJson(path.join(root, 'package.json')).version;
  const built = addonBuild(args);
  fs.rmSync(path.join(args.out, 'stage'), { recursive: true, force: true });
  const platform = stagePlatformPackage(args, version, built);
  if (args.stageOnly) {
    log(`staged ${platform.name} in ${platform.stage} (glibc ${platform.glibc}); nothing packed`);
    return;
  }
  // The CUDA variant is packed alone: users install it by name, the main package never names it.
  const main = platform.name.endsWith('-cuda') ? undefined : stageMainPackage(args, platform);
  const packages = [];
  for (const [name, stage] of [[platform.name, platform.stage], ...(main ? [['camu', main.stage]] : [])]) {
    const started = Date.now();
    const tarball = npmPack(stage, args.out);
    packages.push({
      name,
      tarball: path.basename(tarball),
      packedBytes: fs.statSync(tarball).size,
      unpackedBytes: unpackedBytes(stage),
      sha256: sha256(tarball),
      packSeconds: Math.round((Date.now() - started) / 100) / 10,
    });
  }
  const record = {
    version,
    libtorch: built.info.libtorchVersion,
    glibc: platform.glibc,
    glibcxx: platform.glibcxx,
    bundled: platform.bundled,
    mainPrebuilds: main ? main.prebuilds : undefined,
    packages,
  };
  fs.writeFileSync(path.join(args.out, 'package-sizes.json'), `${JSON.stringify(record, null, 2)}\n`);
  for (const p of packages) {
    log(`${p.tarball}: ${(p.packedBytes / 1e6).toFixed(1)} MB packed, ${(p.unpackedBytes / 1e6).toFixed(1)} MB unpacked`);
  }
  log(`sizes in ${path.relative(root, path.join(args.out, 'package-sizes.json')) || 'package-sizes.json'}`);
}

main();
