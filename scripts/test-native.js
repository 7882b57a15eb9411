#!/usr/bin/env node
// Builds and runs the C++ core's own tests (native/tests, GoogleTest) without Node in the loop:
// the camu_core_tests target of the CMake tree that `npm run build:native` configured.
// Without GoogleTest (Debian: libgtest-dev) the target does not exist: this says so and exits 1,
// unless CAMU_NATIVE_TESTS_OPTIONAL=1, where it skips (exit 0) with the same message.
//
// `--sanitize`: the same tests built with AddressSanitizer and UndefinedBehaviorSanitizer
// (CMakeLists.txt CAMU_SANITIZE) in a tree of their own, build-native-sanitize/ (configured here,
// against the libtorch CMake finds, as `npm run build:native` would), run with leak detection off
// (libtorch keeps process-lifetime allocations) and stopping at the first report. Other arguments
// go to GoogleTest (`--gtest_filter=...`).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const sanitize = process.argv.includes('--sanitize');
const testArgs = process.argv.slice(2).filter((arg) => arg !== '--sanitize');
const buildDir = sanitize
  ? process.env.CAMU_SANITIZE_BUILD_DIR || path.join(root, 'build-native-sanitize')
  : process.env.CAMU_BUILD_DIR || path.join(root, 'build-native');
const jobs = String(process.env.CAMU_BUILD_JOBS || Math.max(1, os.availableParallelism()));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status;
}

if (sanitize && !fs.existsSync(path.join(buildDir, 'CMakeCache.txt'))) {
  const ninja = spawnSync('ninja', ['--version']).status === 0 ? ['-G', 'Ninja'] : [];
  // -O1: the sanitizers' usual level, and a quicker build than the addon's -O3.
  const configured = run('cmake', ['-S', root, '-B', buildDir, ...ninja, '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG', '-DCAMU_SANITIZE=ON']);
  if (configured !== 0) process.exit(configured);
}
if (!fs.existsSync(path.join(buildDir, 'CMakeCache.txt'))) {
  process.stderr.write(`camu: no native build in ${buildDir}; run \`npm run build:native\` first.\n`);
  process.exit(1);
}
const cache = fs.readFileSync(path.join(buildDir, 'CMakeCache.txt'), 'utf8');
if (!/^GTest_DIR:PATH=(?!GTest_DIR-NOTFOUND).+$/m.test(cache)) {
  const message = 'camu: GoogleTest was not found when the native build was configured, so there are no core tests to run.\n' +
    '     Install it (Debian/Ubuntu: sudo apt-get install libgtest-dev), then `npm run build:native` again.\n';
  process.stderr.write(message);
  process.exit(process.env.CAMU_NATIVE_TESTS_OPTIONAL === '1' ? 0 : 1);
}
const built = run('cmake', ['--build', buildDir, '--target', 'camu_core_tests', '--parallel', jobs]);
if (built !== 0) process.exit(built);
// The process tuning stays on: the core tests check that it applied (native/tests/core_test.cc).
const env = { ...process.env };
delete env.CAMU_PROCESS_TUNING;
if (sanitize) {
  env.ASAN_OPTIONS = ['detect_leaks=0', 'abort_on_error=1', env.ASAN_OPTIONS].filter(Boolean).join(':');
  env.UBSAN_OPTIONS = ['print_stacktrace=1', 'halt_on_error=1', env.UBSAN_OPTIONS].filter(Boolean).join(':');
}
process.exit(run(path.join(buildDir, 'camu_core_tests'), testArgs, { env }));
