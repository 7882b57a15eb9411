#!/usr/bin/env node
// npm's install step. A binary that loads is used as it is (the platform package with its own
// libtorch, or the prebuild for a system libtorch); a source build runs only when the user asks for
// one (npm rebuild camu --build-from-source) or nothing loads; when nothing loads and no build is
// possible, a few lines say what is missing and which commands fix it, instead of a compiler
// toolchain's stack trace.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const say = (message) => process.stderr.write(`camu: ${message}\n`);

/** Loads camu the way `require('camu')` will, in a child process: a failed load must not take npm down. */
function probe() {
  const loader = path.join(root, 'dist', 'native', 'loader.js');
  const built = path.join(root, 'build', 'Release', 'camu.node');
  let code;
  if (fs.existsSync(loader)) {
    code = `const l = require(${JSON.stringify(loader)});
      console.log(JSON.stringify({ addonPath: l.addonPath, source: l.addonSource, libtorch: l.binding.info().libtorchVersion }));`;
  } else if (fs.existsSync(built)) {
    // A checkout before its TypeScript is compiled: only its own build can load.
    code = `const b = require(${JSON.stringify(built)});
      console.log(JSON.stringify({ addonPath: ${JSON.stringify(built)}, source: 'source build', libtorch: b.info().libtorchVersion }));`;
  } else {
    return { ok: false, reason: 'no binary and no source build' };
  }
  code = `try { ${code} } catch (e) { process.stderr.write(String((e && e.message) || e)); process.exit(1); }`;
  const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, CAMU_NUM_THREADS: '1' } });
  if (run.status === 0) return { ok: true, ...JSON.parse(run.stdout.trim().split('\n').pop()) };
  return { ok: false, reason: (run.stderr || '').trim() };
}

function onPath(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Where a source build would find libtorch (cmake/FindCamuTorch.cmake looks in the same places). */
function libtorchForBuild() {
  if (process.env.LIBTORCH) return fs.existsSync(process.env.LIBTORCH) ? process.env.LIBTORCH : undefined;
  if (process.env.Torch_DIR || process.env.CMAKE_PREFIX_PATH) return process.env.Torch_DIR || process.env.CMAKE_PREFIX_PATH;
  const python = process.env.CAMU_PYTHON || 'python3';
  const found = spawnSync(python, ['-c', "import importlib.util as u; s = u.find_spec('torch'); print(s.origin if s else '')"], {
    encoding: 'utf8',
  });
  if (found.status === 0 && found.stdout.trim()) return path.dirname(found.stdout.trim());
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib']) {
    if (fs.existsSync(path.join(dir, 'cmake', 'Torch', 'TorchConfig.cmake'))) return dir;
  }
  return undefined;
}

/** What a source build needs and this machine lacks. */
function missingForBuild() {
  const missing = [];
  if (!(process.env.CXX && onPath(process.env.CXX)) && !onPath('g++') && !onPath('c++')) missing.push('a C++ compiler (g++)');
  if (!onPath('cmake')) missing.push('cmake');
  if (!libtorchForBuild()) missing.push('libtorch');
  return missing;
}

function explainNothingFits(missing, reason) {
  const lines = [
    `no binary of camu loads on this machine, and it cannot build one: missing ${missing.join(', ')}.`,
    ...reason
      .split('\n')
      .filter((line) => /^ {2}\S|^libtorch found/.test(line))
      .map((line) => `  ${line.trim()}`),
    'Fix, one of:',
    '  npm install camu --include=optional      (the platform package brings libtorch; needs Linux x64 with glibc)',
    '  Debian 12:   sudo apt-get install -y libtorch-dev libopenblas0-pthread libxgboost-dev && npm rebuild camu',
    '  Debian/Ubuntu, to build: sudo apt-get install -y g++ cmake zlib1g-dev libtorch-dev && npm rebuild camu --build-from-source',
    '  Fedora:      sudo dnf install -y gcc-c++ cmake zlib-devel python3-pip, then the pip line below',
    '  pip torch:   python3 -m venv ~/torch && ~/torch/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu',
    '               LIBTORCH=$(~/torch/bin/python -c "import os, torch; print(os.path.dirname(torch.__file__))") npm rebuild camu --build-from-source',
    'More: docs/installation.md in the camu package.',
  ];
  say(lines.join('\n'));
}

const asked = process.env.npm_config_build_from_source === 'true' || Boolean(process.env.CAMU_FORCE_BUILD);
let reason = '';
if (!asked) {
  const loaded = probe();
  if (loaded.ok) {
    say(`using the ${loaded.source} ${path.relative(root, loaded.addonPath) || loaded.addonPath} (libtorch ${loaded.libtorch}); nothing to build`);
    process.exit(0);
  }
  reason = loaded.reason;
}
const missing = missingForBuild();
if (missing.length > 0) {
  if (asked) say(`a source build was asked for, but this machine lacks ${missing.join(', ')} (docs/installation.md).`);
  else explainNothingFits(missing, reason);
  process.exit(1);
}
if (!asked) say('no binary loads here; building camu from source against the libtorch found (several minutes)');
const build = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], {
  cwd: root,
  stdio: ['ignore', process.stderr, process.stderr],
});
process.exit(build.status === null ? 1 : build.status);
